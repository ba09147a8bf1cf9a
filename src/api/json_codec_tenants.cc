// JSON codec, tenant half: keys, tenants, audit, whoami. See json_codec_tenants.h.
#include "api/json_codec_tenants.h"

#include <cmath>
#include <limits>

#include "api/json_util.h"

namespace fastgpu::api {
namespace {

using json_util::GetInt;
using json_util::GetString;
using json_util::Json;
using Out = nlohmann::ordered_json;

constexpr int64_t kMaxI32 = std::numeric_limits<int32_t>::max();

bool Present(const Json& object, const char* key) {
  return object.contains(key) && !object[key].is_null();
}

// A non-negative decimal with at most `decimals` digits after the point, scaled by
// 10^decimals: 12.5 with 6 decimals is 12'500'000.
Result<int64_t> GetScaled(const Json& value, const std::string& field, int decimals) {
  const std::string rule = field + " must be a number >= 0 with at most " +
                           std::to_string(decimals) + " decimals";
  if (!value.is_number()) return InvalidArgument(rule, field);
  const double d = value.get<double>();
  const double scale = std::pow(10.0, decimals);
  if (!std::isfinite(d) || d < 0 || d * scale > 9e15) return InvalidArgument(rule, field);
  const double scaled = d * scale;
  const int64_t n = std::llround(scaled);
  if (std::fabs(scaled - static_cast<double>(n)) > 1e-6 * std::max(1.0, scaled)) {
    return InvalidArgument(rule, field);
  }
  return n;
}

Status ParseBudget(const Json& b, store::TenantRecord& t) {
  if (b.is_null()) {
    t.budget_kind.clear();
    t.budget_limit = 0;
    t.budget_preempt = false;
    return Status::Ok();
  }
  if (!b.is_object()) return InvalidArgument("budget must be an object or null", "budget");
  FG_RETURN_IF_ERROR(
      json_util::CheckKnownKeys(b, {"kind", "limit", "warn_percent", "preempt"}, "budget."));
  if (!Present(b, "kind")) return InvalidArgument("budget.kind is required", "budget.kind");
  FG_ASSIGN_OR_RETURN(t.budget_kind, GetString(b["kind"], "budget.kind"));
  if (t.budget_kind != "currency" && t.budget_kind != "gpu_hours") {
    return InvalidArgument("budget.kind must be \"currency\" or \"gpu_hours\"", "budget.kind");
  }
  if (!Present(b, "limit")) return InvalidArgument("budget.limit is required", "budget.limit");
  FG_ASSIGN_OR_RETURN(t.budget_limit,
                      GetScaled(b["limit"], "budget.limit", t.budget_kind == "currency" ? 6 : 3));
  if (Present(b, "warn_percent")) {
    FG_ASSIGN_OR_RETURN(int64_t v, GetInt(b["warn_percent"], "budget.warn_percent", 1, 100));
    t.budget_warn_percent = static_cast<int32_t>(v);
  }
  if (Present(b, "preempt")) {
    FG_ASSIGN_OR_RETURN(t.budget_preempt, json_util::GetBool(b["preempt"], "budget.preempt"));
  }
  return Status::Ok();
}

// A key's budget: as a tenant's, without "preempt" (null: none).
Status ParseKeyBudget(const Json& b, control::KeyBudget& out) {
  if (b.is_object()) {
    FG_RETURN_IF_ERROR(json_util::CheckKnownKeys(b, {"kind", "limit", "warn_percent"}, "budget."));
  }
  store::TenantRecord t;
  FG_RETURN_IF_ERROR(ParseBudget(b, t));
  out = control::KeyBudget{t.budget_kind, t.budget_limit, t.budget_warn_percent};
  return Status::Ok();
}

Out KeyJson(const store::ApiKeyRecord& k, std::optional<int64_t> used = std::nullopt) {
  Out j = Out::object();
  j["prefix"] = k.prefix;
  j["tenant"] = k.tenant;
  j["role"] = k.role;
  j["user"] = k.user;
  j["label"] = k.label;
  j["created_ms"] = k.created_ms;
  j["expires_ms"] = k.expires_ms > 0 ? Out(k.expires_ms) : Out(nullptr);
  j["revoked"] = k.revoked;
  j["revoked_ms"] = k.revoked_ms > 0 ? Out(k.revoked_ms) : Out(nullptr);
  if (k.budget_kind.empty()) {
    j["budget"] = nullptr;
  } else {
    const double scale = k.budget_kind == "currency" ? 1e6 : 1e3;
    Out b = Out::object();
    b["kind"] = k.budget_kind;
    b["limit"] = static_cast<double>(k.budget_limit) / scale;
    b["warn_percent"] = k.budget_warn_percent;
    if (used) b["used"] = static_cast<double>(*used) / scale;
    j["budget"] = std::move(b);
  }
  return j;
}

Out TenantJson(const control::TenantView& v) {
  const store::TenantRecord& t = v.record;
  Out j = Out::object();
  j["name"] = t.name;
  j["stored"] = v.stored;
  j["weight"] = t.weight;
  j["guaranteed_gpus"] = t.guaranteed_gpus;
  j["max_gpus"] = t.max_gpus;
  j["max_running_jobs"] = t.max_running_jobs;
  j["max_gpu_memory_mib"] = t.max_gpu_memory_mib;
  if (t.budget_kind.empty()) {
    j["budget"] = nullptr;
  } else {
    Out b = Out::object();
    b["kind"] = t.budget_kind;
    b["limit"] = static_cast<double>(t.budget_limit) / (t.budget_kind == "currency" ? 1e6 : 1e3);
    b["warn_percent"] = t.budget_warn_percent;
    b["preempt"] = t.budget_preempt;
    b["used"] = static_cast<double>(v.budget_used) / (t.budget_kind == "currency" ? 1e6 : 1e3);
    b["percent"] = t.budget_limit > 0 ? static_cast<double>(v.budget_used) * 100 /
                                            static_cast<double>(t.budget_limit)
                                      : 100.0;
    j["budget"] = std::move(b);
  }
  return j;
}

std::string DumpOut(const Out& j) { return j.dump(-1, ' ', false, Out::error_handler_t::replace); }

}  // namespace

Result<control::KeyRequest> ParseKeyRequest(std::string_view body) {
  FG_ASSIGN_OR_RETURN(Json obj, json_util::ParseObject(body));
  FG_RETURN_IF_ERROR(
      json_util::CheckKnownKeys(obj, {"tenant", "role", "user", "label", "expires_ms", "budget"},
                                ""));
  control::KeyRequest r;
  if (Present(obj, "tenant")) {
    FG_ASSIGN_OR_RETURN(r.tenant, GetString(obj["tenant"], "tenant"));
  }
  if (Present(obj, "role")) {
    FG_ASSIGN_OR_RETURN(r.role, GetString(obj["role"], "role"));
  }
  if (Present(obj, "user")) {
    FG_ASSIGN_OR_RETURN(r.user, GetString(obj["user"], "user"));
  }
  if (Present(obj, "label")) {
    FG_ASSIGN_OR_RETURN(r.label, GetString(obj["label"], "label"));
  }
  if (Present(obj, "expires_ms")) {
    FG_ASSIGN_OR_RETURN(r.expires_ms, GetInt(obj["expires_ms"], "expires_ms", 0,
                                             std::numeric_limits<int64_t>::max()));
  }
  if (obj.contains("budget")) FG_RETURN_IF_ERROR(ParseKeyBudget(obj["budget"], r.budget));
  return r;
}

Result<control::KeyBudget> ParseKeyUpdate(std::string_view body) {
  FG_ASSIGN_OR_RETURN(Json obj, json_util::ParseObject(body));
  FG_RETURN_IF_ERROR(json_util::CheckKnownKeys(obj, {"budget"}, ""));
  if (!obj.contains("budget")) {
    return InvalidArgument("budget is required (an object, or null for none)", "budget");
  }
  control::KeyBudget budget;
  FG_RETURN_IF_ERROR(ParseKeyBudget(obj["budget"], budget));
  return budget;
}

std::string EncodeKey(const store::ApiKeyRecord& key, const std::string* secret,
                      std::optional<int64_t> used) {
  Out j = KeyJson(key, used);
  if (secret != nullptr) j["key"] = *secret;
  return DumpOut(j);
}

std::string EncodeKeys(const std::vector<store::ApiKeyRecord>& keys,
                       const std::map<std::string, int64_t>& used) {
  Out j = Out::object();
  j["keys"] = Out::array();
  for (const store::ApiKeyRecord& k : keys) {
    auto u = used.find(k.prefix);
    j["keys"].push_back(KeyJson(k, u == used.end() ? std::nullopt : std::optional(u->second)));
  }
  return DumpOut(j);
}

Result<store::TenantRecord> ParseTenantUpdate(std::string_view body, store::TenantRecord t) {
  FG_ASSIGN_OR_RETURN(Json obj, json_util::ParseObject(body));
  FG_RETURN_IF_ERROR(json_util::CheckKnownKeys(
      obj,
      {"weight", "guaranteed_gpus", "max_gpus", "max_running_jobs", "max_gpu_memory_mib",
       "budget"},
      ""));
  struct IntField {
    const char* name;
    int32_t* out;
    int64_t min;
  };
  for (const IntField& f : {IntField{"weight", &t.weight, 1},
                            IntField{"guaranteed_gpus", &t.guaranteed_gpus, 0},
                            IntField{"max_gpus", &t.max_gpus, -1},
                            IntField{"max_running_jobs", &t.max_running_jobs, -1}}) {
    if (!Present(obj, f.name)) continue;
    FG_ASSIGN_OR_RETURN(int64_t v, GetInt(obj[f.name], f.name, f.min, kMaxI32));
    *f.out = static_cast<int32_t>(v);
  }
  if (Present(obj, "max_gpu_memory_mib")) {
    FG_ASSIGN_OR_RETURN(t.max_gpu_memory_mib,
                        GetInt(obj["max_gpu_memory_mib"], "max_gpu_memory_mib", -1,
                               int64_t{1} << 40));
  }
  if (obj.contains("budget")) FG_RETURN_IF_ERROR(ParseBudget(obj["budget"], t));
  return t;
}

std::string EncodeTenant(const control::TenantView& tenant) { return DumpOut(TenantJson(tenant)); }

std::string EncodeTenants(const std::vector<control::TenantView>& tenants) {
  Out j = Out::object();
  j["tenants"] = Out::array();
  for (const control::TenantView& t : tenants) j["tenants"].push_back(TenantJson(t));
  return DumpOut(j);
}

std::string EncodeAudit(const std::vector<store::AuditRecord>& entries,
                        std::optional<int64_t> next) {
  Out j = Out::object();
  j["entries"] = Out::array();
  for (const store::AuditRecord& a : entries) {
    Out e = Out::object();
    e["id"] = a.id;
    e["at_ms"] = a.at_ms;
    e["key_prefix"] = a.key_prefix;
    e["tenant"] = a.tenant;
    e["user"] = a.user;
    e["role"] = a.role;
    e["method"] = a.method;
    e["path"] = a.path;
    e["status"] = a.status;
    e["remote"] = a.remote;
    e["detail"] = a.detail;
    j["entries"].push_back(std::move(e));
  }
  j["next"] = next ? Out(*next) : Out(nullptr);
  return DumpOut(j);
}

std::string EncodeBillingEvents(const std::vector<store::BillingEvent>& events) {
  Out j = Out::object();
  j["events"] = Out::array();
  for (const store::BillingEvent& e : events) {
    Out o = Out::object();
    o["id"] = e.id;
    o["tenant"] = e.tenant;
    o["kind"] = e.kind;
    o["period"] = e.period;
    o["at_ms"] = e.at_ms;
    o["message"] = e.message;
    o["key_prefix"] = e.key_prefix.empty() ? Out(nullptr) : Out(e.key_prefix);
    j["events"].push_back(std::move(o));
  }
  return DumpOut(j);
}

std::string EncodeCaller(const control::Caller& caller) {
  Out j = Out::object();
  j["tenant"] = caller.tenant;
  j["role"] = caller.role;
  j["key_prefix"] = caller.key_prefix;
  j["user"] = caller.user;
  return DumpOut(j);
}

}  // namespace fastgpu::api
