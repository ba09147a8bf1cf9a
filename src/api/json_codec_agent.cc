// JSON codec, agent API half: register/report bodies in, desired sets and acks out.
// See json_codec.h.
#include <algorithm>
#include <limits>

#include "api/json_codec.h"
#include "api/json_telemetry.h"
#include "api/json_util.h"
#include "api/status_http.h"

namespace fastgpu::api {
namespace {

using json_util::GetInt;
using json_util::GetString;
using json_util::Json;
using Out = nlohmann::ordered_json;

constexpr int64_t kMaxI32 = std::numeric_limits<int32_t>::max();
constexpr int64_t kMaxI64 = std::numeric_limits<int64_t>::max();

bool Present(const Json& object, const char* key) {
  return object.contains(key) && !object[key].is_null();
}

std::string Dump(const Out& j) { return j.dump(-1, ' ', false, Out::error_handler_t::replace); }

Result<core::DeviceSpec> ParseDevice(const Json& value, const std::string& field) {
  if (!value.is_object()) return InvalidArgument(field + " must be an object", field);
  FG_RETURN_IF_ERROR(
      json_util::CheckKnownKeys(value, {"index", "uuid", "model", "memory_mib", "healthy"}, field + "."));
  core::DeviceSpec d;
  if (!Present(value, "index")) return InvalidArgument("index is required", field + ".index");
  FG_ASSIGN_OR_RETURN(int64_t index, GetInt(value["index"], field + ".index", 0, 1 << 20));
  d.index = static_cast<int32_t>(index);
  if (Present(value, "uuid")) {
    FG_ASSIGN_OR_RETURN(d.uuid, GetString(value["uuid"], field + ".uuid"));
  }
  if (Present(value, "model")) {
    FG_ASSIGN_OR_RETURN(d.model, GetString(value["model"], field + ".model"));
  }
  if (Present(value, "memory_mib")) {
    FG_ASSIGN_OR_RETURN(d.memory_mib,
                        GetInt(value["memory_mib"], field + ".memory_mib", 0, kMaxI64));
  }
  if (Present(value, "healthy")) {
    FG_ASSIGN_OR_RETURN(d.healthy, json_util::GetBool(value["healthy"], field + ".healthy"));
  }
  return d;
}

Result<std::optional<int32_t>> OptionalI32(const Json& obj, const char* key,
                                           const std::string& field) {
  if (!Present(obj, key)) return std::optional<int32_t>();
  FG_ASSIGN_OR_RETURN(int64_t v, GetInt(obj[key], field, -kMaxI32 - 1, kMaxI32));
  return std::optional<int32_t>(static_cast<int32_t>(v));
}

Result<control::AttemptReport> ParseAttempt(const Json& value, const std::string& field) {
  if (!value.is_object()) return InvalidArgument(field + " must be an object", field);
  FG_RETURN_IF_ERROR(json_util::CheckKnownKeys(value,
                                               {"job", "attempt", "state", "pid", "exit_code",
                                                "signal", "started_ms", "finished_ms", "error",
                                                "oom_killed", "timed_out", "lost"},
                                               field + "."));
  control::AttemptReport r;
  for (const char* required : {"job", "attempt", "state"}) {
    if (!Present(value, required)) {
      return InvalidArgument(std::string(required) + " is required", field + "." + required);
    }
  }
  FG_ASSIGN_OR_RETURN(r.job, GetInt(value["job"], field + ".job", 1, kMaxI64));
  FG_ASSIGN_OR_RETURN(int64_t attempt, GetInt(value["attempt"], field + ".attempt", 0, kMaxI32));
  r.attempt = static_cast<int32_t>(attempt);
  FG_ASSIGN_OR_RETURN(std::string state, GetString(value["state"], field + ".state"));
  if (state != "running" && state != "exited") {
    return InvalidArgument("state must be \"running\" or \"exited\"", field + ".state");
  }
  r.exited = state == "exited";
  if (Present(value, "pid")) {
    FG_ASSIGN_OR_RETURN(int64_t pid, GetInt(value["pid"], field + ".pid", 0, kMaxI32));
    r.pid = static_cast<int32_t>(pid);
  }
  FG_ASSIGN_OR_RETURN(r.exit_code, OptionalI32(value, "exit_code", field + ".exit_code"));
  FG_ASSIGN_OR_RETURN(r.signal, OptionalI32(value, "signal", field + ".signal"));
  if (Present(value, "started_ms")) {
    FG_ASSIGN_OR_RETURN(r.started_ms,
                        GetInt(value["started_ms"], field + ".started_ms", 0, kMaxI64));
  }
  if (Present(value, "finished_ms")) {
    FG_ASSIGN_OR_RETURN(r.finished_ms,
                        GetInt(value["finished_ms"], field + ".finished_ms", 0, kMaxI64));
  }
  if (Present(value, "error")) {
    FG_ASSIGN_OR_RETURN(r.error, GetString(value["error"], field + ".error"));
  }
  if (Present(value, "oom_killed")) {
    if (!value["oom_killed"].is_boolean()) {
      return InvalidArgument("oom_killed must be a boolean", field + ".oom_killed");
    }
    r.oom_killed = value["oom_killed"].get<bool>();
  }
  if (Present(value, "lost")) {
    FG_ASSIGN_OR_RETURN(r.lost, json_util::GetBool(value["lost"], field + ".lost"));
  }
  if (Present(value, "timed_out")) {
    FG_ASSIGN_OR_RETURN(r.timed_out, json_util::GetBool(value["timed_out"], field + ".timed_out"));
  }
  return r;
}

Result<control::NodeStatus> ParseNodeStatus(const Json& value) {
  const std::string field = "node_status";
  if (!value.is_object()) return InvalidArgument(field + " must be an object", field);
  FG_RETURN_IF_ERROR(json_util::CheckKnownKeys(
      value, {"healthy", "health_message", "isolation", "isolates_tenants", "warnings"},
      field + "."));
  control::NodeStatus s;
  if (Present(value, "healthy")) {
    FG_ASSIGN_OR_RETURN(s.healthy, json_util::GetBool(value["healthy"], field + ".healthy"));
  }
  if (Present(value, "health_message")) {
    FG_ASSIGN_OR_RETURN(s.health_message,
                        GetString(value["health_message"], field + ".health_message"));
  }
  if (Present(value, "isolation")) {
    FG_ASSIGN_OR_RETURN(s.isolation,
                        json_util::GetStringMap(value["isolation"], field + ".isolation"));
  }
  if (Present(value, "isolates_tenants")) {
    FG_ASSIGN_OR_RETURN(s.isolates_tenants,
                        json_util::GetBool(value["isolates_tenants"], field + ".isolates_tenants"));
  }
  if (Present(value, "warnings")) {
    FG_ASSIGN_OR_RETURN(s.warnings,
                        json_util::GetStringArray(value["warnings"], field + ".warnings"));
  }
  return s;
}

}  // namespace

Result<RegisterRequest> ParseRegisterRequest(std::string_view body) {
  FG_ASSIGN_OR_RETURN(Json obj, json_util::ParseObject(body));
  FG_RETURN_IF_ERROR(json_util::CheckKnownKeys(
      obj, {"name", "simulated", "cpu_milli", "memory_mib", "labels", "devices", "node_status"},
      ""));
  RegisterRequest out;
  core::NodeRecord& node = out.node;
  if (!Present(obj, "name")) return InvalidArgument("name is required", "name");
  FG_ASSIGN_OR_RETURN(node.spec.name, GetString(obj["name"], "name"));
  if (node.spec.name.empty()) return InvalidArgument("name must not be empty", "name");
  if (Present(obj, "simulated")) {
    FG_ASSIGN_OR_RETURN(node.simulated, json_util::GetBool(obj["simulated"], "simulated"));
  }
  if (Present(obj, "cpu_milli")) {
    FG_ASSIGN_OR_RETURN(int64_t v, GetInt(obj["cpu_milli"], "cpu_milli", 0, kMaxI32));
    node.spec.cpu_milli = static_cast<int32_t>(v);
  }
  if (Present(obj, "memory_mib")) {
    FG_ASSIGN_OR_RETURN(node.spec.memory_mib, GetInt(obj["memory_mib"], "memory_mib", 0, kMaxI64));
  }
  if (Present(obj, "labels")) {
    FG_ASSIGN_OR_RETURN(node.spec.labels, json_util::GetStringMap(obj["labels"], "labels"));
  }
  if (Present(obj, "devices")) {
    const Json& devices = obj["devices"];
    if (!devices.is_array()) return InvalidArgument("devices must be an array", "devices");
    for (size_t i = 0; i < devices.size(); ++i) {
      FG_ASSIGN_OR_RETURN(core::DeviceSpec d,
                          ParseDevice(devices[i], "devices[" + std::to_string(i) + "]"));
      node.spec.devices.push_back(std::move(d));
    }
    std::sort(
        node.spec.devices.begin(), node.spec.devices.end(),
        [](const core::DeviceSpec& a, const core::DeviceSpec& b) { return a.index < b.index; });
  }
  if (Present(obj, "node_status")) {
    FG_ASSIGN_OR_RETURN(out.node_status, ParseNodeStatus(obj["node_status"]));
  }
  return out;
}

std::string EncodeRegisterReply(const std::string& node, int64_t heartbeat_ms,
                                int64_t node_grace_ms) {
  Out j = Out::object();
  j["node"] = node;
  j["heartbeat_ms"] = heartbeat_ms;
  j["node_grace_ms"] = node_grace_ms;
  return Dump(j);
}

Result<ReportRequest> ParseReportRequest(std::string_view body) {
  FG_ASSIGN_OR_RETURN(Json obj, json_util::ParseObject(body));
  FG_RETURN_IF_ERROR(
      json_util::CheckKnownKeys(obj, {"node", "attempts", "telemetry", "node_status"}, ""));
  ReportRequest out;
  if (!Present(obj, "node")) return InvalidArgument("node is required", "node");
  FG_ASSIGN_OR_RETURN(out.node, GetString(obj["node"], "node"));
  if (out.node.empty()) return InvalidArgument("node must not be empty", "node");
  if (Present(obj, "attempts")) {
    const Json& attempts = obj["attempts"];
    if (!attempts.is_array()) return InvalidArgument("attempts must be an array", "attempts");
    for (size_t i = 0; i < attempts.size(); ++i) {
      FG_ASSIGN_OR_RETURN(control::AttemptReport r,
                          ParseAttempt(attempts[i], "attempts[" + std::to_string(i) + "]"));
      out.attempts.push_back(std::move(r));
    }
  }
  if (Present(obj, "telemetry")) {
    FG_ASSIGN_OR_RETURN(out.telemetry, ParseTelemetry(obj["telemetry"]));
  }
  if (Present(obj, "node_status")) {
    FG_ASSIGN_OR_RETURN(out.node_status, ParseNodeStatus(obj["node_status"]));
  }
  return out;
}

std::string EncodeAck(const std::vector<control::AttemptKey>& acked) {
  Out j = Out::object();
  j["ack"] = Out::array();
  for (const control::AttemptKey& k : acked) {
    Out a = Out::object();
    a["job"] = k.job;
    a["attempt"] = k.attempt;
    j["ack"].push_back(std::move(a));
  }
  return Dump(j);
}

std::string EncodeDesiredSet(const control::DesiredSet& desired) {
  Out j = Out::object();
  j["version"] = desired.version;
  j["attempts"] = Out::array();
  for (const control::DesiredAttempt& a : desired.attempts) {
    Out o = Out::object();
    o["job"] = a.job;
    o["attempt"] = a.attempt;
    o["name"] = a.spec.name;
    o["tenant"] = a.tenant;
    o["argv"] = a.spec.argv;
    o["env"] = Out::object();
    for (const auto& [k, v] : a.spec.env) o["env"][k] = v;
    o["workdir"] = a.spec.workdir;
    o["devices"] = Out::array();
    for (const core::DeviceGrant& g : a.placement.devices) {
      Out d = Out::object();
      d["index"] = g.index;
      d["uuid"] = g.uuid;
      d["milli"] = g.slice.milli;
      d["memory_mib"] = g.slice.memory_mib;
      o["devices"].push_back(std::move(d));
    }
    o["cpu_milli"] = a.placement.cpu_milli;
    o["memory_mib"] = a.placement.memory_mib;
    o["time_limit_s"] = a.spec.time_limit_s;
    if (!a.spec.stop_signal.empty()) o["stop_signal"] = a.spec.stop_signal;
    if (a.spec.keep_outputs) o["keep_outputs"] = true;
    if (a.world_size > 1) {  // one rank of a multi-node job (docs/queueing.md)
      o["rank"] = a.rank;
      o["world_size"] = a.world_size;
      o["master_addr"] = a.master_addr;
      o["master_port"] = a.master_port;
    }
    j["attempts"].push_back(std::move(o));
  }
  return Dump(j);
}

std::string EncodeLogSize(int64_t size) {
  Out j = Out::object();
  j["size"] = size;
  return Dump(j);
}

std::string EncodeLogGap(const Status& status, int64_t size) {
  Out err = Out::object();
  err["code"] = ErrorCodeName(status.code());
  err["message"] = status.message();
  if (!status.field().empty()) err["field"] = status.field();
  Out j = Out::object();
  j["error"] = std::move(err);
  j["size"] = size;
  return Dump(j);
}

}  // namespace fastgpu::api
