// Agent API routes (Bearer join token) under /v1/agent. See routes.h, protocol.md.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "api/json_codec.h"
#include "api/route_util.h"
#include "api/routes.h"

namespace fastgpu::api {
namespace {

using control::Controller;
using ResponderPtr = std::shared_ptr<Responder>;
constexpr int64_t kMaxI64 = std::numeric_limits<int64_t>::max();
constexpr int64_t kMaxI32 = std::numeric_limits<int32_t>::max();

void Register(Controller& c, const RouteOptions& options, const HttpRequest& request,
              ResponderPtr out) {
  if (Status auth = AuthenticateAgent(c, request); !auth.ok()) {
    return out->Send(ErrorResponse(auth));
  }
  Result<RegisterRequest> reg = ParseRegisterRequest(request.body);
  if (!reg.ok()) return out->Send(ErrorResponse(reg.error()));
  std::string name = reg->node.spec.name;
  c.RegisterNode(std::move(reg->node), std::move(reg->node_status),
                 [out, name = std::move(name), options](Status st) {
                   out->Send(st.ok() ? JsonResponse(200, EncodeRegisterReply(
                                                             name, options.heartbeat_ms,
                                                             options.node_grace_ms))
                                     : ErrorResponse(st));
                 });
}

void Report(Controller& c, const HttpRequest& request, ResponderPtr out) {
  if (Status auth = AuthenticateAgent(c, request); !auth.ok()) {
    return out->Send(ErrorResponse(auth));
  }
  Result<ReportRequest> report = ParseReportRequest(request.body);
  if (!report.ok()) return out->Send(ErrorResponse(report.error()));
  if (report->node_status) {
    if (Status st = c.SetNodeStatus(report->node, *report->node_status); !st.ok()) {
      return out->Send(ErrorResponse(st));
    }
  }
  if (report->telemetry) {
    // Taken at once (memory); a health change it brings is committed on its own, and a
    // failure there must not hide the attempts' acks: the next heartbeat sends it again.
    if (Status st = c.ReportTelemetry(report->node, std::move(*report->telemetry)); !st.ok()) {
      spdlog::warn("telemetry from {}: {}", report->node, st.ToString());
    }
  }
  // Answered on an HTTP thread: the callback runs on the store's writer after the commit.
  c.Report(report->node, std::move(report->attempts),
           [out](Result<std::vector<control::AttemptKey>> acked) {
             out->SendBuilt([acked = std::move(acked)] {
               return acked.ok() ? JsonResponse(200, EncodeAck(*acked))
                                 : ErrorResponse(acked.error());
             });
           });
}

Result<HttpResponse> AppendLogs(Controller& c, const HttpRequest& request) {
  FG_RETURN_IF_ERROR(AuthenticateAgent(c, request));
  FG_ASSIGN_OR_RETURN(std::string node, RequiredQuery(request, "node"));
  FG_ASSIGN_OR_RETURN(std::string job_text, RequiredQuery(request, "job"));
  FG_ASSIGN_OR_RETURN(core::JobId job, ParseInt(job_text, "job", 1, kMaxI64));
  FG_ASSIGN_OR_RETURN(std::string attempt_text, RequiredQuery(request, "attempt"));
  FG_ASSIGN_OR_RETURN(int64_t attempt, ParseInt(attempt_text, "attempt", 0, kMaxI32));
  FG_ASSIGN_OR_RETURN(control::LogStream stream, StreamQuery(request));
  FG_ASSIGN_OR_RETURN(std::string offset_text, RequiredQuery(request, "offset"));
  FG_ASSIGN_OR_RETURN(int64_t offset, ParseInt(offset_text, "offset", 0, kMaxI64));
  int64_t stored = -1;
  Result<int64_t> size =
      c.AppendLog(node, job, static_cast<int32_t>(attempt), stream, offset, request.body, &stored);
  if (size.ok()) return JsonResponse(200, EncodeLogSize(*size));
  if (size.error().code() == StatusCode::kFailedPrecondition && stored >= 0) {
    return JsonResponse(409, EncodeLogGap(size.error(), stored));
  }
  return size.error();
}

void WatchDesired(Controller& c, const RouteOptions& options, const HttpRequest& request,
                  ResponderPtr out) {
  auto fail = [&out](const Status& s) { out->Send(ErrorResponse(s)); };
  if (Status auth = AuthenticateAgent(c, request); !auth.ok()) return fail(auth);
  Result<std::string> node = RequiredQuery(request, "node");
  if (!node.ok()) return fail(node.error());
  Result<int64_t> version = QueryInt(request, "version", 0, 0, kMaxI64);
  if (!version.ok()) return fail(version.error());
  Result<int64_t> wait_ms = QueryInt(request, "wait_ms", 0, 0, kMaxI64);
  if (!wait_ms.ok()) return fail(wait_ms.error());
  const int64_t wait = std::min(*wait_ms, options.max_desired_wait_ms);
  // Encoded on an HTTP thread: a parked poll is answered from the store's writer.
  c.WatchDesired(*node, *version, wait, [out](Result<control::DesiredSet> desired) {
    out->SendBuilt([desired = std::move(desired)] {
      return desired.ok() ? JsonResponse(200, EncodeDesiredSet(*desired))
                          : ErrorResponse(desired.error());
    });
  });
}

}  // namespace

std::vector<Route> AgentRoutes(Controller& c, const RouteOptions& options) {
  std::vector<Route> routes;
  routes.push_back({"POST", "/v1/agent/register",
                    [&c, options](const HttpRequest& r, ResponderPtr out) {
                      Register(c, options, r, std::move(out));
                    }});
  routes.push_back(
      {"GET", "/v1/agent/desired", [&c, options](const HttpRequest& r, ResponderPtr out) {
         WatchDesired(c, options, r, std::move(out));
       }});
  routes.push_back({"POST", "/v1/agent/report", [&c](const HttpRequest& r, ResponderPtr out) {
                      Report(c, r, std::move(out));
                    }});
  routes.push_back(
      {"POST", "/v1/agent/logs", Sync([&c](const HttpRequest& r) { return AppendLogs(c, r); })});
  return routes;
}

}  // namespace fastgpu::api
