// Budgets of ControllerImpl: the submit-time hard stop, warning events, and stopping a
// tenant's preemptible jobs when it spent its budget (docs/billing.md).
#include <spdlog/spdlog.h>

#include <utility>

#include "control/controller_impl.h"
#include "control/roles.h"

namespace fastgpu::control {
namespace {

constexpr int64_t kBudgetCheckMs = 5000;
constexpr int32_t kMaxEvents = 1000;

// `v` / `scale` as a decimal with at least 2 and at most log10(scale) decimals, exact.
std::string Decimal(int64_t v, int64_t scale, int digits) {
  std::string frac = std::to_string(v % scale);
  frac = std::string(digits - frac.size(), '0') + frac;
  while (frac.size() > 2 && frac.back() == '0') frac.pop_back();
  return std::to_string(v / scale) + "." + frac;
}

// "12.50 USD", "0.005 USD" or "3.25 GPU-hours".
std::string Amount(const store::TenantRecord& t, int64_t v, const std::string& currency) {
  if (t.budget_kind == "gpu_hours") return Decimal(v, 1000, 3) + " GPU-hours";
  return Decimal(v, 1'000'000, 6) + " " + currency;
}

__extension__ typedef __int128 Wide;

// A budget of 0 is spent from the start.
int64_t Percent(int64_t used, int64_t limit) {
  if (limit <= 0) return 100;
  return static_cast<int64_t>((static_cast<Wide>(used) * 100) / limit);
}

}  // namespace

Result<int64_t> ControllerImpl::BudgetUsed(const store::TenantRecord& t, int64_t now) {
  if (t.budget_kind.empty()) return 0;
  const int64_t month = billing::MonthStart(now);
  const std::shared_ptr<const billing::PriceTable> prices = Prices();
  FG_ASSIGN_OR_RETURN(std::vector<store::UsageRecord> records,
                      store_.ListUsage(store::UsageFilter{t.name, month, now + 1, {}}));
  const billing::Totals total = billing::Sum(records, month, now + 1, now, *prices);
  // GPU-hours are counted in milli-GPU-hours: 1000 milli-GPU x 3,600,000 ms per GPU-hour.
  return t.budget_kind == "gpu_hours" ? total.gpu_milli_ms / billing::kHourMs : total.micros();
}

Status ControllerImpl::CheckBudget(const std::string& tenant, int64_t now) {
  store::TenantRecord t;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = tenants_.find(tenant);
    if (it == tenants_.end() || it->second.budget_kind.empty()) return Status::Ok();
    t = it->second;
  }
  FG_ASSIGN_OR_RETURN(int64_t used, BudgetUsed(t, now));
  if (used < t.budget_limit) return Status::Ok();
  return ResourceExhausted(
      "budget exhausted: tenant " + tenant + " used " + Amount(t, used, options_.currency) +
          " of its " + Amount(t, t.budget_limit, options_.currency) + " budget for " +
          billing::FormatMonth(now) + "; new jobs are refused until " +
          billing::FormatDay(billing::NextMonthStart(now)) +
          " or until an admin raises it (fastgpu tenant set " + tenant + " --budget ...)",
      "budget");
}

void ControllerImpl::EnforceBudgets() {
  const int64_t now = clock_.Now().ms;
  std::vector<store::TenantRecord> budgets;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (now < next_budget_check_ms_ || shutdown_) return;
    next_budget_check_ms_ = now + kBudgetCheckMs;
    for (const auto& [name, t] : tenants_) {
      if (!t.budget_kind.empty()) budgets.push_back(t);
    }
  }
  const std::string month = billing::FormatMonth(now);
  for (const store::TenantRecord& t : budgets) {
    const std::string& name = t.name;
    Result<int64_t> used = BudgetUsed(t, now);
    if (!used.ok()) {
      spdlog::warn("budget of tenant {}: {}", name, used.error().ToString());
      continue;
    }
    const int64_t percent = Percent(*used, t.budget_limit);
    const std::string spent = Amount(t, *used, options_.currency) + " of " +
                              Amount(t, t.budget_limit, options_.currency) + " (" +
                              std::to_string(percent) + " %)";
    if (percent >= t.budget_warn_percent) {
      store::BillingEvent e{0, name, "budget_warning", month, now,
                            "tenant " + name + " used " + spent + " of its budget for " + month};
      if (Result<bool> added = store_.AddBillingEvent(e); added.ok() && *added) {
        spdlog::warn("{}", e.message);
      }
    }
    if (percent < 100) continue;
    store::BillingEvent e{0, name, "budget_exhausted", month, now,
                          "tenant " + name + " spent its budget for " + month + ": " + spent +
                              (t.budget_preempt ? "; its preemptible jobs are stopped" : "")};
    if (Result<bool> added = store_.AddBillingEvent(e); added.ok() && *added) {
      spdlog::warn("{}", e.message);
    }
    if (t.budget_preempt) StopPreemptible(name, month);
  }
}

void ControllerImpl::StopPreemptible(const std::string& tenant, const std::string& month) {
  std::lock_guard<std::mutex> lock(mu_);
  if (shutdown_) return;
  // Preemptible: priority <= 0. Jobs with a positive priority run to their end.
  Write write;
  for (const auto& [id, view] : active_) {
    const core::JobRecord* cur = CurrentLocked(id);
    if (cur == nullptr || cur->tenant != tenant || cur->cancel_requested ||
        cur->spec.priority > 0) {
      continue;
    }
    if (cur->state != core::JobState::kScheduled && cur->state != core::JobState::kRunning) {
      continue;
    }
    core::JobRecord r = *cur;
    r.cancel_requested = true;
    r.reason = "stopped: tenant " + tenant + " spent its budget for " + month;
    spdlog::info("job {}: {}", r.id, r.reason);
    write.jobs.push_back(std::move(r));
  }
  if (!write.jobs.empty()) WriteLocked(std::move(write));
}

Result<std::vector<store::BillingEvent>> ControllerImpl::ListBillingEvents(
    const Caller& caller, const std::string& tenant) {
  if (!IsAdmin(caller) && tenant != caller.tenant) {
    return NotFound("tenant " + tenant + " not found", "name");
  }
  FG_RETURN_IF_ERROR(Require(caller, Action::kReadUsage, "read budget events"));
  return store_.ListBillingEvents(tenant, kMaxEvents);
}

}  // namespace fastgpu::control
