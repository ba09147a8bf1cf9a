#include "store/record_codec.h"

#include "common/dependency.h"

#include <exception>
#include <nlohmann/json.hpp>
#include <utility>

namespace fastgpu::store {
namespace {

using nlohmann::json;

// Reads `key` into `out` when present; leaves the default otherwise. Throws on a wrong type.
template <typename T>
void Read(const json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it != j.end()) it->get_to(out);
}

json ResourcesToJson(const core::ResourceRequest& r) {
  return json{{"gpu_count", r.gpu_count},           {"gpu_milli", r.gpu_milli},
              {"gpu_memory_mib", r.gpu_memory_mib}, {"cpu_milli", r.cpu_milli},
              {"memory_mib", r.memory_mib},         {"gpu_models", r.gpu_models},
              {"nodes", r.nodes}};
}

core::ResourceRequest ResourcesFromJson(const json& j) {
  core::ResourceRequest r;
  Read(j, "gpu_count", r.gpu_count);
  Read(j, "gpu_milli", r.gpu_milli);
  Read(j, "gpu_memory_mib", r.gpu_memory_mib);
  Read(j, "cpu_milli", r.cpu_milli);
  Read(j, "memory_mib", r.memory_mib);
  Read(j, "gpu_models", r.gpu_models);
  Read(j, "nodes", r.nodes);  // absent in records written before multi-node jobs: 1
  return r;
}

json JobSpecToJson(const core::JobSpec& s) {
  json j{{"name", s.name},
         {"argv", s.argv},
         {"env", s.env},
         {"workdir", s.workdir},
         {"resources", ResourcesToJson(s.resources)},
         {"priority", s.priority},
         {"max_retries", s.max_retries},
         {"time_limit_s", s.time_limit_s},
         {"stop_signal", s.stop_signal},
         {"keep_outputs", s.keep_outputs}};
  if (s.array_id > 0) {  // a task of a job array (older records have none of these)
    j["array_id"] = s.array_id;
    j["array_index"] = s.array_index;
    j["array_limit"] = s.array_limit;
  }
  // "ok:12,13,any:14" (common/dependency.h); absent without dependencies.
  if (!s.dependencies.empty()) j["after"] = DependenciesText(s.dependencies);
  return j;
}

core::JobSpec JobSpecFromJson(const json& j) {
  core::JobSpec s;
  Read(j, "name", s.name);
  Read(j, "argv", s.argv);
  Read(j, "env", s.env);
  Read(j, "workdir", s.workdir);
  if (auto it = j.find("resources"); it != j.end()) s.resources = ResourcesFromJson(*it);
  Read(j, "priority", s.priority);
  Read(j, "max_retries", s.max_retries);
  Read(j, "time_limit_s", s.time_limit_s);
  Read(j, "stop_signal", s.stop_signal);
  Read(j, "keep_outputs", s.keep_outputs);
  Read(j, "array_id", s.array_id);
  Read(j, "array_index", s.array_index);
  Read(j, "array_limit", s.array_limit);
  std::string after;
  Read(j, "after", after);
  // Written by JobSpecToJson, so it parses; a damaged one keeps what parsed before the damage.
  if (!after.empty()) ParseDependencies(after, "after", &s.dependencies).IgnoreError();
  return s;
}

json PlacementToJson(const core::Placement& p) {
  json devices = json::array();
  for (const core::DeviceGrant& d : p.devices) {
    devices.push_back({{"index", d.index},
                       {"uuid", d.uuid},
                       {"slice", {{"milli", d.slice.milli}, {"memory_mib", d.slice.memory_mib}}}});
  }
  json out{{"node", p.node},
           {"devices", std::move(devices)},
           {"cpu_milli", p.cpu_milli},
           {"memory_mib", p.memory_mib}};
  if (!p.peers.empty()) {  // a multi-node job: ranks 1..N-1 and the rendezvous port
    json peers = json::array();
    for (const core::Placement& peer : p.peers) peers.push_back(PlacementToJson(peer));
    out["peers"] = std::move(peers);
    out["port"] = p.port;
  }
  return out;
}

core::Placement PlacementFromJson(const json& j) {
  core::Placement p;
  Read(j, "node", p.node);
  if (auto it = j.find("devices"); it != j.end()) {
    for (const json& d : it->get_ref<const json::array_t&>()) {
      core::DeviceGrant grant;
      Read(d, "index", grant.index);
      Read(d, "uuid", grant.uuid);
      if (auto slice = d.find("slice"); slice != d.end()) {
        Read(*slice, "milli", grant.slice.milli);
        Read(*slice, "memory_mib", grant.slice.memory_mib);
      }
      p.devices.push_back(std::move(grant));
    }
  }
  Read(j, "cpu_milli", p.cpu_milli);
  Read(j, "memory_mib", p.memory_mib);
  if (auto it = j.find("peers"); it != j.end()) {
    for (const json& peer : it->get_ref<const json::array_t&>()) {
      p.peers.push_back(PlacementFromJson(peer));
    }
  }
  Read(j, "port", p.port);
  return p;
}

json NodeSpecToJson(const core::NodeSpec& n) {
  json devices = json::array();
  for (const core::DeviceSpec& d : n.devices) {
    json device = {
        {"index", d.index}, {"uuid", d.uuid}, {"model", d.model}, {"memory_mib", d.memory_mib}};
    if (!d.healthy) device["healthy"] = false;  // absent: healthy (records before the field)
    devices.push_back(std::move(device));
  }
  return json{{"name", n.name},
              {"devices", std::move(devices)},
              {"cpu_milli", n.cpu_milli},
              {"memory_mib", n.memory_mib},
              {"labels", n.labels},
              {"isolates_tenants", n.isolates_tenants}};
}

core::NodeSpec NodeSpecFromJson(const json& j) {
  core::NodeSpec n;
  Read(j, "name", n.name);
  if (auto it = j.find("devices"); it != j.end()) {
    for (const json& d : it->get_ref<const json::array_t&>()) {
      core::DeviceSpec device;
      Read(d, "index", device.index);
      Read(d, "uuid", device.uuid);
      Read(d, "model", device.model);
      Read(d, "memory_mib", device.memory_mib);
      Read(d, "healthy", device.healthy);
      n.devices.push_back(std::move(device));
    }
  }
  Read(j, "cpu_milli", n.cpu_milli);
  Read(j, "memory_mib", n.memory_mib);
  Read(j, "labels", n.labels);
  Read(j, "isolates_tenants", n.isolates_tenants);
  return n;
}

// nlohmann throws; these two wrappers are the only place that sees it.
template <typename T, typename ToJson>
Result<std::string> Encode(const T& value, ToJson to_json, const char* field) {
  try {
    return to_json(value).dump();
  } catch (const std::exception& e) {  // type_error 316: a string is not valid UTF-8
    return InvalidArgument(std::string(field) + " cannot be stored: " + e.what(), field);
  }
}

template <typename FromJson>
auto Decode(std::string_view text, FromJson from_json, const char* what)
    -> Result<decltype(from_json(json()))> {
  try {
    json j = json::parse(text);
    if (!j.is_object()) return Internal(std::string("corrupt ") + what + ": not a JSON object");
    return from_json(j);
  } catch (const std::exception& e) {
    return Internal(std::string("corrupt ") + what + ": " + e.what());
  }
}

}  // namespace

Result<std::string> EncodeJobSpec(const core::JobSpec& spec) {
  return Encode(spec, JobSpecToJson, "spec");
}
Result<std::string> EncodePlacement(const core::Placement& placement) {
  return Encode(placement, PlacementToJson, "placement");
}
Result<std::string> EncodeNodeSpec(const core::NodeSpec& spec) {
  return Encode(spec, NodeSpecToJson, "node");
}

Result<core::JobSpec> DecodeJobSpec(std::string_view text) {
  return Decode(text, JobSpecFromJson, "job spec");
}
Result<core::Placement> DecodePlacement(std::string_view text) {
  return Decode(text, PlacementFromJson, "placement");
}
Result<core::NodeSpec> DecodeNodeSpec(std::string_view text) {
  return Decode(text, NodeSpecFromJson, "node spec");
}

}  // namespace fastgpu::store
