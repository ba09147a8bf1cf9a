#include "control/validation.h"

#include <string>
#include <string_view>

namespace fastgpu::control {
namespace {

bool HasNul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

Status ValidateArgv(const std::vector<std::string>& argv) {
  if (argv.empty()) return InvalidArgument("argv must not be empty", "argv");
  if (argv[0].empty()) return InvalidArgument("argv[0] must not be empty", "argv");
  size_t total = 0;
  for (const std::string& arg : argv) {
    if (HasNul(arg)) return InvalidArgument("argv must not contain NUL bytes", "argv");
    total += arg.size() + 1;
  }
  if (total > kMaxArgvBytes) {
    return InvalidArgument(
        "argv is " + std::to_string(total) + " bytes; at most " + std::to_string(kMaxArgvBytes),
        "argv");
  }
  return Status::Ok();
}

Status ValidateEnv(const std::map<std::string, std::string>& env) {
  for (const auto& [key, value] : env) {
    if (key.empty()) return InvalidArgument("env keys must not be empty", "env");
    if (key.find('=') != std::string::npos) {
      return InvalidArgument("env key '" + key + "' must not contain '='", "env");
    }
    if (HasNul(key) || HasNul(value)) {
      return InvalidArgument("env must not contain NUL bytes", "env");
    }
  }
  return Status::Ok();
}

Status ValidateResources(const core::ResourceRequest& r) {
  if (r.gpu_count < 0 || r.gpu_count > kMaxGpuCount) {
    return InvalidArgument("gpus must be 0, a whole count 1..1024 or a fraction in (0,1)",
                           "resources.gpus");
  }
  if (r.cpu_milli < 0) return InvalidArgument("cpus must be >= 0", "resources.cpus");
  if (r.memory_mib < 0) {
    return InvalidArgument("memory_mib must be >= 0", "resources.memory_mib");
  }
  for (const std::string& model : r.gpu_models) {
    if (model.empty() || HasNul(model)) {
      return InvalidArgument("gpu_models entries must be non-empty names", "resources.gpu_models");
    }
  }
  if (r.gpu_count == 0) return Status::Ok();  // no GPU: the slice fields do not apply
  if (r.gpu_milli < 0 || r.gpu_milli > core::kWholeGpuMilli) {
    return InvalidArgument("gpu share must be in [0, 1000] milli", "resources.gpus");
  }
  if (r.gpu_memory_mib < 0) {
    return InvalidArgument("gpu_memory_mib must be >= 0", "resources.gpu_memory_mib");
  }
  if (r.WantsWholeGpus()) return Status::Ok();
  // A slice: a share of one device.
  if (r.gpu_count != 1) {
    if (r.gpu_memory_mib > 0) {
      return InvalidArgument("gpu_memory_mib needs gpus to be 1 or a fraction",
                             "resources.gpu_memory_mib");
    }
    return InvalidArgument("a fractional GPU slice must ask for exactly one GPU", "resources.gpus");
  }
  if (r.gpu_milli == 0 && r.gpu_memory_mib == 0) {
    return InvalidArgument("a GPU slice needs a compute share or gpu_memory_mib", "resources.gpus");
  }
  return Status::Ok();
}

}  // namespace

bool IsStopSignal(std::string_view name) {
  for (std::string_view s : {"SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2",
                             "SIGKILL"}) {
    if (name == s) return true;
  }
  return false;
}

Status ValidateSpec(const core::JobSpec& spec) {
  FG_RETURN_IF_ERROR(ValidateArgv(spec.argv));
  FG_RETURN_IF_ERROR(ValidateEnv(spec.env));
  if (spec.name.size() > kMaxNameLength) {
    return InvalidArgument("name is longer than 128 characters", "name");
  }
  if (HasNul(spec.name)) return InvalidArgument("name must not contain NUL bytes", "name");
  if (HasNul(spec.workdir)) {
    return InvalidArgument("workdir must not contain NUL bytes", "workdir");
  }
  if (spec.priority < -1000 || spec.priority > 1000) {
    return InvalidArgument("priority must be in -1000..1000", "priority");
  }
  if (spec.max_retries < 0 || spec.max_retries > 100) {
    return InvalidArgument("max_retries must be in 0..100", "max_retries");
  }
  if (spec.time_limit_s < 0) return InvalidArgument("time_limit_s must be >= 0", "time_limit_s");
  if (!spec.stop_signal.empty() && !IsStopSignal(spec.stop_signal)) {
    return InvalidArgument("stop_signal must be one of SIGTERM, SIGINT, SIGHUP, SIGQUIT, "
                           "SIGUSR1, SIGUSR2, SIGKILL, not '" + spec.stop_signal + "'",
                           "stop_signal");
  }
  return ValidateResources(spec.resources);
}

}  // namespace fastgpu::control
