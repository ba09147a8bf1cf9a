// The tenant-facing calls of ControllerImpl: API keys, tenants (quotas, budgets), audit log.
#include <spdlog/spdlog.h>

#include <set>
#include <utility>

#include "control/auth.h"
#include "control/controller_impl.h"
#include "control/roles.h"
#include "core/policy/placement_policy.h"

namespace fastgpu::control {
namespace {

constexpr int32_t kMaxAuditPage = 1000;
constexpr size_t kMaxLabel = 200;

Status ValidateTenant(const store::TenantRecord& t) {
  FG_RETURN_IF_ERROR(ValidateName(t.name, "name"));
  if (t.weight < 1 || t.weight > 1000) return InvalidArgument("weight must be 1..1000", "weight");
  if (t.guaranteed_gpus < 0) {
    return InvalidArgument("guaranteed_gpus must be >= 0", "guaranteed_gpus");
  }
  if (t.max_gpus != -1 && t.max_gpus < t.guaranteed_gpus) {
    return InvalidArgument("max_gpus must be -1 (none) or >= guaranteed_gpus", "max_gpus");
  }
  if (t.max_running_jobs < -1) {
    return InvalidArgument("max_running_jobs must be -1 (none) or >= 0", "max_running_jobs");
  }
  if (t.max_gpu_memory_mib < -1) {
    return InvalidArgument("max_gpu_memory_mib must be -1 (none) or >= 0", "max_gpu_memory_mib");
  }
  return ValidateBudget(KeyBudget{t.budget_kind, t.budget_limit, t.budget_warn_percent});
}

core::TenantPolicy PolicyOf(const store::TenantRecord& t) {
  core::TenantPolicy p;
  p.weight = t.weight;
  p.guaranteed_gpus = t.guaranteed_gpus;
  p.max_gpus = t.max_gpus;
  p.max_running_jobs = t.max_running_jobs;
  return p;
}

}  // namespace

TenantView ControllerImpl::TenantLocked(const std::string& name) const {
  auto it = tenants_.find(name);
  if (it != tenants_.end()) return TenantView{it->second, true};
  const core::TenantPolicy& p = options_.queue.Tenant(name);
  store::TenantRecord t;
  t.name = name;
  t.weight = p.weight;
  t.guaranteed_gpus = p.guaranteed_gpus;
  t.max_gpus = p.max_gpus;
  t.max_running_jobs = p.max_running_jobs;
  return TenantView{std::move(t), false};
}

core::QueueOptions ControllerImpl::QueueOptionsLocked() const {
  core::QueueOptions queue = options_.queue;
  for (const auto& [name, t] : tenants_) {
    queue.tenants[name] = PolicyOf(t);
    if (name == "default") queue.default_tenant = PolicyOf(t);
  }
  return queue;
}

Status ControllerImpl::RebuildSchedulerLocked() {
  core::QueueOptions queue = QueueOptionsLocked();
  FG_ASSIGN_OR_RETURN(std::unique_ptr<core::PlacementPolicy> policy,
                      core::MakePlacementPolicy(options_.policy));
  FG_ASSIGN_OR_RETURN(std::unique_ptr<core::QueueSorter> sorter,
                      core::MakeQueueSorter(queue.sorter));
  scheduler_ = std::make_unique<core::Scheduler>(std::move(policy), std::move(sorter),
                                                 std::move(queue));
  return Status::Ok();
}

Result<NewKey> ControllerImpl::CreateKey(const Caller& caller, KeyRequest request) {
  FG_RETURN_IF_ERROR(Require(caller, Action::kAdmin, "create API keys"));
  if (request.tenant.empty()) request.tenant = caller.tenant;
  FG_RETURN_IF_ERROR(ValidateName(request.tenant, "tenant"));
  if (!IsRole(request.role)) {
    return InvalidArgument("role must be admin, member, viewer or submit-only", "role");
  }
  if (!request.user.empty()) FG_RETURN_IF_ERROR(ValidateName(request.user, "user"));
  if (request.label.size() > kMaxLabel) {
    return InvalidArgument("label must be at most 200 characters", "label");
  }
  const int64_t now = clock_.Now().ms;
  if (request.expires_ms < 0 || (request.expires_ms > 0 && request.expires_ms <= now)) {
    return InvalidArgument("expires must be in the future", "expires");
  }
  FG_RETURN_IF_ERROR(ValidateBudget(request.budget));
  FG_ASSIGN_OR_RETURN(NewApiKey made, MakeApiKey(request.tenant, request.role, now));
  made.record.user = std::move(request.user);
  made.record.label = std::move(request.label);
  made.record.expires_ms = request.expires_ms;
  made.record.budget_kind = request.budget.kind;
  made.record.budget_limit = request.budget.kind.empty() ? 0 : request.budget.limit;
  made.record.budget_warn_percent = request.budget.warn_percent;
  FG_RETURN_IF_ERROR(store_.CreateApiKey(made.record));
  if (!made.record.budget_kind.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    key_budgets_[made.record.prefix] = made.record;
  }
  spdlog::info("api key {} created for tenant {} (role {}) by {}", made.record.prefix,
               made.record.tenant, made.record.role, caller.key_prefix);
  return NewKey{std::move(made.key), std::move(made.record)};
}

Result<std::vector<store::ApiKeyRecord>> ControllerImpl::ListKeys(const Caller& caller,
                                                                  const std::string& tenant) {
  FG_RETURN_IF_ERROR(Require(caller, Action::kAdmin, "list API keys"));
  FG_ASSIGN_OR_RETURN(std::vector<store::ApiKeyRecord> keys, store_.ListApiKeys());
  std::vector<store::ApiKeyRecord> out;
  for (store::ApiKeyRecord& k : keys) {
    if (tenant.empty() || k.tenant == tenant) out.push_back(std::move(k));
  }
  return out;
}

Result<store::ApiKeyRecord> ControllerImpl::RevokeKey(const Caller& caller,
                                                      const std::string& prefix) {
  const Status not_found = NotFound("no such API key", "prefix");
  if (!IsAdmin(caller) && prefix != caller.key_prefix) return not_found;
  Result<store::ApiKeyRecord> key = store_.GetApiKey(prefix);
  if (!key.ok()) return key.error().code() == StatusCode::kNotFound ? not_found : key.error();
  if (key->revoked) return key;
  key->revoked = true;
  key->revoked_ms = clock_.Now().ms;
  FG_RETURN_IF_ERROR(store_.UpdateApiKey(*key));
  keys_.Invalidate(prefix);  // refused from the next request on
  {
    std::lock_guard<std::mutex> lock(mu_);
    key_budgets_.erase(prefix);
  }
  spdlog::info("api key {} revoked by {}", prefix, caller.key_prefix);
  return key;
}

Result<std::vector<TenantView>> ControllerImpl::ListTenants(const Caller& caller) {
  if (!IsAdmin(caller)) {
    FG_ASSIGN_OR_RETURN(TenantView own, GetTenant(caller, caller.tenant));
    return std::vector<TenantView>{std::move(own)};
  }
  FG_ASSIGN_OR_RETURN(std::vector<store::ApiKeyRecord> keys, store_.ListApiKeys());
  std::unique_lock<std::mutex> lock(mu_);
  std::set<std::string> names;
  for (const auto& [name, t] : tenants_) names.insert(name);
  for (const auto& [name, p] : options_.queue.tenants) names.insert(name);
  for (const store::ApiKeyRecord& k : keys) names.insert(k.tenant);
  for (const auto& [id, view] : active_) names.insert(view.record.tenant);
  std::vector<TenantView> out;
  for (const std::string& name : names) out.push_back(TenantLocked(name));
  lock.unlock();  // the budgets read the store
  const int64_t now = clock_.Now().ms;
  for (TenantView& view : out) {
    FG_ASSIGN_OR_RETURN(view.budget_used, BudgetUsed(view.record, now));
  }
  return out;
}

Result<TenantView> ControllerImpl::GetTenant(const Caller& caller, const std::string& name) {
  if (!IsAdmin(caller) && name != caller.tenant) {
    return NotFound("tenant " + name + " not found", "name");
  }
  // Its budget and what it spent are usage (a submit-only key reads neither).
  FG_RETURN_IF_ERROR(Require(caller, Action::kReadUsage, "read its tenant"));
  TenantView view;
  {
    std::lock_guard<std::mutex> lock(mu_);
    view = TenantLocked(name);
  }
  FG_ASSIGN_OR_RETURN(view.budget_used, BudgetUsed(view.record, clock_.Now().ms));
  return view;
}

Result<TenantView> ControllerImpl::PutTenant(const Caller& caller, store::TenantRecord tenant) {
  FG_RETURN_IF_ERROR(Require(caller, Action::kAdmin, "change tenants"));
  FG_RETURN_IF_ERROR(ValidateTenant(tenant));
  std::unique_lock<std::mutex> lock(mu_);
  auto old = tenants_.find(tenant.name);
  tenant.created_ms = old != tenants_.end() ? old->second.created_ms : clock_.Now().ms;
  FG_RETURN_IF_ERROR(store_.PutTenant(tenant));
  tenants_[tenant.name] = tenant;
  if (Status st = RebuildSchedulerLocked(); !st.ok()) {
    spdlog::error("tenant {} stored but the scheduler was not rebuilt: {}", tenant.name,
                  st.ToString());
  }
  MarkDirtyLocked();  // a raised quota may let jobs start now
  next_budget_check_ms_ = 0;  // a lowered budget is checked at the next tick
  TenantView view{std::move(tenant), true};
  lock.unlock();
  FG_ASSIGN_OR_RETURN(view.budget_used, BudgetUsed(view.record, clock_.Now().ms));
  return view;
}

Status ControllerImpl::RecordAudit(store::AuditRecord record) {
  if (record.at_ms == 0) record.at_ms = clock_.Now().ms;
  // With the next group commit, or within the writer's lazy delay (epoch 0: it builds on
  // nothing), so that auditing a submit costs no fsync of its own: it never delays the
  // scheduler's commit that follows the submit. ListAudit flushes first.
  store::WriteBatch batch;
  batch.audit.push_back(std::move(record));
  committer_->QueueLazy(std::move(batch), [](Status st) {
    if (!st.ok()) spdlog::warn("audit record not written: {}", st.ToString());
  });
  return Status::Ok();
}

Result<std::vector<store::AuditRecord>> ControllerImpl::ListAudit(const Caller& caller,
                                                                  store::AuditFilter filter) {
  FG_RETURN_IF_ERROR(Require(caller, Action::kAdmin, "read the audit log"));
  if (filter.limit < 1 || filter.limit > kMaxAuditPage) {
    return InvalidArgument("limit must be in 1..1000", "limit");
  }
  committer_->Flush();  // records queued before this call (answers already sent) are listed
  return store_.ListAudit(filter);
}

}  // namespace fastgpu::control
