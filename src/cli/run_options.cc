#include "cli/run_options.h"

#include "common/dependency.h"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/units.h"

namespace fastgpu::cli {
namespace {

using nlohmann::json;

// Rewrites a units.h error ("'1.5': more than one ...", field "x") into one that names the
// flag and starts with the value typed: field "--gpus", message "1.5: more than one ...".
Status FlagError(const std::string& flag, const std::string& value, const Status& status) {
  std::string message = status.message();
  std::string quoted = "'" + value + "'";
  for (const std::string& prefix : {quoted + ": ", quoted + " is ", quoted + " "}) {
    if (message.rfind(prefix, 0) == 0) {
      message = message.substr(prefix.size());
      break;
    }
  }
  return InvalidArgument(value + ": " + message, flag);
}

Result<int64_t> ParseInteger(const std::string& flag, const std::string& text, int64_t min,
                             int64_t max) {
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || end == text.c_str() || *end != '\0' || errno == ERANGE) {
    return InvalidArgument(text + ": not an integer", flag);
  }
  if (v < min || v > max) {
    return InvalidArgument(
        text + ": must be between " + std::to_string(min) + " and " + std::to_string(max), flag);
  }
  return static_cast<int64_t>(v);
}

Result<double> ParseCpus(const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end == text.c_str() || *end != '\0' || !std::isfinite(v) || v < 0) {
    return InvalidArgument(text + ": not a CPU count such as 2 or 0.5", "--cpus");
  }
  if (std::fabs(v * 1000 - std::round(v * 1000)) > 1e-6) {
    return InvalidArgument(text + ": CPUs are counted in thousandths (0.001)", "--cpus");
  }
  return v;
}

// A JSON number that prints as "2" for whole values and "0.25" otherwise.
json Number(int64_t milli) {
  if (milli % 1000 == 0) return json(milli / 1000);
  return json(static_cast<double>(milli) / 1000.0);
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Result<json> BuildResources(const RunOptions& o) {
  json r = json::object();
  if (!o.gpus.empty()) {
    auto milli = ParseGpuMilli(o.gpus, "--gpus");
    if (!milli.ok()) return FlagError("--gpus", o.gpus, milli.error());
    r["gpus"] = Number(*milli);
  }
  if (!o.gpu_memory.empty()) {
    auto mib = ParseSizeMiB(o.gpu_memory, "--gpu-memory");
    if (!mib.ok()) return FlagError("--gpu-memory", o.gpu_memory, mib.error());
    r["gpu_memory_mib"] = *mib;
  }
  if (!o.cpus.empty()) {
    FG_ASSIGN_OR_RETURN(double cpus, ParseCpus(o.cpus));
    r["cpus"] = Number(std::llround(cpus * 1000));
  }
  if (!o.memory.empty()) {
    auto mib = ParseSizeMiB(o.memory, "--memory");
    if (!mib.ok()) return FlagError("--memory", o.memory, mib.error());
    r["memory_mib"] = *mib;
  }
  if (!o.gpu_models.empty()) {
    for (const std::string& m : o.gpu_models) {
      if (m.empty()) return InvalidArgument("GPU model must not be empty", "--gpu-model");
    }
    r["gpu_models"] = o.gpu_models;
  }
  if (!o.nodes.empty()) {
    const bool digits = o.nodes.size() <= 4 && o.nodes.find_first_not_of("0123456789") == std::string::npos;
    const int nodes = digits ? std::stoi(o.nodes) : 0;
    if (nodes < 1 || nodes > 1024) {
      return InvalidArgument(o.nodes + ": must be a whole number of nodes, 1..1024", "--nodes");
    }
    r["nodes"] = nodes;
  }
  return r;
}

Result<json> BuildEnv(const std::vector<std::string>& pairs) {
  json env = json::object();
  for (const std::string& pair : pairs) {
    size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgument(pair + ": must be NAME=VALUE", "--env");
    }
    env[pair.substr(0, eq)] = pair.substr(eq + 1);
  }
  return env;
}

}  // namespace

Result<std::string> BuildSubmitBody(const RunOptions& o) {
  if (o.argv.empty() || o.argv[0].empty()) {
    return InvalidArgument("no command given: put it after --, e.g. fastgpu run -- nvidia-smi",
                           "command");
  }
  json body = json::object();
  body["argv"] = o.argv;
  body["name"] = o.name.empty() ? BaseName(o.argv[0]) : o.name;
  FG_ASSIGN_OR_RETURN(json env, BuildEnv(o.env));
  if (!env.empty()) body["env"] = std::move(env);
  if (!o.workdir.empty()) body["workdir"] = o.workdir;
  FG_ASSIGN_OR_RETURN(json resources, BuildResources(o));
  if (!resources.empty()) body["resources"] = std::move(resources);
  if (!o.priority.empty()) {
    FG_ASSIGN_OR_RETURN(body["priority"], ParseInteger("--priority", o.priority, -1000, 1000));
  }
  if (!o.max_retries.empty()) {
    FG_ASSIGN_OR_RETURN(body["max_retries"], ParseInteger("--max-retries", o.max_retries, 0, 100));
  }
  if (!o.time_limit.empty()) {
    FG_ASSIGN_OR_RETURN(body["time_limit_s"],
                        ParseInteger("--time-limit", o.time_limit, 0, INT64_MAX / 1000));
  }
  if (!o.stop_signal.empty()) body["stop_signal"] = o.stop_signal;
  if (o.keep_outputs) body["keep_outputs"] = true;
  if (!o.array.empty()) body["array"] = o.array;
  if (!o.after.empty()) {
    std::vector<Dependency> deps;
    for (const std::string& text : o.after) FG_RETURN_IF_ERROR(ParseDependencies(text, "--after", &deps));
    json list = json::array();
    for (const Dependency& d : deps) {
      list.push_back({{"kind", std::string(DependencyKindName(d.kind))}, {"job", d.job}});
    }
    body["dependencies"] = std::move(list);
  }
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<int64_t> ParseJobId(const std::string& text) {
  bool digits = !text.empty() && text.size() <= 18 &&
                text.find_first_not_of("0123456789") == std::string::npos;
  int64_t id = digits ? std::strtoll(text.c_str(), nullptr, 10) : 0;
  if (id <= 0) return InvalidArgument("ID must be a job number, got '" + text + "'", "ID");
  return id;
}

int ExitCodeForJob(const Job& job) {
  if (job.state == "cancelled") return 130;
  if (job.state == "succeeded") return static_cast<int>(job.exit_code.value_or(0) & 0xff);
  if (job.state != "failed") return 1;
  if (job.signal.has_value() && *job.signal > 0) return 128 + static_cast<int>(*job.signal & 0x7f);
  if (!job.exit_code.has_value()) return 127;
  int code = static_cast<int>(*job.exit_code & 0xff);
  return code == 0 ? 1 : code;
}

}  // namespace fastgpu::cli
