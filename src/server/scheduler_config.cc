#include "server/scheduler_config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

namespace fastgpu::server {
namespace {

Status CheckKeys(const YAML::Node& map, const std::set<std::string>& known,
                 const std::string& where) {
  if (!map.IsMap()) return InvalidArgument(where + " must be a mapping", where);
  for (const auto& entry : map) {
    const std::string key = entry.first.as<std::string>();
    if (known.count(key) == 0) {
      return InvalidArgument("unknown key " + (where.empty() ? "" : where + ".") + key, key);
    }
  }
  return Status::Ok();
}

template <typename T>
void Read(const YAML::Node& map, const char* key, T& out) {
  if (map[key]) out = map[key].as<T>();  // throws YAML::Exception on a wrong type
}

Status ParseTenant(const YAML::Node& node, const std::string& where, core::TenantPolicy& out) {
  FG_RETURN_IF_ERROR(
      CheckKeys(node, {"weight", "guaranteed_gpus", "max_gpus", "max_running_jobs"}, where));
  Read(node, "weight", out.weight);
  Read(node, "guaranteed_gpus", out.guaranteed_gpus);
  Read(node, "max_gpus", out.max_gpus);
  Read(node, "max_running_jobs", out.max_running_jobs);
  if (out.max_running_jobs < -1) {
    return InvalidArgument(where + ".max_running_jobs must be -1 (none) or >= 0",
                           where + ".max_running_jobs");
  }
  if (out.weight < 1) return InvalidArgument(where + ".weight must be >= 1", where + ".weight");
  if (out.guaranteed_gpus < 0) {
    return InvalidArgument(where + ".guaranteed_gpus must be >= 0", where + ".guaranteed_gpus");
  }
  if (out.max_gpus != -1 && out.max_gpus < out.guaranteed_gpus) {
    return InvalidArgument(where + ".max_gpus must be -1 (none) or >= guaranteed_gpus",
                           where + ".max_gpus");
  }
  return Status::Ok();
}

Status ParseScheduler(const YAML::Node& node, SchedulerConfig& out) {
  FG_RETURN_IF_ERROR(CheckKeys(
      node,
      {"policy", "sorter", "backfill", "preemption", "preemption_grace_s",
       "single_tenant_unisolated"},
      "scheduler"));
  Read(node, "policy", out.policy);
  Read(node, "sorter", out.queue.sorter);
  Read(node, "backfill", out.queue.backfill);
  Read(node, "preemption", out.queue.preemption);
  Read(node, "single_tenant_unisolated", out.queue.single_tenant_unisolated);
  int64_t grace_s = out.queue.preemption_grace_ms / 1000;
  Read(node, "preemption_grace_s", grace_s);
  if (grace_s < 0) {
    return InvalidArgument("scheduler.preemption_grace_s must be >= 0",
                           "scheduler.preemption_grace_s");
  }
  out.queue.preemption_grace_ms = grace_s * 1000;
  return Status::Ok();
}

Result<SchedulerConfig> ParseRoot(const YAML::Node& root) {
  SchedulerConfig config;
  if (root.IsNull()) return config;
  FG_RETURN_IF_ERROR(CheckKeys(root, {"scheduler", "tenants"}, ""));
  if (root["scheduler"]) FG_RETURN_IF_ERROR(ParseScheduler(root["scheduler"], config));
  if (const YAML::Node tenants = root["tenants"]) {
    if (!tenants.IsMap()) return InvalidArgument("tenants must be a mapping", "tenants");
    for (const auto& entry : tenants) {
      const std::string name = entry.first.as<std::string>();
      core::TenantPolicy policy;
      FG_RETURN_IF_ERROR(ParseTenant(entry.second, "tenants." + name, policy));
      if (name == "default") config.queue.default_tenant = policy;
      config.queue.tenants[name] = policy;
    }
  }
  return config;
}

}  // namespace

Result<SchedulerConfig> ParseSchedulerConfig(std::string_view yaml) {
  try {
    return ParseRoot(YAML::Load(std::string(yaml)));
  } catch (const YAML::Exception& e) {
    return InvalidArgument(std::string("config: ") + e.what(), "config");
  }
}

Result<SchedulerConfig> LoadSchedulerConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot read config file " + path, "config");
  std::ostringstream text;
  text << in.rdbuf();
  return ParseSchedulerConfig(text.str());
}

}  // namespace fastgpu::server
