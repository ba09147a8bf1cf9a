// Metering routes: GET /v1/usage (JSON or CSV), GET and PUT /v1/prices. See routes.h.
#include <string>
#include <utility>

#include "api/json_codec_usage.h"
#include "api/route_util.h"
#include "api/routes.h"
#include "control/roles.h"

namespace fastgpu::api {
namespace {

using control::Controller;
namespace billing = control::billing;

// A query parameter that is a date (from/to); `fallback` when absent.
Result<int64_t> DateQuery(const HttpRequest& r, std::string_view name, int64_t fallback) {
  std::optional<std::string_view> v = r.Query(name);
  if (!v || v->empty()) return fallback;
  return billing::ParseDate(*v, std::string(name));
}

Result<HttpResponse> GetUsage(Controller& c, const HttpRequest& r) {
  FG_ASSIGN_OR_RETURN(control::Caller caller, AuthenticateUser(c, r));
  control::UsageQuery q;
  q.tenant = std::string(r.Query("tenant").value_or(""));
  FG_ASSIGN_OR_RETURN(q.grouping, billing::ParseGrouping(r.Query("by").value_or("tenant"),
                                                         r.Query("period").value_or(""), "by"));
  FG_ASSIGN_OR_RETURN(q.from_ms, DateQuery(r, "from", -1));
  FG_ASSIGN_OR_RETURN(q.to_ms, DateQuery(r, "to", -1));
  const std::string_view format = r.Query("format").value_or("json");
  if (format != "json" && format != "csv") {
    return InvalidArgument("format must be json or csv", "format");
  }
  FG_ASSIGN_OR_RETURN(control::UsageReport report, c.Usage(caller, q));
  if (format == "json") return JsonResponse(200, EncodeUsage(report, q.grouping));
  HttpResponse csv = JsonResponse(200, EncodeUsageCsv(report, q.grouping));
  csv.content_type = "text/csv";
  csv.headers.emplace_back("Content-Disposition", "attachment; filename=\"usage-" +
                                                      billing::FormatDay(report.from_ms) + ".csv\"");
  return csv;
}

}  // namespace

std::vector<Route> UsageRoutes(Controller& c) {
  std::vector<Route> routes;
  routes.push_back({"GET", "/v1/usage",
                    Sync([&c](const HttpRequest& r) -> Result<HttpResponse> { return GetUsage(c, r); })});
  routes.push_back({"GET", "/v1/prices", Sync([&c](const HttpRequest& r) -> Result<HttpResponse> {
                      FG_ASSIGN_OR_RETURN(control::Caller caller, AuthenticateUser(c, r));
                      FG_ASSIGN_OR_RETURN(auto prices, c.ListPrices(caller));
                      return JsonResponse(200, EncodePrices(prices, c.Currency()));
                    })});
  routes.push_back({"PUT", "/v1/prices", Sync([&c](const HttpRequest& r) -> Result<HttpResponse> {
                      FG_ASSIGN_OR_RETURN(control::Caller caller, AuthenticateUser(c, r));
                      FG_RETURN_IF_ERROR(
                          control::Require(caller, control::Action::kAdmin, "change prices"));
                      FG_ASSIGN_OR_RETURN(store::PriceRecord price,
                                          ParsePriceRequest(r.body, c.NowMs()));
                      FG_RETURN_IF_ERROR(c.PutPrice(caller, price));
                      FG_ASSIGN_OR_RETURN(auto prices, c.ListPrices(caller));
                      return JsonResponse(200, EncodePrices(prices, c.Currency()));
                    })});
  return routes;
}

}  // namespace fastgpu::api
