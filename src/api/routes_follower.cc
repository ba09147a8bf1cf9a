// A follower's routes: health, and a redirect of everything else to the leader. See routes.h.
#include <nlohmann/json.hpp>

#include "api/route_util.h"
#include "api/routes.h"

namespace fastgpu::api {

std::vector<Route> FollowerRoutes(LeaderUrlFn leader_url) {
  std::vector<Route> routes;
  routes.push_back({"GET", "/healthz", Sync([leader_url](const HttpRequest&) -> Result<HttpResponse> {
                      const std::optional<std::string> leader = leader_url();
                      nlohmann::json body = {{"status", "ok"}, {"role", "follower"},
                                             {"leader", nullptr}};
                      if (leader) body["leader"] = *leader;
                      return JsonResponse(200, body.dump());
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
