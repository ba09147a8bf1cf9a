// Job dependencies in the CLI: --after into the submit body, after: in a YAML spec, and what
// `fastgpu why` says about a job that waits for others.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/job_spec.h"
#include "cli/run_options.h"
#include "cli/why.h"

namespace fastgpu::cli {
namespace {

using nlohmann::json;

RunOptions After(std::vector<std::string> after) {
  RunOptions o;
  o.argv = {"true"};
  o.after = std::move(after);
  return o;
}

TEST(AfterFlagTest, EveryFormBecomesTheDependencyList) {
  Result<std::string> body = BuildSubmitBody(After({"ok:12,13", "any:14", "afterok:12"}));
  ASSERT_TRUE(body.ok()) << body.error().ToString();
  EXPECT_EQ(json::parse(*body)["dependencies"],
            json::parse(R"([{"kind":"ok","job":12},{"kind":"ok","job":13},
                            {"kind":"any","job":14}])"));
  EXPECT_FALSE(json::parse(*BuildSubmitBody(After({}))).contains("dependencies"));
}

TEST(AfterFlagTest, MalformedTextNamesTheFlagAndTheFix) {
  for (const char* bad : {"ok:abc", "foo:12", "12", "ok:", "ok:1,,2"}) {
    Result<std::string> body = BuildSubmitBody(After({bad}));
    ASSERT_FALSE(body.ok()) << bad;
    EXPECT_EQ(body.error().field(), "--after") << bad;
    EXPECT_NE(body.error().message().find("e.g. ok:12"), std::string::npos)
        << body.error().message();
  }
}

TEST(AfterFlagTest, YamlAfterAsTextOrListAndFlagsAppend) {
  Result<RunOptions> one = ParseJobSpec("command: 'true'\nafter: ok:12,any:13\n", "j.yaml");
  ASSERT_TRUE(one.ok()) << one.error().message();
  EXPECT_EQ(one->after, (std::vector<std::string>{"ok:12,any:13"}));
  Result<RunOptions> list = ParseJobSpec("command: 'true'\nafter: [ok:12, 'any:13']\n", "j.yaml");
  ASSERT_TRUE(list.ok()) << list.error().message();
  EXPECT_EQ(list->after, (std::vector<std::string>{"ok:12", "any:13"}));
  RunOptions merged = MergeRunOptions(*list, After({"ok:20"}));
  EXPECT_EQ(merged.after, (std::vector<std::string>{"ok:12", "any:13", "ok:20"}));
  Result<RunOptions> bad = ParseJobSpec("command: 'true'\nafter: ok:abc\n", "j.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field(), "-f");
  EXPECT_EQ(bad.error().message().rfind("j.yaml: after: \"ok:abc\": \"abc\" is not a job ID", 0),
            0u)
      << bad.error().message();
}

TEST(AfterWhyTest, AWaitingJobNamesWhatMustHappen) {
  Job job;
  job.id = 9;
  job.state = "pending";
  job.reason = "waiting for job 7 to succeed, job 8 to end";
  job.gpu_count = 1;
  job.gpu_milli = 1000;
  job.waiting_for = {"ok:7", "any:8"};
  WhyAnswer a = ExplainJob(job, Pool{});
  EXPECT_EQ(a.verdict, "it waits for its dependencies (ok:7, any:8); it is not placed, nor is "
                       "room kept for it, until they are met");
  EXPECT_EQ(a.actions, (std::vector<std::string>{"job 7 must succeed (fastgpu why 7)",
                                                 "job 8 must end (fastgpu why 8)"}));
}

}  // namespace
}  // namespace fastgpu::cli
