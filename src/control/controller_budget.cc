// Budgets of ControllerImpl: the submit-time hard stop, warning events, and stopping a
// tenant's preemptible jobs when it spent its budget (docs/billing.md).
#include <spdlog/spdlog.h>

#include <optional>
#include <string_view>
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

// "12.50 USD", "0.005 USD" or "3.25 GPU-hours", for a budget of `kind`.
std::string Amount(const std::string& kind, int64_t v, const std::string& currency) {
  if (kind == "gpu_hours") return Decimal(v, 1000, 3) + " GPU-hours";
  return Decimal(v, 1'000'000, 6) + " " + currency;
}

// "key fgk_1a2b3c4d (alice of tenant a)", or without the user when it has none.
std::string KeyName(const store::ApiKeyRecord& k) {
  return "key " + k.prefix + " (" + (k.user.empty() ? "" : k.user + " of ") + "tenant " +
         k.tenant + ")";
}

__extension__ typedef __int128 Wide;

// A budget of 0 is spent from the start.
int64_t Percent(int64_t used, int64_t limit) {
  if (limit <= 0) return 100;
  return static_cast<int64_t>((static_cast<Wide>(used) * 100) / limit);
}

}  // namespace

Status ValidateBudget(const KeyBudget& b) {
  if (b.kind != "" && b.kind != "currency" && b.kind != "gpu_hours") {
    return InvalidArgument("budget.kind must be \"currency\" or \"gpu_hours\"", "budget.kind");
  }
  if (b.limit < 0) return InvalidArgument("budget.limit must be >= 0", "budget.limit");
  if (b.warn_percent < 1 || b.warn_percent > 100) {
    return InvalidArgument("budget.warn_percent must be 1..100", "budget.warn_percent");
  }
  return Status::Ok();
}

namespace {

// This month's spend of the usage records `filter` selects (its window is set here), in the
// unit of a budget of `kind`.
Result<int64_t> MonthUsed(store::Store& store, const billing::PriceTable& prices,
                          store::UsageFilter filter, const std::string& kind, int64_t now) {
  if (kind.empty()) return 0;
  const int64_t month = billing::MonthStart(now);
  filter.from_ms = month;
  filter.to_ms = now + 1;
  FG_ASSIGN_OR_RETURN(std::vector<store::UsageRecord> records, store.ListUsage(filter));
  const billing::Totals total = billing::Sum(records, month, now + 1, now, prices);
  // GPU-hours are counted in milli-GPU-hours: 1000 milli-GPU x 3,600,000 ms per GPU-hour.
  return kind == "gpu_hours" ? total.gpu_milli_ms / billing::kHourMs : total.micros();
}

}  // namespace

Result<int64_t> ControllerImpl::BudgetUsed(const store::TenantRecord& t, int64_t now) {
  store::UsageFilter filter;
  filter.tenant = t.name;
  return MonthUsed(store_, *Prices(), std::move(filter), t.budget_kind, now);
}

Result<int64_t> ControllerImpl::KeyUsed(const std::string& prefix, const std::string& kind,
                                        int64_t now) {
  store::UsageFilter filter;
  filter.key_prefix = prefix;
  return MonthUsed(store_, *Prices(), std::move(filter), kind, now);
}

Status ControllerImpl::CheckBudget(const std::string& tenant, const std::string& key_prefix,
                                   int64_t now) {
  std::optional<store::TenantRecord> tenant_budget;
  std::optional<store::ApiKeyRecord> key_budget;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = tenants_.find(tenant);
    if (it != tenants_.end() && !it->second.budget_kind.empty()) tenant_budget = it->second;
    auto k = key_budgets_.find(key_prefix);
    if (k != key_budgets_.end()) key_budget = k->second;
  }
  if (key_budget) {
    const store::ApiKeyRecord& k = *key_budget;
    FG_ASSIGN_OR_RETURN(int64_t used, KeyUsed(k.prefix, k.budget_kind, now));
    if (used >= k.budget_limit) {
      return ResourceExhausted(
          "budget exhausted: " + KeyName(k) + " used " +
              Amount(k.budget_kind, used, options_.currency) + " of its " +
              Amount(k.budget_kind, k.budget_limit, options_.currency) + " budget for " +
              billing::FormatMonth(now) + "; new jobs with this key are refused until " +
              billing::FormatDay(billing::NextMonthStart(now)) +
              " or until an admin raises it (fastgpu key set " + k.prefix + " --budget ...)",
          "budget");
    }
  }
  if (!tenant_budget) return Status::Ok();
  const store::TenantRecord& t = *tenant_budget;
  FG_ASSIGN_OR_RETURN(int64_t used, BudgetUsed(t, now));
  if (used < t.budget_limit) return Status::Ok();
  return ResourceExhausted(
      "budget exhausted: tenant " + tenant + " used " + Amount(t.budget_kind, used, options_.currency) +
          " of its " + Amount(t.budget_kind, t.budget_limit, options_.currency) + " budget for " +
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
    const std::string spent = Amount(t.budget_kind, *used, options_.currency) + " of " +
                              Amount(t.budget_kind, t.budget_limit, options_.currency) + " (" +
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
  EnforceKeyBudgets(now);
}

