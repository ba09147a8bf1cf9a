#include "common/units.h"

#include <gtest/gtest.h>

namespace fastgpu {
namespace {

TEST(ParseSizeMiB, AcceptsSuffixes) {
  EXPECT_EQ(*ParseSizeMiB("10GiB", "f"), 10240);
  EXPECT_EQ(*ParseSizeMiB("10G", "f"), 10240);
  EXPECT_EQ(*ParseSizeMiB("512MiB", "f"), 512);
  EXPECT_EQ(*ParseSizeMiB("512", "f"), 512);
  EXPECT_EQ(*ParseSizeMiB("1.5GiB", "f"), 1536);
  EXPECT_EQ(*ParseSizeMiB("1TiB", "f"), 1024 * 1024);
}

TEST(ParseSizeMiB, RejectsBadInputNamingField) {
  for (const char* bad : {"", "-1GiB", "abc", "nan", "10XB", "1.2.3G", "100KiB"}) {
    auto r = ParseSizeMiB(bad, "gpu-memory");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.error().field(), "gpu-memory");
  }
}

TEST(ParseSizeBytes, Works) {
  EXPECT_EQ(*ParseSizeBytes("4GiB", "f"), 4LL << 30);
  EXPECT_EQ(*ParseSizeBytes("1048576", "f"), 1 << 20);
  EXPECT_FALSE(ParseSizeBytes("x", "f").ok());
}

TEST(ParseGpuMilli, WholeAndFractions) {
  EXPECT_EQ(*ParseGpuMilli("0", "gpus"), 0);
  EXPECT_EQ(*ParseGpuMilli("2", "gpus"), 2000);
  EXPECT_EQ(*ParseGpuMilli("0.25", "gpus"), 250);
  EXPECT_EQ(*ParseGpuMilli(".5", "gpus"), 500);
  EXPECT_EQ(*ParseGpuMilli("1", "gpus"), 1000);
}

TEST(ParseGpuMilli, RejectsBadCounts) {
  for (const char* bad : {"1.5", "-1", "nan", "0.0001", "2048", "x", ""}) {
    auto r = ParseGpuMilli(bad, "gpus");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().field(), "gpus");
  }
}

TEST(FormatMiB, Readable) {
  EXPECT_EQ(FormatMiB(81920), "80GiB");
  EXPECT_EQ(FormatMiB(500), "500MiB");
}

}  // namespace
}  // namespace fastgpu
