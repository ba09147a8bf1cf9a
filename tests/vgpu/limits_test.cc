#include "vgpu/limits.h"

#include <gtest/gtest.h>

namespace fastgpu::vgpu {
namespace {

TEST(ParseBytes, SuffixesAndErrors) {
  uint64_t b = 7;
  EXPECT_TRUE(ParseBytes("4GiB", &b));
  EXPECT_EQ(b, 4ULL << 30);
  EXPECT_TRUE(ParseBytes("512 MiB", &b));
  EXPECT_EQ(b, 512ULL << 20);
  EXPECT_TRUE(ParseBytes("1000", &b));
  EXPECT_EQ(b, 1000u);
  EXPECT_TRUE(ParseBytes("2G", &b));
  EXPECT_EQ(b, 2ULL << 30);
  EXPECT_TRUE(ParseBytes("3GB", &b));
  EXPECT_EQ(b, 3000000000ULL);
  b = 7;
  EXPECT_FALSE(ParseBytes("", &b));
  EXPECT_FALSE(ParseBytes("GiB", &b));
  EXPECT_FALSE(ParseBytes("4 gigs", &b));
  EXPECT_FALSE(ParseBytes("-1", &b));
  EXPECT_FALSE(ParseBytes("99999999999999999999", &b));  // overflows the digits
  EXPECT_FALSE(ParseBytes("17179869184TiB", &b));        // overflows the product
  EXPECT_FALSE(ParseBytes(nullptr, &b));
  EXPECT_EQ(b, 7u);  // untouched by failures
}

TEST(ParseMilli, Range) {
  int32_t m = 0;
  EXPECT_TRUE(ParseMilli("250", &m));
  EXPECT_EQ(m, 250);
  EXPECT_TRUE(ParseMilli("1000", &m));
  EXPECT_FALSE(ParseMilli("0", &m));
  EXPECT_FALSE(ParseMilli("1001", &m));
  EXPECT_FALSE(ParseMilli("25%", &m));
  EXPECT_FALSE(ParseMilli("", &m));
}

TEST(WouldExceed, ExactToTheByte) {
  EXPECT_FALSE(WouldExceed(0, 100, 100));   // exactly the limit: granted
  EXPECT_TRUE(WouldExceed(0, 101, 100));    // one byte over
  EXPECT_TRUE(WouldExceed(100, 1, 100));    // full
  EXPECT_FALSE(WouldExceed(60, 40, 100));
  EXPECT_TRUE(WouldExceed(60, UINT64_MAX, 100));  // no wrap-around
  EXPECT_FALSE(WouldExceed(1ULL << 40, 1ULL << 40, 0));  // 0: no limit
}

TEST(ReportedView, SliceNeverNegative) {
  MemView v = ReportedView(64, 16, 1000, 900);  // total = limit, used = job, free = rest
  EXPECT_EQ(v.total, 64u);
  EXPECT_EQ(v.used, 16u);
  EXPECT_EQ(v.free, 48u);
  v = ReportedView(64, 80, 1000, 900);  // over (e.g. dead processes not yet reclaimed)
  EXPECT_EQ(v.used, 64u);
  EXPECT_EQ(v.free, 0u);
  v = ReportedView(2000, 10, 1000, 900);  // limit above the device: the device's total
  EXPECT_EQ(v.total, 1000u);
  EXPECT_EQ(v.free, 990u);
  v = ReportedView(0, 10, 1000, 900);  // no limit: the device's own figures
  EXPECT_EQ(v.total, 1000u);
  EXPECT_EQ(v.used, 100u);
  EXPECT_EQ(v.free, 900u);
  v = ReportedView(0, 0, 1000, 1200);  // a driver reporting free > total: clamped
  EXPECT_EQ(v.free, 1000u);
  EXPECT_EQ(v.used, 0u);
}

TEST(ArrayBytes, Estimate) {
  EXPECT_EQ(ArrayBytes(1024, 0, 0, 1, 0x01), 1024u);           // 1D uint8
  EXPECT_EQ(ArrayBytes(1024, 768, 0, 4, 0x20), 1024u * 768 * 16);  // 2D float4
  EXPECT_EQ(ArrayBytes(64, 64, 64, 2, 0x10), 64u * 64 * 64 * 4);  // 3D half2
  EXPECT_EQ(ArrayBytes(UINT64_MAX, 2, 0, 1, 0x01), UINT64_MAX);   // saturates
}

// Expected figures in the comments: at 250 milli, 1 ms of device time is worth 4 ms of wall.
TEST(MipmappedArrayBytes, SumOfTheLevels) {
  EXPECT_EQ(MipmappedArrayBytes(1024, 0, 0, 1, 0x01, 1), 1024u);  // one level: an array
  EXPECT_EQ(MipmappedArrayBytes(1024, 0, 0, 1, 0x01, 0), 1024u);  // 0 levels counts as 1
  // 256x256 RGBA8, 3 levels: 256*256*4 + 128*128*4 + 64*64*4.
  EXPECT_EQ(MipmappedArrayBytes(256, 256, 0, 4, 0x01, 3), 262144u + 65536u + 16384u);
  // Dimensions stop at 1: 4x1, 9 levels = 4 + 2 + 1 * 7.
  EXPECT_EQ(MipmappedArrayBytes(4, 1, 0, 1, 0x01, 9), 13u);
  EXPECT_EQ(MipmappedArrayBytes(UINT64_MAX, 2, 0, 1, 0x01, 2), UINT64_MAX);
}

TEST(ChargeCompute, QuarterShare) {
  ComputeRate rate{250, 2'000'000, 0};
  ComputeCharge c = ChargeCompute(rate, 0, 1'000'000, 0);  // fresh bucket: empty, at now
  EXPECT_EQ(c.time_ns, 1'000'000);
  EXPECT_EQ(c.wait_ns, 0);
  // 1 ms later 250 us of device time are banked: 1.25 ms of work leaves 1 ms of debt = 4 ms.
  c = ChargeCompute(rate, c.time_ns, 2'000'000, 1'250'000);
  EXPECT_EQ(c.time_ns, 6'000'000);
  EXPECT_EQ(c.wait_ns, 4'000'000);
  c = ChargeCompute(rate, c.time_ns, 6'000'000, 0);  // after the wait: even
  EXPECT_EQ(c.wait_ns, 0);
  // A long idle banks at most the burst (2 ms of device time = 8 ms of wall): 2 ms of work is
  // free, 2.25 ms costs 1 ms of wall.
  EXPECT_EQ(ChargeCompute(rate, c.time_ns, 1'000'000'000, 2'000'000).wait_ns, 0);
  EXPECT_EQ(ChargeCompute(rate, c.time_ns, 1'000'000'000, 2'250'000).wait_ns, 1'000'000);
}

TEST(ChargeCompute, SmallDebtsAreCarried) {
  ComputeRate rate{500, 0, 1'000'000};
  ComputeCharge c = ChargeCompute(rate, 0, 10, 100'000);  // 200 us ahead < 1 ms: carried
  EXPECT_EQ(c.wait_ns, 0);
  EXPECT_EQ(c.time_ns, 10 + 200'000);
  c = ChargeCompute(rate, c.time_ns, 10, 400'000);  // 1 ms ahead: wait 1 ms
  EXPECT_EQ(c.wait_ns, 1'000'000);
}

// Two processes charging one bucket together get the share between them: each 1 ms of work
// at 500 milli moves the shared time by 2 ms, whoever did it.
TEST(ChargeCompute, SharedBucketAddsUpAllCharges) {
  ComputeRate rate{500, 0, 0};
  int64_t t = ChargeCompute(rate, 0, 100, 0).time_ns;
  t = ChargeCompute(rate, t, 100, 1'000'000).time_ns;  // process A
  ComputeCharge b = ChargeCompute(rate, t, 100, 1'000'000);  // process B, same instant
  EXPECT_EQ(b.wait_ns, 4'000'000);
}

TEST(ChargeCompute, WholeGpuNeverWaitsAndHugeChargesSaturate) {
  EXPECT_EQ(ChargeCompute(ComputeRate{1000, 0, 0}, 0, 5, 1'000'000'000).wait_ns, 0);
  ComputeCharge c = ChargeCompute(ComputeRate{1, 0, 0}, 0, 5, INT64_MAX);
  EXPECT_GT(c.wait_ns, 0);
  EXPECT_GT(c.time_ns, 5);
}

}  // namespace
}  // namespace fastgpu::vgpu
