#pragma once
// Billing: prices with effective dates, and usage records turned into priced pieces and
// totals (docs/billing.md). Integers only: GPU time is milli-GPU x milliseconds, money is
// micro-units of the currency. Pure; no I/O, no clock (`now` is an argument); thread-safe.
//
// Every record is cut into canonical pieces: at UTC day boundaries, at the window's ends and
// wherever a price it uses changes. Each piece's cost is rounded to a micro-unit once, and
// every total (of a job, a tenant, a day, a month, a model, a user) is a sum of whole pieces,
// so the sum of the per-job costs of a tenant equals the tenant's total exactly.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "store/store.h"

namespace fastgpu::control::billing {

inline constexpr int64_t kDayMs = 86'400'000;
inline constexpr int64_t kHourMs = 3'600'000;

// Start of the UTC day / month of a Unix-ms time, and of the next month.
int64_t DayStart(int64_t ms);
int64_t MonthStart(int64_t ms);
int64_t NextMonthStart(int64_t ms);
// "2024-05-07" / "2024-05" in UTC.
std::string FormatDay(int64_t ms);
std::string FormatMonth(int64_t ms);
// "2024-05-07" at a day's start, else "2024-05-07T13:45:10Z".
std::string FormatInstant(int64_t ms);
// "2024-05-07" (that day's start) or "2024-05" (the month's start) -> Unix ms, UTC.
// InvalidArgument naming `field` otherwise.
Result<int64_t> ParseDate(std::string_view text, const std::string& field);

// Resource names of the price table.
std::string GpuResource(const std::string& model);  // "gpu:A100-80GB"
inline constexpr const char* kAnyGpu = "gpu:*";
inline constexpr const char* kCpu = "cpu";
inline constexpr const char* kMemory = "memory";
inline constexpr const char* kStorage = "storage";
// OK for "gpu:<model>", "gpu:*", "cpu", "memory", "storage"; InvalidArgument (field
// "resource") otherwise.
Status ValidateResource(std::string_view resource);

class PriceTable {
 public:
  explicit PriceTable(std::vector<store::PriceRecord> prices = {});
  // Micro-units per unit-hour in effect at `t` (the row with the latest effective_ms <= t);
  // "gpu:<model>" without a row in effect falls back to "gpu:*". 0 when none applies.
  int64_t At(const std::string& resource, int64_t t) const;
  // The first effective_ms > t of `resource` or of its fallback; INT64_MAX when none.
  int64_t NextChange(const std::string& resource, int64_t t) const;
  const std::vector<store::PriceRecord>& rows() const { return rows_; }

 private:
  std::vector<store::PriceRecord> rows_;  // by resource, then effective_ms
  std::map<std::string, std::vector<store::PriceRecord>> by_resource_;  // copies of rows_
};

// Quantities and costs; Add() sums them.
struct Totals {
  int64_t gpu_milli_ms = 0;   // 250 milli for 3,600,000 ms = 900,000,000 = 900 GPU-seconds
  int64_t cpu_milli_ms = 0;
  int64_t memory_mib_ms = 0;
  int64_t gpu_micros = 0;
  int64_t cpu_micros = 0;
  int64_t memory_micros = 0;
  int64_t micros() const { return gpu_micros + cpu_micros + memory_micros; }
  void Add(const Totals& t);
  bool operator==(const Totals&) const = default;
};

// Who and what one piece is about. model is the device model for GPU pieces and "host" for
// the CPU and memory of an attempt.
struct PieceKey {
  core::JobId job = 0;
  std::string tenant, user, model;
  int64_t day_ms = 0;
};
inline constexpr const char* kHostModel = "host";

// Calls sink(key, totals) for every canonical piece of `records` inside [from_ms, to_ms).
// Open records (end_ms 0) count up to now_ms.
void Meter(const std::vector<store::UsageRecord>& records, int64_t from_ms, int64_t to_ms,
           int64_t now_ms, const PriceTable& prices,
           const std::function<void(const PieceKey&, const Totals&)>& sink);

// The totals of all pieces, e.g. of one job or one tenant's month.
Totals Sum(const std::vector<store::UsageRecord>& records, int64_t from_ms, int64_t to_ms,
           int64_t now_ms, const PriceTable& prices);

// How GET /v1/usage groups: any of tenant, user, model, job, and a period.
struct Grouping {
  bool tenant = false, user = false, model = false, job = false;
  std::string period;  // "", "day" or "month"
};
// "tenant,model" -> Grouping; InvalidArgument naming `field` for an unknown name.
Result<Grouping> ParseGrouping(std::string_view by, std::string_view period,
                               const std::string& field);

struct UsageRow {
  std::string tenant, user, model, period;  // "" for dimensions not grouped by
  core::JobId job = 0;
  Totals totals;
};
// Rows of the pieces grouped as asked, sorted by period, tenant, user, model, job.
std::vector<UsageRow> Aggregate(const std::vector<store::UsageRecord>& records, int64_t from_ms,
                                int64_t to_ms, int64_t now_ms, const PriceTable& prices,
                                const Grouping& grouping);

}  // namespace fastgpu::control::billing
