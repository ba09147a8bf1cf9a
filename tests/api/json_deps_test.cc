// Job dependencies in the user API's JSON: "dependencies" and "after" in a submit body, and
// "dependencies" / "waiting_for" in the job object. Every bad input names its member.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/json_codec.h"

namespace fastgpu::api {
namespace {

constexpr DependencyKind kOk = DependencyKind::kOk;
constexpr DependencyKind kAny = DependencyKind::kAny;

std::vector<Dependency> Deps(const std::string& members) {
  Result<core::JobSpec> spec = ParseSubmitRequest(R"({"argv":["true"],)" + members + "}");
  EXPECT_TRUE(spec.ok()) << members << ": " << spec.error().ToString();
  return spec.ok() ? spec->dependencies : std::vector<Dependency>{};
}

Status Error(const std::string& members) {
  Result<core::JobSpec> spec = ParseSubmitRequest(R"({"argv":["true"],)" + members + "}");
  return spec.ok() ? Status::Ok() : spec.error();
}

TEST(SubmitDependencies, StructuredTextAndBoth) {
  EXPECT_EQ(Deps(R"("dependencies":[{"kind":"ok","job":12},{"kind":"any","job":13}])"),
            (std::vector<Dependency>{{kOk, 12}, {kAny, 13}}));
  EXPECT_EQ(Deps(R"("after":"ok:12,13,any:14")"),
            (std::vector<Dependency>{{kOk, 12}, {kOk, 13}, {kAny, 14}}));
  EXPECT_EQ(Deps(R"("after":["ok:12","afterany:14"])"),
            (std::vector<Dependency>{{kOk, 12}, {kAny, 14}}));
  EXPECT_EQ(Deps(R"("dependencies":[{"kind":"ok","job":12}],"after":"ok:12,any:3")"),
            (std::vector<Dependency>{{kOk, 12}, {kAny, 3}}));  // merged, repeats dropped
  EXPECT_TRUE(Deps(R"("dependencies":[],"after":null)").empty());
}

TEST(SubmitDependencies, BadInputNamesTheMember) {
  EXPECT_EQ(Error(R"("after":"ok:abc")").field(), "after");
  EXPECT_EQ(Error(R"("after":"foo:12")").field(), "after");
  EXPECT_EQ(Error(R"("after":12)").field(), "after");
  EXPECT_EQ(Error(R"("dependencies":"ok:12")").field(), "dependencies");
  EXPECT_EQ(Error(R"("dependencies":[7])").field(), "dependencies[0]");
  EXPECT_EQ(Error(R"("dependencies":[{"kind":"ok","job":1},{"kind":"foo","job":2}])").field(),
            "dependencies[1].kind");
  EXPECT_EQ(Error(R"("dependencies":[{"kind":"ok","job":"12"}])").field(),
            "dependencies[0].job");
  EXPECT_EQ(Error(R"("dependencies":[{"kind":"ok","job":0}])").field(), "dependencies[0].job");
  EXPECT_EQ(Error(R"("dependencies":[{"kind":"ok"}])").field(), "dependencies[0].job");
  EXPECT_EQ(Error(R"("dependencies":[{"kind":"ok","job":1,"x":1}])").field(),
            "dependencies[0].x");
  const Status kind = Error(R"("dependencies":[{"kind":"afterwards","job":2}])");
  EXPECT_EQ(kind.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(kind.message(), "dependencies[0].kind must be \"ok\" (after the job succeeded) or "
                            "\"any\" (after it ended), got \"afterwards\"");
  std::string many = R"("after":"ok:1)";
  for (int i = 2; i <= 101; ++i) many += "," + std::to_string(i);
  const Status too_many = Error(many + "\"");
  EXPECT_EQ(too_many.field(), "after");
  EXPECT_NE(too_many.message().find("more than 100 dependencies"), std::string::npos);
}

TEST(EncodeJob, DependenciesAndWhatItWaitsFor) {
  control::JobView view;
  view.record.id = 5;
  view.record.spec.argv = {"true"};
  view.record.spec.dependencies = {{kOk, 3}, {kAny, 4}};
  view.record.reason = "waiting for job 3 to succeed";
  view.waiting_for = {{kOk, 3}};
  const nlohmann::json j = nlohmann::json::parse(EncodeJob(view));
  EXPECT_EQ(j["dependencies"], nlohmann::json::parse(
                                   R"([{"kind":"ok","job":3},{"kind":"any","job":4}])"));
  EXPECT_EQ(j["waiting_for"], nlohmann::json::parse(R"([{"kind":"ok","job":3}])"));
  EXPECT_EQ(j["reason"], "waiting for job 3 to succeed");
  // Through a submit body again: the same dependencies.
  Result<core::JobSpec> again = ParseSubmitRequest(
      R"({"argv":["true"],"dependencies":)" + j["dependencies"].dump() + "}");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->dependencies, view.record.spec.dependencies);
}

}  // namespace
}  // namespace fastgpu::api
