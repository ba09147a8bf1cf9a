// Metering, prices and costs of ControllerImpl: GET /v1/usage, the price table, and the
// usage and cost shown on every job. See billing.h for the arithmetic, metering.h for where
// the records come from. Store reads here never hold mu_.
#include <algorithm>
#include <utility>

#include "control/controller_impl.h"
#include "control/roles.h"

namespace fastgpu::control {

std::shared_ptr<const billing::PriceTable> ControllerImpl::Prices() const {
  std::lock_guard<std::mutex> lock(mu_);
  return prices_;
}

Status ControllerImpl::AddUsage(const std::vector<JobView*>& views) {
  if (views.empty()) return Status::Ok();
  store::UsageFilter filter;
  std::map<core::JobId, JobView*> by_id;
  for (JobView* v : views) {
    v->usage = billing::Totals{};
    // Usage is metered from a placement on: a job never bound (a pending one, the usual GET
    // of a waiting user) has none, and costs no query.
    if (v->record.attempt == 0) continue;
    filter.jobs.push_back(v->record.id);
    by_id[v->record.id] = v;
  }
  if (filter.jobs.empty()) return Status::Ok();
  const std::shared_ptr<const billing::PriceTable> prices = Prices();
  FG_ASSIGN_OR_RETURN(std::vector<store::UsageRecord> records, store_.ListUsage(filter));
  billing::Meter(records, 0, INT64_MAX, clock_.Now().ms, *prices,
                 [&](const billing::PieceKey& key, const billing::Totals& t) {
                   auto it = by_id.find(key.job);
                   if (it != by_id.end()) it->second->usage.Add(t);
                 });
  return Status::Ok();
}

Result<UsageReport> ControllerImpl::Usage(const Caller& caller, UsageQuery query) {
  FG_RETURN_IF_ERROR(Require(caller, Action::kReadUsage, "read usage"));
  if (!IsAdmin(caller)) query.tenant = caller.tenant;
  const int64_t now = clock_.Now().ms;
  UsageReport report;
  report.from_ms = query.from_ms >= 0 ? query.from_ms : billing::MonthStart(now);
  report.to_ms = query.to_ms >= 0 ? query.to_ms : now;
  if (report.to_ms <= report.from_ms) {
    return InvalidArgument("the window is empty: to must be after from", "to");
  }
  const std::shared_ptr<const billing::PriceTable> prices = Prices();
  store::UsageFilter filter{query.tenant, report.from_ms, report.to_ms, {}};
  FG_ASSIGN_OR_RETURN(std::vector<store::UsageRecord> records, store_.ListUsage(filter));
  report.currency = options_.currency;
  report.rows =
      billing::Aggregate(records, report.from_ms, report.to_ms, now, *prices, query.grouping);
  for (const billing::UsageRow& row : report.rows) report.total.Add(row.totals);
  return report;
}

Result<std::vector<store::PriceRecord>> ControllerImpl::ListPrices(const Caller& caller) {
  FG_RETURN_IF_ERROR(Require(caller, Action::kReadPool, "read prices"));
  return Prices()->rows();
}

Status ControllerImpl::PutPrice(const Caller& caller, store::PriceRecord price) {
  FG_RETURN_IF_ERROR(Require(caller, Action::kAdmin, "change prices"));
  FG_RETURN_IF_ERROR(billing::ValidateResource(price.resource));
  if (price.micros < 0) return InvalidArgument("price must be >= 0", "price");
  if (price.effective_ms < 0) return InvalidArgument("from must be a date", "from");
  FG_RETURN_IF_ERROR(store_.PutPrice(price));
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<store::PriceRecord> rows = prices_->rows();
  auto same = std::find_if(rows.begin(), rows.end(), [&](const store::PriceRecord& p) {
    return p.resource == price.resource && p.effective_ms == price.effective_ms;
  });
  if (same != rows.end()) {
    *same = price;
  } else {
    rows.push_back(price);
  }
  prices_ = std::make_shared<const billing::PriceTable>(std::move(rows));
  return Status::Ok();
}

}  // namespace fastgpu::control
