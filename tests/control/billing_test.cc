// Prices with effective dates, canonical pieces and their exact sums.
#include "control/billing.h"

#include <gtest/gtest.h>

namespace fastgpu::control::billing {
namespace {

constexpr int64_t kMay1 = 1714521600000;  // 2024-05-01T00:00:00Z

store::UsageRecord Record(core::JobId job, const std::string& tenant, int32_t milli,
                          int64_t start, int64_t end, const std::string& model = "A100-80GB") {
  store::UsageRecord r;
  r.job = job;
  r.attempt = 1;
  r.tenant = tenant;
  r.user = tenant + "-user";
  r.devices = {{0, model, milli, 20480}};
  r.start_ms = start;
  r.end_ms = end;
  return r;
}

TEST(BillingDates, DaysAndMonthsInUtc) {
  EXPECT_EQ(FormatDay(kMay1), "2024-05-01");
  EXPECT_EQ(FormatMonth(kMay1 + 5 * kDayMs), "2024-05");
  EXPECT_EQ(MonthStart(kMay1 + 30 * kDayMs + 1), kMay1);  // 2024-05-31 is in May
  EXPECT_EQ(NextMonthStart(kMay1), kMay1 + 31 * kDayMs);
  EXPECT_EQ(NextMonthStart(*ParseDate("2024-12-15", "from")), *ParseDate("2025-01", "from"));
  EXPECT_EQ(*ParseDate("2024-05-01", "from"), kMay1);
  EXPECT_EQ(*ParseDate("2024-05", "from"), kMay1);
  EXPECT_EQ(*ParseDate("2024-02-29", "from"), kMay1 - (1 + 31 + 30) * kDayMs);
  EXPECT_EQ(ParseDate("2023-02-29", "from").error().field(), "from");
  EXPECT_FALSE(ParseDate("2024-5-1", "from").ok());
  EXPECT_FALSE(ParseDate("yesterday", "from").ok());
  EXPECT_EQ(DayStart(-1), -kDayMs);
  EXPECT_EQ(FormatInstant(kMay1), "2024-05-01");
  EXPECT_EQ(FormatInstant(kMay1 + 13 * kHourMs + 45 * 60'000 + 10'500), "2024-05-01T13:45:10Z");
}

TEST(BillingPrices, EffectiveDatesAndTheAnyGpuFallback) {
  PriceTable prices({{"gpu:A100-80GB", 0, 2'000'000}, {"gpu:A100-80GB", kMay1, 3'000'000},
                     {"gpu:*", 0, 1'000'000}, {"cpu", 0, 50'000}});
  EXPECT_EQ(prices.At("gpu:A100-80GB", kMay1 - 1), 2'000'000);
  EXPECT_EQ(prices.At("gpu:A100-80GB", kMay1), 3'000'000);
  EXPECT_EQ(prices.At("gpu:T4", kMay1), 1'000'000);
  EXPECT_EQ(prices.At("memory", kMay1), 0);
  EXPECT_EQ(prices.NextChange("gpu:A100-80GB", 5), kMay1);
  EXPECT_EQ(prices.NextChange("gpu:A100-80GB", kMay1), INT64_MAX);
  EXPECT_TRUE(ValidateResource("gpu:H100").ok());
  EXPECT_EQ(ValidateResource("gpus").field(), "resource");
}

TEST(BillingMeter, QuarterOfAnA100ForAnHourIsExact) {
  PriceTable prices({{"gpu:A100-80GB", 0, 3'210'000}});  // 3.21 per GPU-hour
  const int64_t start = kMay1 + 22 * billing::kHourMs + 1234;  // crosses midnight
  Totals t = Sum({Record(1, "a", 250, start, start + 3'600'000)}, 0, INT64_MAX, 0, prices);
  EXPECT_EQ(t.gpu_milli_ms, 900'000'000);  // 900 GPU-seconds
  EXPECT_EQ(t.gpu_micros, 802'500);        // 0.25 x 3.21
}

TEST(BillingMeter, PiecesSplitAtDaysAndPriceChangesAndClampToTheWindow) {
  PriceTable prices({{"gpu:A100-80GB", 0, 2'000'000}, {"gpu:A100-80GB", kMay1, 4'000'000},
                     {"cpu", 0, 36'000}, {"memory", 0, 10'240}});
  store::UsageRecord r = Record(7, "a", 1000, kMay1 - billing::kHourMs, 0);  // open
  r.cpu_milli = 2000;
  r.memory_mib = 2048;
  std::vector<std::pair<PieceKey, Totals>> pieces;
  Meter({r}, 0, INT64_MAX, kMay1 + 2 * billing::kHourMs, prices,
        [&](const PieceKey& k, const Totals& t) { pieces.emplace_back(k, t); });
  // Expected: GPU one hour at 2.00 on Apr 30, two hours at 4.00 on May 1; host likewise.
  ASSERT_EQ(pieces.size(), 4u);
  EXPECT_EQ(pieces[0].first.model, "A100-80GB");
  EXPECT_EQ(pieces[0].second.gpu_micros, 2'000'000);
  EXPECT_EQ(pieces[1].first.day_ms, kMay1);
  EXPECT_EQ(pieces[1].second.gpu_micros, 8'000'000);
  EXPECT_EQ(pieces[2].first.model, kHostModel);
  EXPECT_EQ(pieces[2].second.cpu_micros, 72'000);     // 2 CPUs x 1 h x 0.036
  EXPECT_EQ(pieces[2].second.memory_micros, 20'480);  // 2 GiB x 1 h x 0.01024
  // A window cuts the record.
  Totals may = Sum({r}, kMay1, kMay1 + billing::kHourMs, kMay1 + 2 * billing::kHourMs, prices);
  EXPECT_EQ(may.gpu_milli_ms, 1000 * billing::kHourMs);
  EXPECT_EQ(may.gpu_micros, 4'000'000);
}

TEST(BillingAggregate, PerJobCostsSumToTheTenantTotalExactly) {
  PriceTable prices({{"gpu:*", 0, 1'234'567}});  // an awkward price: every piece rounds
  std::vector<store::UsageRecord> records;
  int64_t t = kMay1 + 12345;
  for (core::JobId job = 1; job <= 40; ++job) {
    records.push_back(Record(job, job % 3 == 0 ? "b" : "a", static_cast<int32_t>(37 * job % 1000 + 1),
                             t, t + job * 1'234'567, job % 2 ? "A100-80GB" : "T4"));
    t += 3 * billing::kHourMs + 17;
  }
  const int64_t now = t + kDayMs;
  Grouping by_job;
  by_job.tenant = by_job.job = true;
  Grouping by_tenant;
  by_tenant.tenant = true;
  Grouping by_day_model;
  by_day_model.tenant = by_day_model.model = true;
  by_day_model.period = "day";
  std::map<std::string, int64_t> sum_jobs, sum_days;
  for (const UsageRow& r : Aggregate(records, 0, now, now, prices, by_job)) {
    sum_jobs[r.tenant] += r.totals.micros();
  }
  for (const UsageRow& r : Aggregate(records, 0, now, now, prices, by_day_model)) {
    sum_days[r.tenant] += r.totals.micros();
  }
  std::vector<UsageRow> tenants = Aggregate(records, 0, now, now, prices, by_tenant);
  ASSERT_EQ(tenants.size(), 2u);
  for (const UsageRow& r : tenants) {
    EXPECT_GT(r.totals.micros(), 0);
    EXPECT_EQ(sum_jobs[r.tenant], r.totals.micros()) << r.tenant;
    EXPECT_EQ(sum_days[r.tenant], r.totals.micros()) << r.tenant;
  }
}

TEST(BillingAggregate, GroupingNamesAreChecked) {
  EXPECT_TRUE(ParseGrouping("tenant,model", "month", "by").ok());
  EXPECT_EQ(ParseGrouping("tenant,colour", "", "by").error().field(), "by");
  EXPECT_EQ(ParseGrouping("", "week", "by").error().field(), "period");
}

}  // namespace
}  // namespace fastgpu::control::billing
