#pragma once
// JSON <-> structs for the HTTP API (docs/api/protocol.md). The only place, with the route
// files, that touches nlohmann::json; this header keeps it out of every includer.
//
// Decoders are strict: malformed JSON is InvalidArgument with field "body"; an unknown member
// is InvalidArgument naming it ("resources.gpu", "devices[0].serial"); a member of the wrong
// type or out of range is InvalidArgument naming it. They never throw.
// Encoders produce compact JSON; strings that are not valid UTF-8 are repaired (U+FFFD), so
// they never throw either. Pure functions, safe from any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "control/controller.h"
#include "core/model/job.h"
#include "core/model/telemetry.h"

namespace fastgpu::api {

// ---- user API ----

// Parses a POST /v1/jobs body into a JobSpec. `resources.gpus` maps as protocol.md says:
// 0 or absent -> no GPU (or, with gpu_memory_mib > 0, one memory-only slice: gpu_count 1,
// gpu_milli 0); a whole n in 1..1024 -> gpu_count n, gpu_milli 1000; a fraction f in (0,1)
// with at most 3 decimals -> gpu_count 1, gpu_milli f*1000. `cpus` becomes cpu_milli.
// `array` (optional): where the body's "array" ("0-99%8", a job array) goes; the controller
// checks it. Without it, a body with "array" is refused.
Result<core::JobSpec> ParseSubmitRequest(std::string_view body, std::string* array = nullptr);

// The "gpus" number echoed for a request: 0, a whole count, or the fraction milli/1000.
double GpusOf(const core::ResourceRequest& request);

std::string EncodeJob(const control::JobView& job);
// {"jobs":[...],"next":ID|null}
std::string EncodeJobPage(const control::JobPage& page);
// {"nodes":[...]}
std::string EncodeNodes(const std::vector<control::NodeView>& nodes);
// One node object: {"name","state","ready","cordoned","draining","jobs",...}
std::string EncodeNode(const control::NodeView& node);
// {"job":ID,"events":[{"type","time_ms","state","attempt","node","devices","reason",
// "exit_code"}...]}
std::string EncodeEvents(core::JobId job, const std::vector<store::JobEvent>& events);
// {"gpus":[...],"summary":{...}}
std::string EncodePool(const control::PoolView& pool);

// ---- agent API ----

struct RegisterRequest {
  core::NodeRecord node;                           // spec, simulated; devices sorted by index
  std::optional<control::NodeStatus> node_status;  // the agent's health and isolation
};
// POST /v1/agent/register body; "node_status" has the shape of the report's.
Result<RegisterRequest> ParseRegisterRequest(std::string_view body);
// {"node":NAME,"heartbeat_ms":H,"node_grace_ms":G}
std::string EncodeRegisterReply(const std::string& node, int64_t heartbeat_ms,
                                int64_t node_grace_ms);

struct ReportRequest {
  std::string node;
  std::vector<control::AttemptReport> attempts;
  std::optional<core::NodeTelemetry> telemetry;  // GPU telemetry, sent with heartbeats
  std::optional<control::NodeStatus> node_status;  // the agent's health and isolation
};
// POST /v1/agent/report body. "telemetry" is strict about types but ignores unknown members
// (json_telemetry.h).
Result<ReportRequest> ParseReportRequest(std::string_view body);
// {"ack":[{"job":J,"attempt":A}...]}
std::string EncodeAck(const std::vector<control::AttemptKey>& acked);

// {"version":V,"attempts":[...]} for GET /v1/agent/desired.
std::string EncodeDesiredSet(const control::DesiredSet& desired);

// {"size":S}
std::string EncodeLogSize(int64_t size);
// The error body of `status` plus "size": S (409 answer to a log append that leaves a gap).
std::string EncodeLogGap(const Status& status, int64_t size);

// ---- misc ----

// `text` as a JSON string literal, quotes included.
std::string JsonQuote(std::string_view text);

}  // namespace fastgpu::api
