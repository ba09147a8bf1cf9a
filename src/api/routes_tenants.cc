// Tenant API routes: /v1/keys, /v1/tenants, /v1/audit, /v1/whoami; and the audit decorator
// that records every mutating request of the user API. See routes.h.
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "api/json_codec_tenants.h"
#include "api/route_util.h"
#include "api/routes.h"
#include "control/auth.h"
#include "control/roles.h"

namespace fastgpu::api {
namespace {

using control::Controller;
constexpr size_t kMaxDetail = 300;

// Passes every call on to `inner` and, when the answer starts, writes one audit record with
// its status (and the error body, shortened, for a failure).
class AuditingResponder final : public Responder,
                                public std::enable_shared_from_this<AuditingResponder> {
 public:
  AuditingResponder(Controller& c, store::AuditRecord record, std::shared_ptr<Responder> inner)
      : c_(c), record_(std::move(record)), inner_(std::move(inner)) {}
  void Send(HttpResponse response) override {
    Record(response);
    inner_->Send(std::move(response));
  }
  void SendBuilt(std::function<HttpResponse()> build) override {
    inner_->SendBuilt([self = shared_from_this(), build = std::move(build)] {
      HttpResponse response = build();
      self->Record(response);
      return response;
    });
  }
  void StartStream(HttpResponse head) override {
    Record(head);
    inner_->StartStream(std::move(head));
  }
  bool Write(std::string chunk) override { return inner_->Write(std::move(chunk)); }
  void EndStream() override { inner_->EndStream(); }

 private:
  void Record(const HttpResponse& response) {
    if (recorded_) return;
    recorded_ = true;
    record_.status = response.status;
    if (response.status >= 400) record_.detail = response.body.substr(0, kMaxDetail);
    c_.RecordAudit(record_).IgnoreError();  // the answer matters more than its record
  }

  Controller& c_;
  store::AuditRecord record_;
  const std::shared_ptr<Responder> inner_;
  bool recorded_ = false;
};

Result<std::string> NameParam(const HttpRequest& r, std::string_view name) {
  std::optional<std::string_view> v = r.Param(name);
  if (!v || v->empty()) return InvalidArgument(std::string(name) + " is required", std::string(name));
  return std::string(*v);
}

void AddKeyRoutes(Controller& c, std::vector<Route>& routes) {
  routes.push_back({"POST", "/v1/keys", Sync([&c](const HttpRequest& r) -> Result<HttpResponse> {
                      FG_ASSIGN_OR_RETURN(control::Caller caller, AuthenticateUser(c, r));
                      FG_RETURN_IF_ERROR(control::Require(caller, control::Action::kAdmin,
                                                          "create API keys"));
                      FG_ASSIGN_OR_RETURN(control::KeyRequest req, ParseKeyRequest(r.body));
                      FG_ASSIGN_OR_RETURN(control::NewKey key, c.CreateKey(caller, req));
                      return JsonResponse(201, EncodeKey(key.record, &key.key));
                    })});
  routes.push_back({"GET", "/v1/keys", Sync([&c](const HttpRequest& r) -> Result<HttpResponse> {
                      FG_ASSIGN_OR_RETURN(control::Caller caller, AuthenticateUser(c, r));
                      std::string tenant(r.Query("tenant").value_or(""));
                      FG_ASSIGN_OR_RETURN(auto keys, c.ListKeys(caller, tenant));
                      std::map<std::string, int64_t> used;
                      for (const store::ApiKeyRecord& k : keys) {
                        if (k.budget_kind.empty() || k.revoked) continue;
                        FG_ASSIGN_OR_RETURN(used[k.prefix], c.KeyBudgetUsed(caller, k.prefix));
                      }
                      return JsonResponse(200, EncodeKeys(keys, used));
                    })});
  routes.push_back(
      {"PUT", "/v1/keys/:prefix", Sync([&c](const HttpRequest& r) -> Result<HttpResponse> {
         FG_ASSIGN_OR_RETURN(control::Caller caller, AuthenticateUser(c, r));
         FG_RETURN_IF_ERROR(control::Require(caller, control::Action::kAdmin, "change API keys"));
         FG_ASSIGN_OR_RETURN(std::string prefix, NameParam(r, "prefix"));
         FG_ASSIGN_OR_RETURN(control::KeyBudget budget, ParseKeyUpdate(r.body));
         FG_ASSIGN_OR_RETURN(store::ApiKeyRecord key, c.SetKeyBudget(caller, prefix, budget));
         FG_ASSIGN_OR_RETURN(int64_t used, c.KeyBudgetUsed(caller, prefix));
         return JsonResponse(200, EncodeKey(key, nullptr, used));
       })});
  routes.push_back(
      {"POST", "/v1/keys/:prefix/revoke", Sync([&c](const HttpRequest& r) -> Result<HttpResponse> {
         FG_ASSIGN_OR_RETURN(control::Caller caller, AuthenticateUser(c, r));
         FG_ASSIGN_OR_RETURN(std::string prefix, NameParam(r, "prefix"));
         FG_ASSIGN_OR_RETURN(store::ApiKeyRecord key, c.RevokeKey(caller, prefix));
         return JsonResponse(200, EncodeKey(key));
       })});
}

void AddTenantRoutes(Controller& c, std::vector<Route>& routes) {
  routes.push_back({"GET", "/v1/tenants", Sync([&c](const HttpRequest& r) -> Result<HttpResponse> {
                      FG_ASSIGN_OR_RETURN(control::Caller caller, AuthenticateUser(c, r));
                      FG_ASSIGN_OR_RETURN(auto tenants, c.ListTenants(caller));
                      return JsonResponse(200, EncodeTenants(tenants));
                    })});
  routes.push_back(
      {"GET", "/v1/tenants/:name", Sync([&c](const HttpRequest& r) -> Result<HttpResponse> {
         FG_ASSIGN_OR_RETURN(control::Caller caller, AuthenticateUser(c, r));
         FG_ASSIGN_OR_RETURN(std::string name, NameParam(r, "name"));
         FG_ASSIGN_OR_RETURN(control::TenantView tenant, c.GetTenant(caller, name));
         return JsonResponse(200, EncodeTenant(tenant));
       })});
  routes.push_back(
      {"PUT", "/v1/tenants/:name", Sync([&c](const HttpRequest& r) -> Result<HttpResponse> {
         FG_ASSIGN_OR_RETURN(control::Caller caller, AuthenticateUser(c, r));
         FG_ASSIGN_OR_RETURN(std::string name, NameParam(r, "name"));
         if (caller.tenant == name) {  // its own tenant: 403 unless admin
           FG_RETURN_IF_ERROR(
               control::Require(caller, control::Action::kAdmin, "change tenants"));
         }
         // Another tenant's is 404 to non-admins, as for a tenant that does not exist.
         FG_ASSIGN_OR_RETURN(control::TenantView current, c.GetTenant(caller, name));
         FG_RETURN_IF_ERROR(
             control::Require(caller, control::Action::kAdmin, "change tenants"));
         FG_ASSIGN_OR_RETURN(store::TenantRecord updated,
                             ParseTenantUpdate(r.body, std::move(current.record)));
         updated.name = name;
         FG_ASSIGN_OR_RETURN(control::TenantView tenant, c.PutTenant(caller, std::move(updated)));
         return JsonResponse(200, EncodeTenant(tenant));
       })});
  routes.push_back(
      {"GET", "/v1/tenants/:name/events", Sync([&c](const HttpRequest& r) -> Result<HttpResponse> {
         FG_ASSIGN_OR_RETURN(control::Caller caller, AuthenticateUser(c, r));
         FG_ASSIGN_OR_RETURN(std::string name, NameParam(r, "name"));
         FG_ASSIGN_OR_RETURN(auto events, c.ListBillingEvents(caller, name));
         return JsonResponse(200, EncodeBillingEvents(events));
       })});
}

void AddAuditRoutes(Controller& c, std::vector<Route>& routes) {
  routes.push_back({"GET", "/v1/audit", Sync([&c](const HttpRequest& r) -> Result<HttpResponse> {
                      FG_ASSIGN_OR_RETURN(control::Caller caller, AuthenticateUser(c, r));
                      store::AuditFilter filter;
                      filter.tenant = std::string(r.Query("tenant").value_or(""));
                      FG_ASSIGN_OR_RETURN(filter.before_id,
                                          QueryInt(r, "before", 0, 0, INT64_MAX));
                      FG_ASSIGN_OR_RETURN(int64_t limit, QueryInt(r, "limit", 100, 1, 1000));
                      filter.limit = static_cast<int32_t>(limit);
                      FG_ASSIGN_OR_RETURN(auto entries, c.ListAudit(caller, filter));
                      std::optional<int64_t> next;
                      if (static_cast<int64_t>(entries.size()) == limit) next = entries.back().id;
                      return JsonResponse(200, EncodeAudit(entries, next));
                    })});
  routes.push_back({"GET", "/v1/whoami", Sync([&c](const HttpRequest& r) -> Result<HttpResponse> {
                      FG_ASSIGN_OR_RETURN(control::Caller caller, AuthenticateUser(c, r));
                      return JsonResponse(200, EncodeCaller(caller));
                    })});
}

}  // namespace

std::vector<Route> TenantRoutes(Controller& controller) {
  std::vector<Route> routes;
  AddKeyRoutes(controller, routes);
  AddTenantRoutes(controller, routes);
  AddAuditRoutes(controller, routes);
  return routes;
}

Route Audited(Controller& c, Route route) {
  if (route.method == "GET") return route;
  route.handler = [&c, inner = std::move(route.handler)](const HttpRequest& request,
                                                         std::shared_ptr<Responder> out) {
    store::AuditRecord record;
    record.method = std::string(request.method);
    record.path = std::string(request.path);
    record.remote = request.remote;
    Result<std::string_view> token = BearerToken(request);
    if (token.ok()) {
      if (Result<control::Caller> caller = c.Authenticate(*token); caller.ok()) {
        record.key_prefix = caller->key_prefix;
        record.tenant = caller->tenant;
        record.user = caller->user;
        record.role = caller->role;
      } else if (std::optional<std::string> prefix = control::ApiKeyPrefix(*token)) {
        record.key_prefix = *prefix;  // who tried, though the key did not work
      }
    }
    inner(request, std::make_shared<AuditingResponder>(c, std::move(record), std::move(out)));
  };
  return route;
}

}  // namespace fastgpu::api
