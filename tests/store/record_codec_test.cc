#include "store/record_codec.h"

#include <gtest/gtest.h>

#include <string>

namespace fastgpu::store {
namespace {

core::JobSpec FullSpec() {
  core::JobSpec spec;
  spec.name = "n";
  spec.argv = {"a", "b c", ""};
  spec.env = {{"K", "v=1"}, {"UNICODE", "日本"}};
  spec.workdir = "/w";
  spec.resources = {1, 300, 4096, 2000, 8192, {"A100-80GB"}};
  spec.priority = 5;
  spec.max_retries = 2;
  spec.time_limit_s = 60;
  return spec;
}

TEST(RecordCodecTest, JobSpecRoundTrips) {
  core::JobSpec spec = FullSpec();
  auto text = EncodeJobSpec(spec);
  ASSERT_TRUE(text.ok());
  auto back = DecodeJobSpec(*text);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(*back, spec);
}

TEST(RecordCodecTest, ArrayTaskRoundTrips) {
  core::JobSpec spec = FullSpec();
  spec.array_id = 12;
  spec.array_index = 7;
  spec.array_limit = 8;
  auto back = DecodeJobSpec(*EncodeJobSpec(spec));
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(*back, spec);
  EXPECT_EQ(EncodeJobSpec(FullSpec())->find("array"), std::string::npos);  // plain jobs: none
}

TEST(RecordCodecTest, DependenciesRoundTripAsTheirText) {
  core::JobSpec spec = FullSpec();
  spec.dependencies = {{DependencyKind::kOk, 12}, {DependencyKind::kOk, 13},
                       {DependencyKind::kAny, 14}};
  auto text = EncodeJobSpec(spec);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("\"after\":\"ok:12,13,any:14\""), std::string::npos) << *text;
  auto back = DecodeJobSpec(*text);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(*back, spec);
  EXPECT_EQ(EncodeJobSpec(FullSpec())->find("after"), std::string::npos);  // none: no key
}

TEST(RecordCodecTest, PlacementRoundTrips) {
  core::Placement placement{"node", {{0, "u0", {500, 100}}, {2, "u2", {1000, 0}}}, 1500, 64};
  auto text = EncodePlacement(placement);
  ASSERT_TRUE(text.ok());
  auto back = DecodePlacement(*text);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(*back, placement);
}

TEST(RecordCodecTest, MultiNodePlacementAndRequestRoundTrip) {
  core::Placement rank1{"b", {{0, "b0", {1000, 80}}}, 1000, 8};
  core::Placement placement{"a", {{0, "a0", {1000, 80}}}, 1000, 8, {rank1}, 29501};
  auto text = EncodePlacement(placement);
  ASSERT_TRUE(text.ok());
  auto back = DecodePlacement(*text);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(*back, placement);
  core::JobSpec spec = FullSpec();
  spec.resources.nodes = 4;
  auto spec_back = DecodeJobSpec(*EncodeJobSpec(spec));
  ASSERT_TRUE(spec_back.ok());
  EXPECT_EQ(spec_back->resources.nodes, 4);
}

TEST(RecordCodecTest, NodeSpecRoundTrips) {
  core::NodeSpec node{"n1", {{0, "GPU-0", "H100", 81559}}, 32000, 256000, {{"zone", "a"}}};
  auto text = EncodeNodeSpec(node);
  ASSERT_TRUE(text.ok());
  auto back = DecodeNodeSpec(*text);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(*back, node);
}

TEST(RecordCodecTest, MissingKeysKeepDefaults) {
  auto spec = DecodeJobSpec(R"({"name":"old","resources":{"gpu_count":2}})");
  ASSERT_TRUE(spec.ok()) << spec.error().ToString();
  core::JobSpec expected;
  expected.name = "old";
  expected.resources.gpu_count = 2;
  EXPECT_EQ(*spec, expected);  // gpu_milli keeps its default of a whole GPU
}

TEST(RecordCodecTest, BadTextIsInternal) {
  for (const char* text : {"", "{", "[]", "42", R"({"argv":"not a list"})",
                           R"({"resources":{"gpu_count":"two"}})", R"({"env":{"A":1}})"}) {
    auto spec = DecodeJobSpec(text);
    ASSERT_FALSE(spec.ok()) << text;
    EXPECT_EQ(spec.error().code(), StatusCode::kInternal) << text;
  }
  EXPECT_EQ(DecodePlacement(R"({"devices":{}})").error().code(), StatusCode::kInternal);
  EXPECT_EQ(DecodeNodeSpec(R"({"devices":[{"index":"x"}]})").error().code(), StatusCode::kInternal);
}

TEST(RecordCodecTest, InvalidUtf8IsInvalidArgumentNamingTheField) {
  core::JobSpec spec;
  spec.env = {{"K", "\xc3\x28"}};
  auto text = EncodeJobSpec(spec);
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(text.error().field(), "spec");
  core::NodeSpec node;
  node.name = "\xff";
  EXPECT_EQ(EncodeNodeSpec(node).error().field(), "node");
}

}  // namespace
}  // namespace fastgpu::store