void ControllerImpl::EnforceKeyBudgets(int64_t now) {
  std::vector<store::ApiKeyRecord> keys;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [prefix, k] : key_budgets_) keys.push_back(k);
  }
  const std::string month = billing::FormatMonth(now);
  for (const store::ApiKeyRecord& k : keys) {
    Result<int64_t> used = KeyUsed(k.prefix, k.budget_kind, now);
    if (!used.ok()) {
      spdlog::warn("budget of key {}: {}", k.prefix, used.error().ToString());
      continue;
    }
    const int64_t percent = Percent(*used, k.budget_limit);
    const std::string spent = Amount(k.budget_kind, *used, options_.currency) + " of " +
                              Amount(k.budget_kind, k.budget_limit, options_.currency) + " (" +
                              std::to_string(percent) + " %)";
    // In the key's tenant's events, naming the key.
    for (const auto& [kind, at] : {std::pair<const char*, int64_t>{"budget_warning",
                                                                   k.budget_warn_percent},
                                   std::pair<const char*, int64_t>{"budget_exhausted", 100}}) {
      if (percent < at) continue;
      const bool warning = std::string_view(kind) == "budget_warning";
      store::BillingEvent e{0, k.tenant, kind, month, now,
                            KeyName(k) + (warning ? " used " : " spent its budget for " + month +
                                                                   ": ") +
                                spent + (warning ? " of its budget for " + month : ""),
                            k.prefix};
      if (Result<bool> added = store_.AddBillingEvent(e); added.ok() && *added) {
        spdlog::warn("{}", e.message);
      }
    }
  }
}

Result<store::ApiKeyRecord> ControllerImpl::SetKeyBudget(const Caller& caller,
                                                         const std::string& prefix,
                                                         KeyBudget budget) {
  FG_RETURN_IF_ERROR(Require(caller, Action::kAdmin, "change API keys"));
  FG_RETURN_IF_ERROR(ValidateBudget(budget));
  Result<store::ApiKeyRecord> key = store_.GetApiKey(prefix);
  if (!key.ok()) {
    if (key.error().code() == StatusCode::kNotFound) return NotFound("no such API key", "prefix");
    return key.error();
  }
  key->budget_kind = budget.kind;
  key->budget_limit = budget.kind.empty() ? 0 : budget.limit;
  key->budget_warn_percent = budget.warn_percent;
  FG_RETURN_IF_ERROR(store_.UpdateApiKey(*key));
  keys_.Invalidate(prefix);  // the cached record is the old one
  std::lock_guard<std::mutex> lock(mu_);
  if (key->budget_kind.empty() || key->revoked) {
    key_budgets_.erase(prefix);
  } else {
    key_budgets_[prefix] = *key;
  }
  next_budget_check_ms_ = 0;  // a lowered budget is checked at the next tick
  return key;
}

Result<int64_t> ControllerImpl::KeyBudgetUsed(const Caller& caller, const std::string& prefix) {
  FG_RETURN_IF_ERROR(Require(caller, Action::kAdmin, "read API keys"));
  std::string kind;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = key_budgets_.find(prefix);
    if (it == key_budgets_.end()) return 0;
    kind = it->second.budget_kind;
  }
  return KeyUsed(prefix, kind, clock_.Now().ms);
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
