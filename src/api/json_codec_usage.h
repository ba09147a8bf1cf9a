#pragma once
// JSON and CSV for metering: GET /v1/usage, GET/PUT /v1/prices (docs/api/openapi.yaml).
// Amounts are decimals in the answers (gpu_seconds, cost) computed from the exact integers
// of billing.h. Pure functions, safe from any thread.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "control/controller.h"
#include "store/store.h"

namespace fastgpu::api {

// {"from","to","from_ms","to_ms","currency","rows":[...],"total":{...}}; rows carry only the
// grouped dimensions (period, tenant, user, model, job).
std::string EncodeUsage(const control::UsageReport& report,
                        const control::billing::Grouping& grouping);
// The same rows as CSV with a header line; the total is not a row.
std::string EncodeUsageCsv(const control::UsageReport& report,
                           const control::billing::Grouping& grouping);

// PUT /v1/prices: {"resource","price","from"} where price is a decimal (6 decimals at most)
// and from a date (YYYY-MM-DD, UTC) or absent (now_ms).
Result<store::PriceRecord> ParsePriceRequest(std::string_view body, int64_t now_ms);
// {"currency","prices":[{"resource","price","from","from_ms"}]}
std::string EncodePrices(const std::vector<store::PriceRecord>& prices,
                         const std::string& currency);

}  // namespace fastgpu::api
