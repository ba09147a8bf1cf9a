// The text form of job dependencies (--after, "after", YAML after:).
#include "common/dependency.h"

#include <gtest/gtest.h>

namespace fastgpu {
namespace {

std::vector<Dependency> Parse(const std::string& text) {
  std::vector<Dependency> out;
  Status st = ParseDependencies(text, "--after", &out);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

Status Error(const std::string& text) {
  std::vector<Dependency> out;
  return ParseDependencies(text, "--after", &out);
}

constexpr DependencyKind kOk = DependencyKind::kOk;
constexpr DependencyKind kAny = DependencyKind::kAny;

TEST(DependencyTest, ParsesKindsListsAndSlurmNames) {
  EXPECT_EQ(Parse("ok:12"), (std::vector<Dependency>{{kOk, 12}}));
  EXPECT_EQ(Parse("ok:12,13,any:14"),
            (std::vector<Dependency>{{kOk, 12}, {kOk, 13}, {kAny, 14}}));
  EXPECT_EQ(Parse("afterok:12:13"), (std::vector<Dependency>{{kOk, 12}, {kOk, 13}}));
  EXPECT_EQ(Parse("afterany:5"), (std::vector<Dependency>{{kAny, 5}}));
  EXPECT_EQ(Parse("ok:12,ok:12,any:12"), (std::vector<Dependency>{{kOk, 12}, {kAny, 12}}));
}

TEST(DependencyTest, TextRoundTrips) {
  std::vector<Dependency> deps{{kOk, 12}, {kOk, 13}, {kAny, 14}};
  EXPECT_EQ(DependenciesText(deps), "ok:12,13,any:14");
  EXPECT_EQ(Parse(DependenciesText(deps)), deps);
  EXPECT_EQ(DependencyText({kAny, 3}), "any:3");
}

TEST(DependencyTest, BadTextNamesTheFieldAndTheFix) {
  Status st = Error("ok:abc");
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.field(), "--after");
  EXPECT_EQ(st.message(),
            "\"ok:abc\": \"abc\" is not a job ID (a positive number); write KIND:ID with KIND ok "
            "(after it succeeded) or any (after it ended), e.g. ok:12 or ok:12,13,any:14");
  EXPECT_NE(Error("foo:12").message().find("unknown kind \"foo\""), std::string::npos);
  EXPECT_NE(Error("12").message().find("\"12\" has no kind"), std::string::npos);
  EXPECT_NE(Error("ok:0").message().find("\"0\" is not a job ID"), std::string::npos);
  EXPECT_NE(Error("ok:-3").message().find("is not a job ID"), std::string::npos);
  EXPECT_NE(Error("ok:12,,13").message().find("an empty item"), std::string::npos);
  EXPECT_NE(Error("").message().find("no dependency given"), std::string::npos);
  EXPECT_NE(Error("ok:").message().find("is not a job ID"), std::string::npos);
}

TEST(DependencyTest, AtMostTheLimit) {
  std::string text = "ok:1";
  for (int i = 2; i <= static_cast<int>(kMaxDependencies); ++i) text += "," + std::to_string(i);
  EXPECT_EQ(Parse(text).size(), kMaxDependencies);
  Status st = Error(text + ",100000");
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("more than 100 dependencies"), std::string::npos);
}

}  // namespace
}  // namespace fastgpu
