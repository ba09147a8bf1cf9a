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

TEST(ComputeBucket, QuarterShare) {
  ComputeBucket b;
  b.milli = 250;
  b.burst_ns = 2'000'000;
  EXPECT_EQ(Charge(&b, 0, 0), 0);                 // starts the clock, empty bucket
  EXPECT_EQ(Charge(&b, 1'000'000, 0), 0);         // 1 ms later: 250 us banked
  EXPECT_EQ(b.tokens_ns, 250'000);
  EXPECT_EQ(Charge(&b, 1'000'000, 1'250'000), 4'000'000);  // 1 ms debt: wait 4 ms
  EXPECT_EQ(Charge(&b, 5'000'000, 0), 0);         // after the wait: back to zero
  EXPECT_EQ(b.tokens_ns, 0);
  EXPECT_EQ(Charge(&b, 1'000'000'000, 0), 0);     // a long idle banks at most the burst
  EXPECT_EQ(b.tokens_ns, 2'000'000);
}

TEST(ComputeBucket, SmallDebtsAreCarried) {
  ComputeBucket b;
  b.milli = 500;
  b.min_wait_ns = 1'000'000;
  Charge(&b, 0, 0);
  EXPECT_EQ(Charge(&b, 0, 100'000), 0);   // 200 us wait < 1 ms: carried
  EXPECT_EQ(b.tokens_ns, -100'000);
  EXPECT_EQ(Charge(&b, 0, 400'000), 1'000'000);  // 500 us debt: 1 ms wait
}

TEST(ComputeBucket, WholeGpuNeverWaits) {
  ComputeBucket b;
  b.milli = 1000;
  EXPECT_EQ(Charge(&b, 0, 1'000'000'000), 0);
}

}  // namespace
}  // namespace fastgpu::vgpu
