// JSON codec, GPU telemetry: the report's "telemetry" in, the views' telemetry out.
// See json_telemetry.h.
#include <limits>

#include "api/json_telemetry.h"

namespace fastgpu::api {
namespace {

using json_util::GetInt;
using json_util::Json;
using Out = nlohmann::ordered_json;

constexpr int64_t kMaxI32 = std::numeric_limits<int32_t>::max();
constexpr int64_t kMaxI64 = std::numeric_limits<int64_t>::max();
constexpr size_t kMaxItems = 4096;  // devices, processes per device, jobs

bool Present(const Json& o, const char* key) { return o.contains(key) && !o[key].is_null(); }

template <typename T>
Status ReadOptional(const Json& o, const char* key, const std::string& field, int64_t min,
                    int64_t max, std::optional<T>* out) {
  if (!Present(o, key)) return Status::Ok();
  FG_ASSIGN_OR_RETURN(int64_t v, GetInt(o[key], field + "." + key, min, max));
  *out = static_cast<T>(v);
  return Status::Ok();
}

Result<const Json*> Array(const Json& o, const char* key, const std::string& field) {
  static const Json kEmpty = Json::array();
  if (!Present(o, key)) return &kEmpty;
  const Json& a = o[key];
  const std::string name = field + "." + key;
  if (!a.is_array()) return InvalidArgument(name + " must be an array", name);
  if (a.size() > kMaxItems) return InvalidArgument(name + " has too many entries", name);
  return &a;
}

Result<core::GpuProcess> ParseProcess(const Json& v, const std::string& field) {
  if (!v.is_object()) return InvalidArgument(field + " must be an object", field);
  core::GpuProcess p;
  if (!Present(v, "pid")) return InvalidArgument("pid is required", field + ".pid");
  FG_ASSIGN_OR_RETURN(int64_t pid, GetInt(v["pid"], field + ".pid", 0, kMaxI32));
  p.pid = static_cast<int32_t>(pid);
  FG_RETURN_IF_ERROR(ReadOptional(v, "memory_mib", field, 0, kMaxI64, &p.memory_mib));
  if (Present(v, "job")) {
    FG_ASSIGN_OR_RETURN(p.job, GetInt(v["job"], field + ".job", 0, kMaxI64));
  }
  return p;
}

Status ParseFigures(const Json& v, const std::string& f, core::DeviceTelemetry& t) {
  FG_RETURN_IF_ERROR(ReadOptional(v, "utilization_pct", f, 0, 100, &t.utilization_pct));
  FG_RETURN_IF_ERROR(
      ReadOptional(v, "memory_utilization_pct", f, 0, 100, &t.memory_utilization_pct));
  FG_RETURN_IF_ERROR(ReadOptional(v, "memory_used_mib", f, 0, kMaxI64, &t.memory_used_mib));
  FG_RETURN_IF_ERROR(ReadOptional(v, "temperature_c", f, -273, 1000, &t.temperature_c));
  FG_RETURN_IF_ERROR(ReadOptional(v, "power_mw", f, 0, kMaxI64, &t.power_mw));
  FG_RETURN_IF_ERROR(ReadOptional(v, "ecc_corrected", f, 0, kMaxI64, &t.ecc_corrected));
  FG_RETURN_IF_ERROR(ReadOptional(v, "ecc_uncorrected", f, 0, kMaxI64, &t.ecc_uncorrected));
  FG_RETURN_IF_ERROR(ReadOptional(v, "last_xid", f, 0, kMaxI64, &t.last_xid));
  if (Present(v, "xid_errors")) {
    FG_ASSIGN_OR_RETURN(t.xid_errors, GetInt(v["xid_errors"], f + ".xid_errors", 0, kMaxI64));
  }
  return Status::Ok();
}

Result<core::DeviceTelemetry> ParseDevice(const Json& v, const std::string& f) {
  if (!v.is_object()) return InvalidArgument(f + " must be an object", f);
  core::DeviceTelemetry t;
  if (!Present(v, "index")) return InvalidArgument("index is required", f + ".index");
  FG_ASSIGN_OR_RETURN(int64_t index, GetInt(v["index"], f + ".index", 0, 1 << 20));
  t.index = static_cast<int32_t>(index);
  if (Present(v, "uuid")) {
    FG_ASSIGN_OR_RETURN(t.uuid, json_util::GetString(v["uuid"], f + ".uuid"));
  }
  if (Present(v, "healthy")) {
    FG_ASSIGN_OR_RETURN(t.healthy, json_util::GetBool(v["healthy"], f + ".healthy"));
  }
  if (Present(v, "health")) {
    FG_ASSIGN_OR_RETURN(t.health, json_util::GetString(v["health"], f + ".health"));
  }
  if (Present(v, "compute_capability")) {
    FG_ASSIGN_OR_RETURN(t.compute_capability, json_util::GetString(v["compute_capability"],
                                                                   f + ".compute_capability"));
  }
  if (Present(v, "mig")) {
    FG_ASSIGN_OR_RETURN(t.mig, json_util::GetBool(v["mig"], f + ".mig"));
  }
  if (Present(v, "gpu_index")) {
    FG_ASSIGN_OR_RETURN(int64_t gi, GetInt(v["gpu_index"], f + ".gpu_index", -1, 1 << 20));
    t.gpu_index = static_cast<int32_t>(gi);
  }
  FG_RETURN_IF_ERROR(ParseFigures(v, f, t));
  FG_ASSIGN_OR_RETURN(const Json* procs, Array(v, "processes", f));
  for (size_t i = 0; i < procs->size(); ++i) {
    FG_ASSIGN_OR_RETURN(core::GpuProcess p,
                        ParseProcess((*procs)[i], f + ".processes[" + std::to_string(i) + "]"));
    t.processes.push_back(p);
  }
  return t;
}

Result<core::JobGpuMemory> ParseJob(const Json& v, const std::string& f) {
  if (!v.is_object()) return InvalidArgument(f + " must be an object", f);
  core::JobGpuMemory m;
  for (const char* required : {"job", "attempt", "gpu_memory_peak_mib"}) {
    if (!Present(v, required)) {
      return InvalidArgument(std::string(required) + " is required", f + "." + required);
    }
  }
  FG_ASSIGN_OR_RETURN(m.job, GetInt(v["job"], f + ".job", 1, kMaxI64));
  FG_ASSIGN_OR_RETURN(int64_t attempt, GetInt(v["attempt"], f + ".attempt", 0, kMaxI32));
  m.attempt = static_cast<int32_t>(attempt);
  FG_ASSIGN_OR_RETURN(m.peak_mib,
                      GetInt(v["gpu_memory_peak_mib"], f + ".gpu_memory_peak_mib", 0, kMaxI64));
  return m;
}

template <typename T>
void PutOptional(Out& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}

}  // namespace

Result<core::NodeTelemetry> ParseTelemetry(const Json& value) {
  const std::string f = "telemetry";
  if (!value.is_object()) return InvalidArgument("telemetry must be an object", f);
  core::NodeTelemetry t;
  if (Present(value, "sampled_ms")) {
    FG_ASSIGN_OR_RETURN(t.sampled_ms, GetInt(value["sampled_ms"], f + ".sampled_ms", 0, kMaxI64));
  }
  FG_ASSIGN_OR_RETURN(const Json* gpus, Array(value, "gpus", f));
  for (size_t i = 0; i < gpus->size(); ++i) {
    FG_ASSIGN_OR_RETURN(core::DeviceTelemetry d,
                        ParseDevice((*gpus)[i], f + ".gpus[" + std::to_string(i) + "]"));
    t.devices.push_back(std::move(d));
  }
  FG_ASSIGN_OR_RETURN(const Json* jobs, Array(value, "jobs", f));
  for (size_t i = 0; i < jobs->size(); ++i) {
    FG_ASSIGN_OR_RETURN(core::JobGpuMemory m,
                        ParseJob((*jobs)[i], f + ".jobs[" + std::to_string(i) + "]"));
    t.jobs.push_back(m);
  }
  return t;
}

Out EncodeDeviceTelemetry(const core::DeviceTelemetry& t) {
  Out j = Out::object();
  j["compute_capability"] = t.compute_capability;
  j["mig"] = t.mig;
  j["gpu_index"] = t.gpu_index;
  PutOptional(j, "utilization_pct", t.utilization_pct);
  PutOptional(j, "memory_utilization_pct", t.memory_utilization_pct);
  PutOptional(j, "memory_used_mib", t.memory_used_mib);
  PutOptional(j, "temperature_c", t.temperature_c);
  PutOptional(j, "power_mw", t.power_mw);
  PutOptional(j, "ecc_corrected", t.ecc_corrected);
  PutOptional(j, "ecc_uncorrected", t.ecc_uncorrected);
  j["xid_errors"] = t.xid_errors;
  PutOptional(j, "last_xid", t.last_xid);
  j["processes"] = Out::array();
  for (const core::GpuProcess& p : t.processes) {
    Out pj = Out::object();
    pj["pid"] = p.pid;
    PutOptional(pj, "memory_mib", p.memory_mib);
    pj["job"] = p.job != 0 ? Out(p.job) : Out(nullptr);
    j["processes"].push_back(std::move(pj));
  }
  return j;
}

}  // namespace fastgpu::api
