// User API routes (Bearer API key), /healthz and /gpu/resource. See routes.h, protocol.md.
#include <limits>
#include <string>
#include <utility>

#include "api/json_codec.h"
#include "api/rate_limiter.h"
#include "api/route_util.h"
#include "api/routes.h"

namespace fastgpu::api {
namespace {

using control::Controller;
using ResponderPtr = std::shared_ptr<Responder>;
constexpr int64_t kMaxI64 = std::numeric_limits<int64_t>::max();
constexpr char kJobStateHeader[] = "X-Fastgpu-Job-State";
constexpr char kIdempotencyKey[] = "Idempotency-Key";

Result<store::JobFilter> ParseJobFilter(const HttpRequest& request) {
  store::JobFilter filter;
  if (std::optional<std::string_view> states = request.Query("state"); states.has_value()) {
    if (*states == "active") {
      filter.states = {core::JobState::kPending, core::JobState::kScheduled,
                       core::JobState::kRunning};
    } else {
      std::string_view rest = *states;
      while (!rest.empty()) {
        const size_t comma = rest.find(',');
        std::string_view name = rest.substr(0, comma);
        core::JobState state;
        if (!core::ParseJobState(name, &state)) {
          return InvalidArgument("unknown job state \"" + std::string(name) +
                                     "\"; use pending, scheduled, running, succeeded, failed, "
                                     "cancelled or active",
                                 "state");
        }
        filter.states.push_back(state);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
    }
  }
  FG_ASSIGN_OR_RETURN(int64_t limit, QueryInt(request, "limit", 100, 1, 1000));
  filter.limit = static_cast<int32_t>(limit);
  FG_ASSIGN_OR_RETURN(filter.after_id, QueryInt(request, "after", 0, 0, kMaxI64));
  return filter;
}

void GetLogs(Controller& c, const RouteOptions& options, const HttpRequest& request,
             ResponderPtr out) {
  auto fail = [&out](const Status& s) { out->Send(ErrorResponse(s)); };
  Result<control::Caller> caller = AuthenticateUser(c, request, options.limiter);
  if (!caller.ok()) return fail(caller.error());
  Result<core::JobId> id = JobIdParam(request);
  if (!id.ok()) return fail(id.error());
  Result<control::LogStream> stream = StreamQuery(request);
  if (!stream.ok()) return fail(stream.error());
  Result<int64_t> offset = QueryInt(request, "offset", 0, 0, kMaxI64);
  if (!offset.ok()) return fail(offset.error());
  Result<bool> follow = QueryBool(request, "follow", false);
  if (!follow.ok()) return fail(follow.error());
  Result<control::JobView> job = c.GetJob(*caller, *id);
  if (!job.ok()) return fail(job.error());

  HttpResponse head;
  head.content_type = "text/plain";
  head.headers.emplace_back(kJobStateHeader, std::string(core::JobStateName(job->record.state)));
  if (!*follow) {
    bool ended = false;
    Result<std::string> data =
        c.ReadLog(*caller, *id, *stream, *offset, options.max_log_read_bytes, &ended);
    if (!data.ok()) return fail(data.error());
    head.body = std::move(data).value();
    return out->Send(std::move(head));
  }
  Status followed =
      c.FollowLog(*caller, *id, *stream, *offset, [out, head](std::string_view chunk, bool ended) {
        out->StartStream(head);
        const bool open = out->Write(std::string(chunk));
        if (ended) out->EndStream();
        return open && !ended;
      });
  if (!followed.ok()) {
    out->Send(ErrorResponse(followed));  // ignored when the stream already started
    out->EndStream();
    return;
  }
  out->StartStream(std::move(head));  // headers now, even before the first bytes
}

// Sends the job of a JobDone as `status` (201 for a submit, 200 else), or the error.
Controller::JobDone JobAnswer(ResponderPtr out, int status) {
  // Encoded on an HTTP thread: this runs on the store's writer once the job is committed.
  return [out = std::move(out), status](Result<control::JobView> job) {
    out->SendBuilt([status, job = std::move(job)] {
      return job.ok() ? JsonResponse(status, EncodeJob(*job)) : ErrorResponse(job.error());
    });
  };
}

void SubmitJob(Controller& c, const RouteOptions& options, const HttpRequest& r, ResponderPtr out) {
  Result<control::Caller> caller = AuthenticateUser(c, r, options.limiter);
  if (!caller.ok()) return out->Send(ErrorResponse(caller.error()));
  control::SubmitOptions submit;
  Result<core::JobSpec> spec = ParseSubmitRequest(r.body, &submit.array);
  if (!spec.ok()) return out->Send(ErrorResponse(spec.error()));
  if (std::optional<std::string_view> key = r.Header(kIdempotencyKey)) {
    submit.idempotency_key = std::string(*key);
  }
  c.Submit(*caller, std::move(spec).value(), submit, JobAnswer(std::move(out), 201));
}

void CancelJob(Controller& c, const RouteOptions& options, const HttpRequest& r, ResponderPtr out) {
  Result<control::Caller> caller = AuthenticateUser(c, r, options.limiter);
  if (!caller.ok()) return out->Send(ErrorResponse(caller.error()));
  Result<core::JobId> id = JobIdParam(r);
  if (!id.ok()) return out->Send(ErrorResponse(id.error()));
  c.Cancel(*caller, *id, JobAnswer(std::move(out), 200));
}

}  // namespace

std::vector<Route> UserRoutes(Controller& c, const RouteOptions& options) {
  std::vector<Route> routes;
  routes.push_back({"GET", "/healthz", Sync([](const HttpRequest&) -> Result<HttpResponse> {
                      return JsonResponse(200, R"({"status":"ok"})");
                    })});
  if (metrics::Registry* registry = options.metrics) {
    routes.push_back(
        {"GET", "/metrics", Sync([registry](const HttpRequest&) -> Result<HttpResponse> {
           HttpResponse r;
           r.content_type = "text/plain; version=0.0.4; charset=utf-8";
           r.body = registry->Render();
           return r;
         })});
  }
  routes.push_back({"POST", "/v1/jobs", [&c, options](const HttpRequest& r, ResponderPtr out) {
                      SubmitJob(c, options, r, std::move(out));
                    }});
  RateLimiter* limiter = options.limiter;
  routes.push_back(
      {"GET", "/v1/jobs", Sync([&c, limiter](const HttpRequest& r) -> Result<HttpResponse> {
         FG_ASSIGN_OR_RETURN(control::Caller caller, AuthenticateUser(c, r, limiter));
         FG_ASSIGN_OR_RETURN(store::JobFilter filter, ParseJobFilter(r));
         FG_ASSIGN_OR_RETURN(control::JobPage page, c.ListJobs(caller, filter));
         return JsonResponse(200, EncodeJobPage(page));
       })});
  routes.push_back(
      {"GET", "/v1/jobs/:id", Sync([&c, limiter](const HttpRequest& r) -> Result<HttpResponse> {
         FG_ASSIGN_OR_RETURN(control::Caller caller, AuthenticateUser(c, r, limiter));
         FG_ASSIGN_OR_RETURN(core::JobId id, JobIdParam(r));
         FG_ASSIGN_OR_RETURN(control::JobView job, c.GetJob(caller, id));
         return JsonResponse(200, EncodeJob(job));
       })});
  routes.push_back(
      {"POST", "/v1/jobs/:id/cancel", [&c, options](const HttpRequest& r, ResponderPtr out) {
         CancelJob(c, options, r, std::move(out));
       }});
  routes.push_back({"GET", "/v1/jobs/:id/events",
                    Sync([&c, limiter](const HttpRequest& r) -> Result<HttpResponse> {
                      FG_ASSIGN_OR_RETURN(control::Caller caller, AuthenticateUser(c, r, limiter));
                      FG_ASSIGN_OR_RETURN(core::JobId id, JobIdParam(r));
                      FG_ASSIGN_OR_RETURN(std::vector<store::JobEvent> events,
                                          c.JobEvents(caller, id));
                      return JsonResponse(200, EncodeEvents(id, events));
                    })});
  routes.push_back(
      {"GET", "/v1/jobs/:id/logs", [&c, options](const HttpRequest& r, ResponderPtr out) {
         GetLogs(c, options, r, std::move(out));
       }});
  for (Route& route : NodeRoutes(c, options)) routes.push_back(std::move(route));
  auto pool = Sync([&c, limiter](const HttpRequest& r) -> Result<HttpResponse> {
    FG_ASSIGN_OR_RETURN(control::Caller caller, AuthenticateUser(c, r, limiter));
    return JsonResponse(200, EncodePool(c.Pool(caller)));
  });
  routes.push_back({"GET", "/v1/gpus", pool});
  routes.push_back({"GET", "/gpu/resource", pool});
  for (Route& r : TenantRoutes(c)) routes.push_back(std::move(r));
  for (Route& r : UsageRoutes(c)) routes.push_back(std::move(r));
  for (Route& r : routes) r = Audited(c, std::move(r));
  return routes;
}

std::vector<Route> AllRoutes(Controller& controller, const RouteOptions& options) {
  std::vector<Route> routes = UserRoutes(controller, options);
  for (Route& r : AgentRoutes(controller, options)) routes.push_back(std::move(r));
  for (Route& r : WebRoutes()) routes.push_back(std::move(r));
  return routes;
}

}  // namespace fastgpu::api
