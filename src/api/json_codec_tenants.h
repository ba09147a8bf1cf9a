#pragma once
// JSON <-> structs for the tenant API: keys, tenants (quotas, budgets), the audit log and
// whoami (docs/api/openapi.yaml). Same rules as json_codec.h: strict decoders naming the
// field, encoders that never throw. Pure functions, safe from any thread.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "control/controller.h"
#include "store/store.h"

namespace fastgpu::api {

// POST /v1/keys: {"tenant","role","user","label","expires_ms","budget"}, every member
// optional; budget {kind, limit, warn_percent} as a tenant's (no "preempt"), or null.
Result<control::KeyRequest> ParseKeyRequest(std::string_view body);
// PUT /v1/keys/{prefix}: {"budget": {kind, limit, warn_percent} | null}.
Result<control::KeyBudget> ParseKeyUpdate(std::string_view body);
// A key without its hash; with "key" (the secret, shown once) when `secret` is given, and
// its budget's "used" this month when `used` is given.
std::string EncodeKey(const store::ApiKeyRecord& key, const std::string* secret = nullptr,
                      std::optional<int64_t> used = std::nullopt);
// {"keys":[...]}, each key with a budget also with "used" from `used` (by prefix).
std::string EncodeKeys(const std::vector<store::ApiKeyRecord>& keys,
                       const std::map<std::string, int64_t>& used = {});

// PUT /v1/tenants/{name}: the members given replace those of `base` (so a PUT may change one
// quota alone). Members: weight, guaranteed_gpus, max_gpus, max_running_jobs,
// max_gpu_memory_mib, budget {kind, limit, warn_percent, preempt} or null (no budget).
// budget.limit is a decimal: currency units (6 decimals at most) or GPU-hours (3 at most).
Result<store::TenantRecord> ParseTenantUpdate(std::string_view body, store::TenantRecord base);
std::string EncodeTenant(const control::TenantView& tenant);
// {"tenants":[...]}
std::string EncodeTenants(const std::vector<control::TenantView>& tenants);

// {"entries":[...],"next":ID|null} (next: pass as before= for older entries)
std::string EncodeAudit(const std::vector<store::AuditRecord>& entries,
                        std::optional<int64_t> next);
// {"events":[{"id","tenant","kind","period","at_ms","message","key_prefix"}]} (key_prefix:
// the key whose budget it is about, null for the tenant's)
std::string EncodeBillingEvents(const std::vector<store::BillingEvent>& events);
// {"tenant","role","key_prefix","user"}
std::string EncodeCaller(const control::Caller& caller);

}  // namespace fastgpu::api
