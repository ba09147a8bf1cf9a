// Node routes of the user API: list, get, cordon, uncordon, drain. See routes.h, protocol.md.
#include <string>
#include <utility>

#include "api/json_codec.h"
#include "api/route_util.h"
#include "api/routes.h"

namespace fastgpu::api {
namespace {

using control::Controller;
using ResponderPtr = std::shared_ptr<Responder>;

RouteHandler NodeAction(Controller& c, const RouteOptions& options, control::NodeAction action) {
  return [&c, limiter = options.limiter, action](const HttpRequest& r, ResponderPtr out) {
    Result<control::Caller> caller = AuthenticateUser(c, r, limiter);
    if (!caller.ok()) return out->Send(ErrorResponse(caller.error()));
    const std::string name(r.Param("name").value_or(""));
    c.SetNodeAction(*caller, name, action, [out](Result<control::NodeView> node) {
      out->Send(node.ok() ? JsonResponse(200, EncodeNode(*node)) : ErrorResponse(node.error()));
    });
  };
}

}  // namespace

std::vector<Route> NodeRoutes(Controller& c, const RouteOptions& options) {
  RateLimiter* limiter = options.limiter;
  std::vector<Route> routes;
  routes.push_back(
      {"GET", "/v1/nodes", Sync([&c, limiter](const HttpRequest& r) -> Result<HttpResponse> {
         FG_RETURN_IF_ERROR(AuthenticateUser(c, r, limiter).status());
         return JsonResponse(200, EncodeNodes(c.ListNodes()));
       })});
  routes.push_back(
      {"GET", "/v1/nodes/:name", Sync([&c, limiter](const HttpRequest& r) -> Result<HttpResponse> {
         FG_RETURN_IF_ERROR(AuthenticateUser(c, r, limiter).status());
         FG_ASSIGN_OR_RETURN(control::NodeView node,
                             c.GetNode(std::string(r.Param("name").value_or(""))));
         return JsonResponse(200, EncodeNode(node));
       })});
  routes.push_back(
      {"POST", "/v1/nodes/:name/cordon", NodeAction(c, options, control::NodeAction::kCordon)});
  routes.push_back(
      {"POST", "/v1/nodes/:name/uncordon", NodeAction(c, options, control::NodeAction::kUncordon)});
  routes.push_back(
      {"POST", "/v1/nodes/:name/drain", NodeAction(c, options, control::NodeAction::kDrain)});
  return routes;
}

}  // namespace fastgpu::api
