// JSON codec, user API half: submit bodies in, jobs/nodes/pool out. See json_codec.h.
#include "api/json_codec.h"

#include <cmath>
#include <limits>

#include "api/json_deps.h"
#include "api/json_telemetry.h"
#include "api/json_util.h"
#include "core/model/gang.h"

namespace fastgpu::api {
namespace {

using json_util::GetInt;
using json_util::GetString;
using json_util::Json;
using Out = nlohmann::ordered_json;  // encoders keep the protocol's member order

constexpr int64_t kMaxMiB = int64_t{1} << 40;
constexpr int64_t kMaxNodes = 1024;  // nodes of one multi-node job
constexpr int64_t kMaxGpus = 1024;
constexpr char kGpusRule[] =
    "resources.gpus must be a number: 0, a whole count 1..1024, or a fraction in (0,1) with "
    "at most 3 decimals";

// `gpus` as total milli-GPUs: 0, n*1000 for a whole n, or 1..999 for a fraction.
Result<int64_t> ParseGpusMilli(const Json& value) {
  const std::string field = "resources.gpus";
  if (value.is_number_integer()) {
    if (value.is_number_unsigned() && value.get<uint64_t>() > uint64_t{kMaxGpus}) {
      return InvalidArgument(kGpusRule, field);
    }
    const int64_t n = value.get<int64_t>();
    if (n < 0 || n > kMaxGpus) return InvalidArgument(kGpusRule, field);
    return n * 1000;
  }
  if (!value.is_number_float()) return InvalidArgument(kGpusRule, field);
  const double d = value.get<double>();
  if (!std::isfinite(d) || d < 0) return InvalidArgument(kGpusRule, field);
  if (d == std::floor(d)) {
    if (d > kMaxGpus) return InvalidArgument(kGpusRule, field);
    return static_cast<int64_t>(d) * 1000;
  }
  if (d > 1) return InvalidArgument(kGpusRule, field);
  const double scaled = d * 1000;
  const int64_t milli = std::llround(scaled);
  if (milli <= 0 || milli >= 1000 || std::fabs(scaled - static_cast<double>(milli)) > 1e-6) {
    return InvalidArgument(kGpusRule, field);
  }
  return milli;
}

Result<int32_t> ParseCpusMilli(const Json& value) {
  const std::string field = "resources.cpus";
  constexpr double kMaxCpus = 1000000;
  if (!value.is_number()) return InvalidArgument("resources.cpus must be a number", field);
  const double d = value.is_number_float()      ? value.get<double>()
                   : value.is_number_unsigned() ? static_cast<double>(value.get<uint64_t>())
                                                : static_cast<double>(value.get<int64_t>());
  if (!std::isfinite(d) || d < 0 || d > kMaxCpus) {
    return InvalidArgument("resources.cpus must be a number in 0..1000000", field);
  }
  return static_cast<int32_t>(std::llround(d * 1000));
}

Result<core::ResourceRequest> ParseResources(const Json& value) {
  if (!value.is_object()) return InvalidArgument("resources must be an object", "resources");
  FG_RETURN_IF_ERROR(json_util::CheckKnownKeys(
      value, {"gpus", "gpu_memory_mib", "cpus", "memory_mib", "gpu_models", "nodes"},
      "resources."));
  int64_t gpus_milli = 0;
  int64_t gpu_memory_mib = 0;
  core::ResourceRequest out;
  if (value.contains("gpus") && !value["gpus"].is_null()) {
    FG_ASSIGN_OR_RETURN(gpus_milli, ParseGpusMilli(value["gpus"]));
  }
  if (value.contains("gpu_memory_mib") && !value["gpu_memory_mib"].is_null()) {
    FG_ASSIGN_OR_RETURN(gpu_memory_mib,
                        GetInt(value["gpu_memory_mib"], "resources.gpu_memory_mib", 0, kMaxMiB));
  }
  if (value.contains("cpus") && !value["cpus"].is_null()) {
    FG_ASSIGN_OR_RETURN(out.cpu_milli, ParseCpusMilli(value["cpus"]));
  }
  if (value.contains("memory_mib") && !value["memory_mib"].is_null()) {
    FG_ASSIGN_OR_RETURN(out.memory_mib,
                        GetInt(value["memory_mib"], "resources.memory_mib", 0, kMaxMiB));
  }
  if (value.contains("gpu_models") && !value["gpu_models"].is_null()) {
    FG_ASSIGN_OR_RETURN(out.gpu_models,
                        json_util::GetStringArray(value["gpu_models"], "resources.gpu_models"));
  }
  if (value.contains("nodes") && !value["nodes"].is_null()) {
    FG_ASSIGN_OR_RETURN(int64_t nodes, GetInt(value["nodes"], "resources.nodes", 1, kMaxNodes));
    out.nodes = static_cast<int32_t>(nodes);
  }
  if (gpus_milli == 0) {
    // No GPU, or a memory-only slice of one device.
    out.gpu_count = gpu_memory_mib > 0 ? 1 : 0;
    out.gpu_milli = gpu_memory_mib > 0 ? 0 : core::kWholeGpuMilli;
  } else if (gpus_milli < core::kWholeGpuMilli) {
    out.gpu_count = 1;
    out.gpu_milli = static_cast<int32_t>(gpus_milli);
  } else {
    out.gpu_count = static_cast<int32_t>(gpus_milli / core::kWholeGpuMilli);
    out.gpu_milli = core::kWholeGpuMilli;
    if (gpu_memory_mib > 0 && out.gpu_count != 1) {
      return InvalidArgument(
          "resources.gpu_memory_mib is a per-device slice: use it with gpus 1, a fraction, or "
          "no gpus",
          "resources.gpu_memory_mib");
    }
  }
  out.gpu_memory_mib = gpu_memory_mib;
  if (out.nodes > 1 && out.gpu_count > 0 && !out.WantsWholeGpus()) {
    return InvalidArgument(
        "resources.nodes > 1 (a multi-node job) takes whole GPUs on every node or none: not a "
        "fraction or a memory slice",
        "resources.nodes");
  }
  return out;
}

bool Present(const Json& object, const char* key) {
  return object.contains(key) && !object[key].is_null();
}

Out EncodeGpus(const core::ResourceRequest& r) {
  if (r.gpu_count == 0 || r.gpu_milli == 0) return 0;
  if (r.gpu_milli == core::kWholeGpuMilli) return r.gpu_count;
  return GpusOf(r);
}

Out EncodeResources(const core::ResourceRequest& r) {
  Out j = Out::object();
  j["gpus"] = EncodeGpus(r);
  j["gpu_count"] = r.gpu_count;
  j["gpu_milli"] = r.gpu_milli;
  j["gpu_memory_mib"] = r.gpu_memory_mib;
  if (r.cpu_milli % 1000 == 0) {
    j["cpus"] = r.cpu_milli / 1000;
  } else {
    j["cpus"] = r.cpu_milli / 1000.0;
  }
  j["cpu_milli"] = r.cpu_milli;
  j["memory_mib"] = r.memory_mib;
  j["gpu_models"] = r.gpu_models;
  j["nodes"] = r.nodes;
  return j;
}

Out EncodeGrants(const std::vector<core::DeviceGrant>& grants) {
  Out out = Out::array();
  for (const core::DeviceGrant& g : grants) {
    Out d = Out::object();
    d["index"] = g.index;
    d["uuid"] = g.uuid;
    d["milli"] = g.slice.milli;
    d["memory_mib"] = g.slice.memory_mib;
    out.push_back(std::move(d));
  }
  return out;
}

template <typename T>
Out OptionalInt(const std::optional<T>& v) {
  return v.has_value() ? Out(*v) : Out(nullptr);
}

Out EncodeJobJson(const control::JobView& view) {
  const core::JobRecord& r = view.record;
  const core::JobSpec& s = r.spec;
  Out j = Out::object();
  j["id"] = r.id;
  j["name"] = s.name;
  j["tenant"] = r.tenant;
  j["user"] = r.user;
  j["argv"] = s.argv;
  j["env"] = Out::object();
  for (const auto& [k, v] : s.env) j["env"][k] = v;
  j["workdir"] = s.workdir;
  j["resources"] = EncodeResources(s.resources);
  j["priority"] = s.priority;
  j["max_retries"] = s.max_retries;
  j["time_limit_s"] = s.time_limit_s;
  j["stop_signal"] = s.stop_signal.empty() ? "SIGTERM" : s.stop_signal;
  j["keep_outputs"] = s.keep_outputs;
  if (s.array_id > 0) {
    j["array"] = Out{{"id", s.array_id}, {"index", s.array_index}, {"limit", s.array_limit}};
  } else {
    j["array"] = nullptr;
  }
  j["dependencies"] = json_deps::Encode(s.dependencies);
  j["state"] = std::string(core::JobStateName(r.state));
  j["reason"] = r.reason;
  j["waiting_for"] = json_deps::Encode(view.waiting_for);  // pending: what it still waits for
  if (r.state == core::JobState::kPending && view.queue_position > 0) {
    j["queue_position"] = view.queue_position;
  }
  j["node"] = r.placement.has_value() ? Out(r.placement->node) : Out(nullptr);
  j["devices"] = r.placement.has_value() ? EncodeGrants(r.placement->devices) : Out::array();
  // Every rank of the placement (one for a single-node job): node, devices, rank.
  j["ranks"] = Out::array();
  if (r.placement.has_value()) {
    int32_t rank = 0;
    for (const core::Placement* part : core::Ranks(*r.placement)) {
      Out o = Out::object();
      o["rank"] = rank++;
      o["node"] = part->node;
      o["devices"] = EncodeGrants(part->devices);
      j["ranks"].push_back(std::move(o));
    }
    if (r.placement->port > 0) j["master_port"] = r.placement->port;
  }
  j["attempt"] = r.attempt;
  j["exit_code"] = OptionalInt(r.exit_code);
  j["signal"] = OptionalInt(r.signal);
  j["cancel_requested"] = r.cancel_requested;
  j["preemptions"] = r.preemptions;
  j["preempting_for"] = r.preempting_for > 0 ? Out(r.preempting_for) : Out(nullptr);
  j["gpu_seconds"] = static_cast<double>(view.usage.gpu_milli_ms) / 1e6;
  j["cost"] = static_cast<double>(view.usage.micros()) / 1e6;
  j["submitted_ms"] = r.submit_ms;
  j["started_ms"] = r.start_ms;
  j["finished_ms"] = r.end_ms;
  return j;
}

std::string DumpOut(const Out& j) { return j.dump(-1, ' ', false, Out::error_handler_t::replace); }

}  // namespace

Result<core::JobSpec> ParseSubmitRequest(std::string_view body, std::string* array) {
  FG_ASSIGN_OR_RETURN(Json obj, json_util::ParseObject(body));
  FG_RETURN_IF_ERROR(json_util::CheckKnownKeys(
      obj,
      {"name", "argv", "env", "workdir", "resources", "priority", "max_retries", "time_limit_s",
       "tenant", "stop_signal", "keep_outputs", "array", "dependencies", "after"},
      ""));
  if (Present(obj, "array")) {
    if (array == nullptr) return InvalidArgument("array is not accepted here", "array");
    FG_ASSIGN_OR_RETURN(*array, GetString(obj["array"], "array"));
  }
  core::JobSpec spec;
  if (!Present(obj, "argv")) return InvalidArgument("argv is required", "argv");
  FG_RETURN_IF_ERROR(json_deps::Parse(obj, &spec.dependencies));
  FG_ASSIGN_OR_RETURN(spec.argv, json_util::GetStringArray(obj["argv"], "argv"));
  if (spec.argv.empty()) return InvalidArgument("argv must not be empty", "argv");
  if (Present(obj, "name")) {
    FG_ASSIGN_OR_RETURN(spec.name, GetString(obj["name"], "name"));
  }
  if (Present(obj, "env")) {
    FG_ASSIGN_OR_RETURN(spec.env, json_util::GetStringMap(obj["env"], "env"));
  }
  if (Present(obj, "workdir")) {
    FG_ASSIGN_OR_RETURN(spec.workdir, GetString(obj["workdir"], "workdir"));
  }
  if (Present(obj, "tenant")) {
    FG_ASSIGN_OR_RETURN(spec.tenant, GetString(obj["tenant"], "tenant"));
  }
  if (Present(obj, "resources")) {
    FG_ASSIGN_OR_RETURN(spec.resources, ParseResources(obj["resources"]));
  }
  if (Present(obj, "priority")) {
    FG_ASSIGN_OR_RETURN(int64_t v, GetInt(obj["priority"], "priority", -1000, 1000));
    spec.priority = static_cast<int32_t>(v);
  }
  if (Present(obj, "max_retries")) {
    FG_ASSIGN_OR_RETURN(int64_t v, GetInt(obj["max_retries"], "max_retries", 0, 100));
    spec.max_retries = static_cast<int32_t>(v);
  }
  if (Present(obj, "time_limit_s")) {
    FG_ASSIGN_OR_RETURN(spec.time_limit_s, GetInt(obj["time_limit_s"], "time_limit_s", 0,
                                                  std::numeric_limits<int64_t>::max() / 1000));
  }
  if (Present(obj, "stop_signal")) {
    FG_ASSIGN_OR_RETURN(spec.stop_signal, GetString(obj["stop_signal"], "stop_signal"));
    if (!spec.stop_signal.empty() && spec.stop_signal.rfind("SIG", 0) != 0) {
      spec.stop_signal = "SIG" + spec.stop_signal;  // "USR1" means SIGUSR1
    }
  }
  if (Present(obj, "keep_outputs")) {
    FG_ASSIGN_OR_RETURN(spec.keep_outputs, json_util::GetBool(obj["keep_outputs"], "keep_outputs"));
  }
  return spec;
}

double GpusOf(const core::ResourceRequest& request) {
  if (request.gpu_count == 0) return 0;
  if (request.gpu_milli == core::kWholeGpuMilli) return request.gpu_count;
  return request.gpu_milli / 1000.0;
}

std::string EncodeJob(const control::JobView& job) { return DumpOut(EncodeJobJson(job)); }

std::string EncodeJobPage(const control::JobPage& page) {
  Out j = Out::object();
  j["jobs"] = Out::array();
  for (const control::JobView& v : page.jobs) j["jobs"].push_back(EncodeJobJson(v));
  j["next"] = OptionalInt(page.next);
  return DumpOut(j);
}

namespace {

Out NodeJson(const control::NodeView& n) {
  const core::NodeSpec& spec = n.record.spec;
  Out o = Out::object();
  o["name"] = spec.name;
  o["state"] = n.state;
  o["ready"] = n.ready;
  o["cordoned"] = n.record.cordoned;
  o["draining"] = n.record.draining;
  o["jobs"] = n.jobs;
  o["simulated"] = n.record.simulated;
  o["cpu_milli"] = spec.cpu_milli;
  o["memory_mib"] = spec.memory_mib;
  o["labels"] = Out::object();
  for (const auto& [k, v] : spec.labels) o["labels"][k] = v;
  o["last_seen_ms"] = n.record.last_seen_ms;
  o["devices"] = Out::array();
  for (const core::DeviceSpec& d : spec.devices) {
    Out dj = Out::object();
    dj["index"] = d.index;
    dj["uuid"] = d.uuid;
    dj["model"] = d.model;
    dj["memory_mib"] = d.memory_mib;
    dj["healthy"] = d.healthy;
    dj["health"] = "";
    dj["telemetry"] = nullptr;
    for (const core::DeviceTelemetry& t : n.telemetry.devices) {
      if (t.index != d.index) continue;
      dj["health"] = t.health;
      dj["telemetry"] = EncodeDeviceTelemetry(t);
    }
    o["devices"].push_back(std::move(dj));
  }
  o["telemetry_ms"] = n.telemetry.sampled_ms;
  o["gpu_jobs"] = Out::array();
  for (const core::JobGpuMemory& m : n.telemetry.jobs) {
    Out mj = Out::object();
    mj["job"] = m.job;
    mj["attempt"] = m.attempt;
    mj["gpu_memory_peak_mib"] = m.peak_mib;
    o["gpu_jobs"].push_back(std::move(mj));
  }
  if (n.status) {
    o["health_message"] = n.status->health_message;
    o["isolation"] = Out::object();
    for (const auto& [k, v] : n.status->isolation) o["isolation"][k] = v;
    o["isolates_tenants"] = n.status->isolates_tenants;
    o["warnings"] = n.status->warnings;
  }
  return o;
}

}  // namespace

std::string EncodeNodes(const std::vector<control::NodeView>& nodes) {
  Out j = Out::object();
  j["nodes"] = Out::array();
  for (const control::NodeView& n : nodes) j["nodes"].push_back(NodeJson(n));
  return DumpOut(j);
}

std::string EncodeNode(const control::NodeView& node) { return DumpOut(NodeJson(node)); }

std::string EncodeEvents(core::JobId job, const std::vector<store::JobEvent>& events) {
  Out j = Out::object();
  j["job"] = job;
  j["events"] = Out::array();
  for (const store::JobEvent& e : events) {
    Out o = Out::object();
    o["type"] = e.type;
    o["time_ms"] = e.time_ms;
    o["state"] = e.state;
    o["attempt"] = e.attempt;
    o["node"] = e.node.empty() ? Out() : Out(e.node);
    o["devices"] = e.devices;
    o["reason"] = e.reason;
    o["exit_code"] = OptionalInt(e.exit_code);
    j["events"].push_back(std::move(o));
  }
  return DumpOut(j);
}

std::string EncodePool(const control::PoolView& pool) {
  Out j = Out::object();
  j["gpus"] = Out::array();
  for (const control::GpuView& g : pool.gpus) {
    Out o = Out::object();
    o["node"] = g.node;
    o["index"] = g.device.index;
    o["uuid"] = g.device.uuid;
    o["model"] = g.device.model;
    o["memory_mib"] = g.device.memory_mib;
    o["healthy"] = g.device.healthy;
    o["health"] = g.telemetry ? g.telemetry->health : "";
    o["telemetry"] = g.telemetry ? EncodeDeviceTelemetry(*g.telemetry) : Out(nullptr);
    o["free_milli"] = g.free_milli;
    o["free_memory_mib"] = g.free_memory_mib;
    o["node_ready"] = g.node_ready;
    o["allocations"] = Out::array();
    for (const control::Allocation& a : g.allocations) {
      Out aj = Out::object();
      aj["job"] = a.job;
      aj["tenant"] = a.tenant;
      aj["milli"] = a.slice.milli;
      aj["memory_mib"] = a.slice.memory_mib;
      aj["memory_peak_mib"] = a.memory_peak_mib ? Out(*a.memory_peak_mib) : Out(nullptr);
      o["allocations"].push_back(std::move(aj));
    }
    j["gpus"].push_back(std::move(o));
  }
  const control::PoolSummary& s = pool.summary;
  Out sum = Out::object();
  sum["nodes"] = s.nodes;
  sum["gpus"] = s.gpus;
  sum["idle_gpus"] = s.idle_gpus;
  sum["total_milli"] = s.total_milli;
  sum["free_milli"] = s.free_milli;
  sum["total_memory_mib"] = s.total_memory_mib;
  sum["free_memory_mib"] = s.free_memory_mib;
  sum["pending_jobs"] = s.pending_jobs;
  j["summary"] = std::move(sum);
  return DumpOut(j);
}

std::string JsonQuote(std::string_view text) { return DumpOut(Out(std::string(text))); }

}  // namespace fastgpu::api
