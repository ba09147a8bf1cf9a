#include "control/billing.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <limits>
#include <map>
#include <tuple>

namespace fastgpu::control::billing {
namespace {

__extension__ typedef __int128 Wide;
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Days since 1970-01-01 of a civil date, and back (H. Hinnant's algorithms).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t& y, int64_t& m, int64_t& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = yoe + era * 400 + (m <= 2);
}

// num / den rounded half up; num >= 0, den > 0.
int64_t RoundDiv(Wide num, Wide den) { return static_cast<int64_t>((num + den / 2) / den); }

}  // namespace

int64_t DayStart(int64_t ms) { return FloorDiv(ms, kDayMs) * kDayMs; }

int64_t MonthStart(int64_t ms) {
  int64_t y, m, d;
  CivilFromDays(FloorDiv(ms, kDayMs), y, m, d);
  return DaysFromCivil(y, m, 1) * kDayMs;
}

int64_t NextMonthStart(int64_t ms) {
  int64_t y, m, d;
  CivilFromDays(FloorDiv(ms, kDayMs), y, m, d);
  return (m == 12 ? DaysFromCivil(y + 1, 1, 1) : DaysFromCivil(y, m + 1, 1)) * kDayMs;
}

std::string FormatDay(int64_t ms) {
  int64_t y, m, d;
  CivilFromDays(FloorDiv(ms, kDayMs), y, m, d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lld", static_cast<long long>(y),
                static_cast<long long>(m), static_cast<long long>(d));
  return buf;
}

std::string FormatMonth(int64_t ms) { return FormatDay(ms).substr(0, 7); }

std::string FormatInstant(int64_t ms) {
  const int64_t in_day = ms - DayStart(ms);
  if (in_day == 0) return FormatDay(ms);
  const int64_t s = in_day / 1000;
  char buf[32];
  std::snprintf(buf, sizeof buf, "T%02lld:%02lld:%02lldZ", static_cast<long long>(s / 3600),
                static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  return FormatDay(ms) + buf;
}

Result<int64_t> ParseDate(std::string_view text, const std::string& field) {
  const Status bad = InvalidArgument(
      field + " must be a date YYYY-MM-DD or a month YYYY-MM (UTC); got \"" + std::string(text) +
          "\"",
      field);
  if (text.size() != 7 && text.size() != 10) return bad;
  auto number = [&](size_t at, size_t len, int64_t& out) {
    auto [p, ec] = std::from_chars(text.data() + at, text.data() + at + len, out);
    return ec == std::errc() && p == text.data() + at + len;
  };
  int64_t y = 0, m = 0, d = 1;
  if (!number(0, 4, y) || text[4] != '-' || !number(5, 2, m) || m < 1 || m > 12) return bad;
  if (text.size() == 10 && (text[7] != '-' || !number(8, 2, d) || d < 1 || d > 31)) return bad;
  const int64_t days = DaysFromCivil(y, m, d);
  int64_t y2, m2, d2;
  CivilFromDays(days, y2, m2, d2);
  if (m2 != m || d2 != d) return bad;  // e.g. 2023-02-30
  return days * kDayMs;
}

std::string GpuResource(const std::string& model) { return "gpu:" + model; }

Status ValidateResource(std::string_view r) {
  if (r == kCpu || r == kMemory || r == kStorage) return Status::Ok();
  if (r.size() > 4 && r.substr(0, 4) == "gpu:" && r.size() <= 132) return Status::Ok();
  return InvalidArgument("resource must be gpu:<model>, gpu:*, cpu, memory or storage; got \"" +
                             std::string(r) + "\"",
                         "resource");
}

PriceTable::PriceTable(std::vector<store::PriceRecord> prices) : rows_(std::move(prices)) {
  std::sort(rows_.begin(), rows_.end(), [](const auto& a, const auto& b) {
    return std::tie(a.resource, a.effective_ms) < std::tie(b.resource, b.effective_ms);
  });
  for (const store::PriceRecord& p : rows_) by_resource_[p.resource].push_back(p);
}

int64_t PriceTable::At(const std::string& resource, int64_t t) const {
  auto find = [&](const std::string& r) -> const store::PriceRecord* {
    auto it = by_resource_.find(r);
    if (it == by_resource_.end()) return nullptr;
    const store::PriceRecord* best = nullptr;
    for (const store::PriceRecord& p : it->second) {
      if (p.effective_ms <= t) best = &p;
    }
    return best;
  };
  if (const store::PriceRecord* p = find(resource)) return p->micros;
  if (resource.rfind("gpu:", 0) == 0 && resource != kAnyGpu) {
    if (const store::PriceRecord* p = find(kAnyGpu)) return p->micros;
  }
  return 0;
}

int64_t PriceTable::NextChange(const std::string& resource, int64_t t) const {
  int64_t next = kMax;
  auto scan = [&](const std::string& r) {
    auto it = by_resource_.find(r);
    if (it == by_resource_.end()) return;
    for (const store::PriceRecord& p : it->second) {
      if (p.effective_ms > t) next = std::min(next, p.effective_ms);
    }
  };
  scan(resource);
  if (resource.rfind("gpu:", 0) == 0) scan(kAnyGpu);
  return next;
}

void Totals::Add(const Totals& t) {
  gpu_milli_ms += t.gpu_milli_ms;
  cpu_milli_ms += t.cpu_milli_ms;
  memory_mib_ms += t.memory_mib_ms;
  gpu_micros += t.gpu_micros;
  cpu_micros += t.cpu_micros;
  memory_micros += t.memory_micros;
}

void Meter(const std::vector<store::UsageRecord>& records, int64_t from_ms, int64_t to_ms,
           int64_t now_ms, const PriceTable& prices,
           const std::function<void(const PieceKey&, const Totals&)>& sink) {
  for (const store::UsageRecord& r : records) {
    const int64_t a = std::max(r.start_ms, from_ms);
    const int64_t b = std::min(r.end_ms > 0 ? r.end_ms : std::max(now_ms, r.start_ms), to_ms);
    if (a >= b) continue;
    std::map<std::string, int64_t> milli_by_model;
    for (const store::UsageDevice& d : r.devices) milli_by_model[d.model] += d.milli;
    for (const auto& [model, milli] : milli_by_model) {
      const std::string resource = GpuResource(model);
      for (int64_t t = a; t < b;) {
        const int64_t end = std::min({b, DayStart(t) + kDayMs, prices.NextChange(resource, t)});
        Totals piece;
        piece.gpu_milli_ms = milli * (end - t);
        piece.gpu_micros = RoundDiv(Wide{piece.gpu_milli_ms} * prices.At(resource, t),
                                    Wide{1000} * kHourMs);
        sink(PieceKey{r.job, r.tenant, r.user, model, DayStart(t)}, piece);
        t = end;
      }
    }
    if (r.cpu_milli <= 0 && r.memory_mib <= 0) continue;
    for (int64_t t = a; t < b;) {
      const int64_t end = std::min({b, DayStart(t) + kDayMs, prices.NextChange(kCpu, t),
                                    prices.NextChange(kMemory, t)});
      Totals piece;
      piece.cpu_milli_ms = int64_t{r.cpu_milli} * (end - t);
      piece.memory_mib_ms = r.memory_mib * (end - t);
      piece.cpu_micros =
          RoundDiv(Wide{piece.cpu_milli_ms} * prices.At(kCpu, t), Wide{1000} * kHourMs);
      piece.memory_micros =
          RoundDiv(Wide{piece.memory_mib_ms} * prices.At(kMemory, t), Wide{1024} * kHourMs);
      sink(PieceKey{r.job, r.tenant, r.user, kHostModel, DayStart(t)}, piece);
      t = end;
    }
  }
}

Totals Sum(const std::vector<store::UsageRecord>& records, int64_t from_ms, int64_t to_ms,
           int64_t now_ms, const PriceTable& prices) {
  Totals total;
  Meter(records, from_ms, to_ms, now_ms, prices,
        [&total](const PieceKey&, const Totals& t) { total.Add(t); });
  return total;
}

Result<Grouping> ParseGrouping(std::string_view by, std::string_view period,
                               const std::string& field) {
  Grouping g;
  while (!by.empty()) {
    const size_t comma = by.find(',');
    const std::string_view name = by.substr(0, comma);
    if (name == "tenant") {
      g.tenant = true;
    } else if (name == "user") {
      g.user = true;
    } else if (name == "model") {
      g.model = true;
    } else if (name == "job") {
      g.job = true;
    } else if (!name.empty()) {
      return InvalidArgument("cannot group by \"" + std::string(name) +
                                 "\"; use tenant, user, model or job (comma-separated)",
                             field);
    }
    by = comma == std::string_view::npos ? std::string_view() : by.substr(comma + 1);
  }
  if (period != "" && period != "day" && period != "month") {
    return InvalidArgument("period must be day or month", "period");
  }
  g.period = std::string(period);
  return g;
}

std::vector<UsageRow> Aggregate(const std::vector<store::UsageRecord>& records, int64_t from_ms,
                                int64_t to_ms, int64_t now_ms, const PriceTable& prices,
                                const Grouping& g) {
  using Key = std::tuple<std::string, std::string, std::string, std::string, core::JobId>;
  std::map<Key, Totals> rows;
  Meter(records, from_ms, to_ms, now_ms, prices, [&](const PieceKey& k, const Totals& t) {
    std::string period = g.period == "day"     ? FormatDay(k.day_ms)
                         : g.period == "month" ? FormatMonth(k.day_ms)
                                               : "";
    rows[Key{std::move(period), g.tenant ? k.tenant : "", g.user ? k.user : "",
             g.model ? k.model : "", g.job ? k.job : 0}]
        .Add(t);
  });
  std::vector<UsageRow> out;
  out.reserve(rows.size());
  for (auto& [key, totals] : rows) {
    out.push_back(UsageRow{std::get<1>(key), std::get<2>(key), std::get<3>(key),
                           std::get<0>(key), std::get<4>(key), totals});
  }
  return out;
}

}  // namespace fastgpu::control::billing
