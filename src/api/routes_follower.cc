// A follower's routes: health, the reads it serves from the database itself, and a redirect of
// everything else to the leader. See routes.h.
#include <nlohmann/json.hpp>

#include "api/json_codec.h"
#include "api/route_util.h"
#include "api/routes.h"
#include "common/clock.h"
#include "control/auth.h"
#include "control/roles.h"

namespace fastgpu::api {
namespace {

// The caller of a request, verified against the database on every request: a follower keeps
// no cache, so a key the leader revoked is refused here at once too.
Result<control::Caller> FollowerCaller(store::Store& store, const HttpRequest& request) {
  FG_ASSIGN_OR_RETURN(std::string_view key, BearerToken(request));
  FG_ASSIGN_OR_RETURN(store::ApiKeyRecord rec,
                      control::VerifyApiKey(store, key, SystemClock().Now().ms));
  return control::Caller{rec.tenant, rec.role, rec.prefix, rec.user};
}

// The job as committed, when the caller may read it (NotFound else, as on the leader).
Result<core::JobRecord> VisibleJob(store::Store& store, const HttpRequest& request) {
  FG_ASSIGN_OR_RETURN(control::Caller caller, FollowerCaller(store, request));
  FG_RETURN_IF_ERROR(control::Require(caller, control::Action::kReadJobs, "read jobs"));
  FG_ASSIGN_OR_RETURN(core::JobId id, JobIdParam(request));
  Result<core::JobRecord> job = store.GetJob(id);
  if (!job.ok() || !control::CanSeeJob(caller, job->tenant, job->key_prefix)) {
    return NotFound("job " + std::to_string(id) + " not found", "id");
  }
  return job;
}

}  // namespace

std::vector<Route> FollowerRoutes(LeaderUrlFn leader_url, store::Store* store) {
  std::vector<Route> routes;
  routes.push_back({"GET", "/healthz", Sync([leader_url](const HttpRequest&) -> Result<HttpResponse> {
                      const std::optional<std::string> leader = leader_url();
                      nlohmann::json body = {{"status", "ok"}, {"role", "follower"},
                                             {"leader", nullptr}};
                      if (leader) body["leader"] = *leader;
                      return JsonResponse(200, body.dump());
                    })});
  if (store == nullptr) return routes;
  routes.push_back(
      {"GET", "/v1/jobs/:id", Sync([store](const HttpRequest& r) -> Result<HttpResponse> {
         FG_ASSIGN_OR_RETURN(core::JobRecord job, VisibleJob(*store, r));
         return JsonResponse(200, EncodeJob(control::JobView{std::move(job), 0, {}}));
       })});
  routes.push_back(
      {"GET", "/v1/jobs/:id/events", Sync([store](const HttpRequest& r) -> Result<HttpResponse> {
         FG_ASSIGN_OR_RETURN(core::JobRecord job, VisibleJob(*store, r));
         FG_ASSIGN_OR_RETURN(std::vector<store::JobEvent> events, store->ListJobEvents(job.id));
         return JsonResponse(200, EncodeEvents(job.id, events));
       })});
  return routes;
}

RouteHandler FollowerRedirect(LeaderUrlFn leader_url) {
  return Sync([leader_url = std::move(leader_url)](
                  const HttpRequest& request) -> Result<HttpResponse> {
    const std::optional<std::string> leader = leader_url();
    if (!leader) {
      return Unavailable(
          "this server is a follower and no leader is known right now (an election is under "
          "way); retry in a second");
    }
    HttpResponse response = JsonResponse(307, nlohmann::json({{"leader", *leader}}).dump());
    // 307, not 302: the client repeats the method and the body at the new address.
    response.headers.emplace_back("Location", *leader + std::string(request.target));
    return response;
  });
}

}  // namespace fastgpu::api
