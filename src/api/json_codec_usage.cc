// JSON/CSV codec for metering. See json_codec_usage.h.
#include "api/json_codec_usage.h"

#include <cmath>
#include <cstdio>

#include "api/json_util.h"

namespace fastgpu::api {
namespace {

using control::billing::Grouping;
using control::billing::Totals;
using control::billing::UsageRow;
using Out = nlohmann::ordered_json;

double Micros(int64_t v) { return static_cast<double>(v) / 1e6; }

void PutTotals(Out& j, const Totals& t) {
  j["gpu_seconds"] = static_cast<double>(t.gpu_milli_ms) / 1e6;
  j["gpu_hours"] = static_cast<double>(t.gpu_milli_ms) / 3.6e9;
  j["cpu_hours"] = static_cast<double>(t.cpu_milli_ms) / 3.6e9;
  j["memory_gib_hours"] = static_cast<double>(t.memory_mib_ms) / (1024 * 3.6e6);
  j["gpu_cost"] = Micros(t.gpu_micros);
  j["cpu_cost"] = Micros(t.cpu_micros);
  j["memory_cost"] = Micros(t.memory_micros);
  j["cost"] = Micros(t.micros());
  j["cost_micros"] = t.micros();
}

// "12.345678" without trailing zeros beyond 2 decimals: money and quantities in CSV.
std::string Decimal(int64_t value, int64_t scale) {
  const bool negative = value < 0;
  const int64_t v = negative ? -value : value;
  int digits = 0;
  for (int64_t s = scale; s > 1; s /= 10) ++digits;
  std::string frac = std::to_string(v % scale);
  frac = std::string(digits - frac.size(), '0') + frac;
  while (frac.size() > 2 && frac.back() == '0') frac.pop_back();
  return (negative ? "-" : "") + std::to_string(v / scale) + (digits > 0 ? "." + frac : "");
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string Dump(const Out& j) { return j.dump(-1, ' ', false, Out::error_handler_t::replace); }

}  // namespace

std::string EncodeUsage(const control::UsageReport& report, const Grouping& g) {
  Out j = Out::object();
  j["from"] = control::billing::FormatInstant(report.from_ms);
  j["to"] = control::billing::FormatInstant(report.to_ms);
  j["from_ms"] = report.from_ms;
  j["to_ms"] = report.to_ms;
  j["currency"] = report.currency;
  j["rows"] = Out::array();
  for (const UsageRow& r : report.rows) {
    Out row = Out::object();
    if (!g.period.empty()) row["period"] = r.period;
    if (g.tenant) row["tenant"] = r.tenant;
    if (g.user) row["user"] = r.user;
    if (g.model) row["model"] = r.model;
    if (g.job) row["job"] = r.job;
    PutTotals(row, r.totals);
    j["rows"].push_back(std::move(row));
  }
  Out total = Out::object();
  PutTotals(total, report.total);
  j["total"] = std::move(total);
  return Dump(j);
}

std::string EncodeUsageCsv(const control::UsageReport& report, const Grouping& g) {
  std::string out;
  auto header = [&](const char* name) { out += std::string(out.empty() ? "" : ",") + name; };
  if (!g.period.empty()) header("period");
  if (g.tenant) header("tenant");
  if (g.user) header("user");
  if (g.model) header("model");
  if (g.job) header("job");
  for (const char* h : {"gpu_seconds", "cpu_hours", "memory_gib_hours", "gpu_cost", "cpu_cost",
                        "memory_cost", "cost", "currency"}) {
    header(h);
  }
  out += "\n";
  for (const UsageRow& r : report.rows) {
    std::string line;
    auto cell = [&](const std::string& v) { line += (line.empty() ? "" : ",") + CsvField(v); };
    if (!g.period.empty()) cell(r.period);
    if (g.tenant) cell(r.tenant);
    if (g.user) cell(r.user);
    if (g.model) cell(r.model);
    if (g.job) cell(std::to_string(r.job));
    const Totals& t = r.totals;
    cell(Decimal(t.gpu_milli_ms, 1'000'000));
    cell(Decimal(t.cpu_milli_ms / 3'600, 1'000'000));
    cell(Decimal(t.memory_mib_ms * 1000 / (1024 * 3'600'000LL) , 1000));
    cell(Decimal(t.gpu_micros, 1'000'000));
    cell(Decimal(t.cpu_micros, 1'000'000));
    cell(Decimal(t.memory_micros, 1'000'000));
    cell(Decimal(t.micros(), 1'000'000));
    cell(report.currency);
    out += line + "\n";
  }
  return out;
}

Result<store::PriceRecord> ParsePriceRequest(std::string_view body, int64_t now_ms) {
  FG_ASSIGN_OR_RETURN(json_util::Json obj, json_util::ParseObject(body));
  FG_RETURN_IF_ERROR(json_util::CheckKnownKeys(obj, {"resource", "price", "from"}, ""));
  store::PriceRecord p;
  if (!obj.contains("resource")) return InvalidArgument("resource is required", "resource");
  FG_ASSIGN_OR_RETURN(p.resource, json_util::GetString(obj["resource"], "resource"));
  if (!obj.contains("price") || !obj["price"].is_number()) {
    return InvalidArgument("price must be a number >= 0 (per unit-hour)", "price");
  }
  const double price = obj["price"].get<double>();
  const double scaled = price * 1e6;
  if (!std::isfinite(price) || price < 0 || scaled > 9e15 ||
      std::fabs(scaled - std::round(scaled)) > 1e-6 * std::max(1.0, scaled)) {
    return InvalidArgument("price must be a number >= 0 with at most 6 decimals", "price");
  }
  p.micros = std::llround(scaled);
  p.effective_ms = now_ms;
  if (obj.contains("from") && !obj["from"].is_null()) {
    FG_ASSIGN_OR_RETURN(std::string from, json_util::GetString(obj["from"], "from"));
    FG_ASSIGN_OR_RETURN(p.effective_ms, control::billing::ParseDate(from, "from"));
  }
  return p;
}

std::string EncodePrices(const std::vector<store::PriceRecord>& prices,
                         const std::string& currency) {
  Out j = Out::object();
  j["currency"] = currency;
  j["prices"] = Out::array();
  for (const store::PriceRecord& p : prices) {
    Out row = Out::object();
    row["resource"] = p.resource;
    row["price"] = Micros(p.micros);
    row["from"] = control::billing::FormatDay(p.effective_ms);
    row["from_ms"] = p.effective_ms;
    j["prices"].push_back(std::move(row));
  }
  return Dump(j);
}

}  // namespace fastgpu::api
