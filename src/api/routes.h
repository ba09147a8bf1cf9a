#pragma once
// The routes of docs/api/protocol.md, as handlers over a Controller. Handlers only translate:
// authenticate, parse, call the controller, encode; they never hold a lock or block beyond the
// controller call, and long polls and log follows answer later from the controller's callback.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/http_types.h"
#include "control/controller.h"

namespace fastgpu::api {

class RateLimiter;

struct RouteOptions {
  int64_t heartbeat_ms = 2000;            // told to agents at register
  int64_t node_grace_ms = 10000;          // told to agents at register (they fence after it)
  int64_t max_log_read_bytes = 64 << 20;  // one non-follow log read
  int64_t max_desired_wait_ms = 30000;    // long poll cap
  RateLimiter* limiter = nullptr;         // per-key limits of the user API; nullptr: none
  metrics::Registry* metrics = nullptr;   // served at GET /metrics; nullptr: no such route
};

// User API (Bearer API key), /healthz, /metrics and /gpu/resource, with the tenant API; every
// mutating route is Audited(). `controller` (and the options' limiter and metrics) must outlive
// the routes.
std::vector<Route> UserRoutes(control::Controller& controller, const RouteOptions& options);
// Node routes of the user API: GET /v1/nodes[/:name], POST /v1/nodes/:name/{cordon,uncordon,
// drain}.
std::vector<Route> NodeRoutes(control::Controller& controller, const RouteOptions& options);
// Tenant API (keys, tenants, audit, whoami); part of UserRoutes().
std::vector<Route> TenantRoutes(control::Controller& controller);
// Metering API (usage, prices); part of UserRoutes().
std::vector<Route> UsageRoutes(control::Controller& controller);
// `route` with every non-GET request recorded in the audit log (who, what, when, from where,
// the status answered). GET routes are returned unchanged.
Route Audited(control::Controller& controller, Route route);
// Agent API (Bearer join token) under /v1/agent. `controller` must outlive the routes.
std::vector<Route> AgentRoutes(control::Controller& controller, const RouteOptions& options);
// The dashboard (static files compiled in, no key needed): GET / and GET /ui/:version/:asset.
std::vector<Route> WebRoutes();
// The three lists.
std::vector<Route> AllRoutes(control::Controller& controller, const RouteOptions& options);

// The leader's URL ("http://10.0.0.2:8080") while one is known; nullopt during an election.
using LeaderUrlFn = std::function<std::optional<std::string>()>;
// A follower's routes (several servers on one database, server/leadership.h): GET /healthz
// answers {"status":"ok","role":"follower","leader":URL|null}; with a store, the follower also
// serves GET /v1/jobs/:id and /v1/jobs/:id/events itself, from what the leader committed
// (keys verified against the store on each request; queue_position and metered usage show
// only on the leader). `store` must outlive the routes.
std::vector<Route> FollowerRoutes(LeaderUrlFn leader_url, store::Store* store = nullptr);
// A follower's answer to every other request: 307 to the same path and query on the leader
// (clients resend the method and body there), with {"leader": URL} as body; 503 (Retry-After:
// 1) naming the election when no leader is known. For HttpServerOptions::fallback.
RouteHandler FollowerRedirect(LeaderUrlFn leader_url);

}  // namespace fastgpu::api
