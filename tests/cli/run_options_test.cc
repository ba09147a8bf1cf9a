#include "cli/run_options.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/format.h"

namespace fastgpu::cli {
namespace {

using nlohmann::json;

RunOptions Cmd(std::vector<std::string> argv = {"python3", "train.py"}) {
  RunOptions o;
  o.argv = std::move(argv);
  return o;
}

json Body(const RunOptions& o) {
  Result<std::string> body = BuildSubmitBody(o);
  EXPECT_TRUE(body.ok()) << body.error().ToString();
  return body.ok() ? json::parse(*body) : json();
}

TEST(BuildSubmitBodyTest, MinimalRequestHasOnlyCommandAndName) {
  json body = Body(Cmd({"/usr/bin/python3", "-c", "print(1)"}));
  EXPECT_EQ(body, json::parse(R"j({"argv": ["/usr/bin/python3", "-c", "print(1)"],
                                  "name": "python3"})j"));
}

TEST(BuildSubmitBodyTest, WholeGpusAreAnInteger) {
  RunOptions o = Cmd();
  o.gpus = "2";
  json body = Body(o);
  ASSERT_TRUE(body["resources"]["gpus"].is_number_integer());
  EXPECT_EQ(body["resources"]["gpus"], 2);
}

TEST(BuildSubmitBodyTest, FractionalGpuIsANumber) {
  RunOptions o = Cmd();
  o.gpus = "0.25";
  json body = Body(o);
  ASSERT_TRUE(body["resources"]["gpus"].is_number_float());
  EXPECT_DOUBLE_EQ(body["resources"]["gpus"].get<double>(), 0.25);
}

TEST(BuildSubmitBodyTest, OneAndAHalfGpusIsRejectedNamingTheFlag) {
  RunOptions o = Cmd();
  o.gpus = "1.5";
  Result<std::string> body = BuildSubmitBody(o);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(body.error().field(), "--gpus");
  EXPECT_EQ(UsageErrorLine(body.error())
                .rfind("error: --gpus 1.5: more than one GPU must be a whole number", 0),
            0u)
      << UsageErrorLine(body.error());
}

TEST(BuildSubmitBodyTest, NonNumericGpusNamesTheFlag) {
  RunOptions o = Cmd();
  o.gpus = "lots";
  Result<std::string> body = BuildSubmitBody(o);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().field(), "--gpus");
  EXPECT_EQ(UsageErrorLine(body.error()).rfind("error: --gpus lots: not a GPU count", 0), 0u)
      << UsageErrorLine(body.error());
}

TEST(BuildSubmitBodyTest, SizesAreMiB) {
  RunOptions o = Cmd();
  o.gpus = "1";
  o.gpu_memory = "10GiB";
  o.memory = "16G";
  o.cpus = "0.5";
  json body = Body(o);
  EXPECT_EQ(body["resources"], json::parse(R"({"gpus": 1, "gpu_memory_mib": 10240,
                                                "memory_mib": 16384, "cpus": 0.5})"));
}

TEST(BuildSubmitBodyTest, BadSizesNameTheirFlag) {
  RunOptions o = Cmd();
  o.gpu_memory = "10 parsecs";
  Result<std::string> body = BuildSubmitBody(o);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().field(), "--gpu-memory");

  o = Cmd();
  o.memory = "-1GiB";
  body = BuildSubmitBody(o);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().field(), "--memory");
  EXPECT_EQ(UsageErrorLine(body.error()).rfind("error: --memory -1GiB: ", 0), 0u);

  o = Cmd();
  o.cpus = "-2";
  body = BuildSubmitBody(o);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().field(), "--cpus");
}

TEST(BuildSubmitBodyTest, EnvNeedsNameEqualsValue) {
  RunOptions o = Cmd();
  o.env = {"A=1", "B=x=y", "EMPTY="};
  EXPECT_EQ(Body(o)["env"], json::parse(R"({"A": "1", "B": "x=y", "EMPTY": ""})"));

  o.env = {"A=1", "NOEQUALS"};
  Result<std::string> body = BuildSubmitBody(o);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().field(), "--env");
  EXPECT_EQ(UsageErrorLine(body.error()), "error: --env NOEQUALS: must be NAME=VALUE");

  o.env = {"=value"};
  EXPECT_FALSE(BuildSubmitBody(o).ok());
}

TEST(BuildSubmitBodyTest, EmptyCommandIsRejected) {
  Result<std::string> body = BuildSubmitBody(Cmd({}));
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().field(), "command");
  EXPECT_FALSE(BuildSubmitBody(Cmd({""})).ok());
}

TEST(BuildSubmitBodyTest, ScalarsAndNames) {
  RunOptions o = Cmd({"echo", "hi"});
  o.name = "greeting";
  o.priority = "-5";
  o.max_retries = "3";
  o.time_limit = "3600";
  o.workdir = "/data";
  o.gpu_models = {"A100-80GB"};
  json body = Body(o);
  EXPECT_EQ(body["name"], "greeting");
  EXPECT_EQ(body["priority"], -5);
  EXPECT_EQ(body["max_retries"], 3);
  EXPECT_EQ(body["time_limit_s"], 3600);
  EXPECT_EQ(body["workdir"], "/data");
  EXPECT_EQ(body["resources"]["gpu_models"], json::parse(R"(["A100-80GB"])"));
}

TEST(BuildSubmitBodyTest, BadIntegersNameTheirFlag) {
  RunOptions o = Cmd();
  o.priority = "high";
  Result<std::string> body = BuildSubmitBody(o);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(UsageErrorLine(body.error()), "error: --priority high: not an integer");

  o = Cmd();
  o.max_retries = "101";
  body = BuildSubmitBody(o);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().field(), "--max-retries");

  o = Cmd();
  o.time_limit = "10m";
  body = BuildSubmitBody(o);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().field(), "--time-limit");
}

TEST(ParseJobIdTest, AcceptsPositiveIntegersOnly) {
  Result<int64_t> id = ParseJobId("12");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, 12);
  for (const char* bad : {"x", "", "0", "-3", "1e3", "12a", " 12", "99999999999999999999"}) {
    id = ParseJobId(bad);
    ASSERT_FALSE(id.ok()) << bad;
    EXPECT_EQ(id.error().message(), std::string("ID must be a job number, got '") + bad + "'");
  }
  EXPECT_EQ(UsageErrorLine(ParseJobId("x").error()), "error: ID must be a job number, got 'x'");
}

Job Ended(std::string state, std::optional<int64_t> code, std::optional<int64_t> sig) {
  Job job;
  job.state = std::move(state);
  job.exit_code = code;
  job.signal = sig;
  return job;
}

TEST(ExitCodeForJobTest, MirrorsAShell) {
  EXPECT_EQ(ExitCodeForJob(Ended("succeeded", 0, std::nullopt)), 0);
  EXPECT_EQ(ExitCodeForJob(Ended("failed", 3, std::nullopt)), 3);
  EXPECT_EQ(ExitCodeForJob(Ended("failed", std::nullopt, 9)), 137);
  EXPECT_EQ(ExitCodeForJob(Ended("failed", std::nullopt, std::nullopt)), 127);
  EXPECT_EQ(ExitCodeForJob(Ended("failed", 0, std::nullopt)), 1);
  EXPECT_EQ(ExitCodeForJob(Ended("cancelled", std::nullopt, 15)), 130);
  EXPECT_EQ(ExitCodeForJob(Ended("running", std::nullopt, std::nullopt)), 1);
}

}  // namespace
}  // namespace fastgpu::cli
