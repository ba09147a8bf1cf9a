// `fastgpu show ID`: one job, as "key: value" lines or JSON.
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "cli/cmd.h"
#include "cli/cmd_common.h"
#include "cli/format.h"
#include "common/units.h"

namespace fastgpu::cli {
namespace {

std::string Join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

std::string Devices(const Job& job) {
  std::vector<std::string> parts;
  for (const JobDevice& d : job.devices) {
    std::string part = "GPU " + std::to_string(d.index);
    if (d.milli > 0 && d.milli < 1000) part += " x" + FormatMilli(d.milli);
    if (d.memory_mib > 0) part += " " + FormatMiB(d.memory_mib);
    if (!d.uuid.empty()) part += " (" + d.uuid + ")";
    parts.push_back(part);
  }
  return parts.empty() ? "-" : Join(parts, ", ");
}

std::string Resources(const Job& job) {
  std::vector<std::string> parts;
  std::string gpus = FormatGpuRequest(job.gpu_count, job.gpu_milli, job.gpu_memory_mib);
  parts.push_back("gpus " + gpus);
  if (job.cpu_milli > 0) parts.push_back("cpus " + FormatMilli(job.cpu_milli));
  if (job.memory_mib > 0) parts.push_back("memory " + FormatMiB(job.memory_mib));
  std::string out = Join(parts, ", ");
  if (job.nodes > 1) out = std::to_string(job.nodes) + " nodes x (" + out + ")";
  return out;
}

std::vector<std::pair<std::string, std::string>> Fields(const Job& job) {
  std::vector<std::pair<std::string, std::string>> f = {
      {"id", std::to_string(job.id)},
      {"name", job.name},
      {"tenant", job.tenant},
      {"state", job.state + (job.cancel_requested && !job.Ended() ? " (cancel requested)" : "")},
      {"reason", job.reason.empty() ? "-" : job.reason},
  };
  if (job.queue_position > 0) f.emplace_back("queue position", std::to_string(job.queue_position));
  if (!job.dependencies.empty()) f.emplace_back("after", Join(job.dependencies, ", "));
  if (!job.waiting_for.empty()) f.emplace_back("waiting for", Join(job.waiting_for, ", "));
  f.emplace_back("command", Join(job.argv, " "));
  if (!job.workdir.empty()) f.emplace_back("workdir", job.workdir);
  f.emplace_back("resources", Resources(job));
  f.emplace_back("priority", std::to_string(job.priority));
  if (job.rank_nodes.size() > 1) {
    f.emplace_back("nodes", Join(job.rank_nodes, ", ") + " (rank 0 first)");
  } else {
    f.emplace_back("node", job.node.empty() ? "-" : job.node);
  }
  f.emplace_back("devices", Devices(job));
  f.emplace_back("attempt", std::to_string(job.attempt) + " (max retries " +
                                std::to_string(job.max_retries) + ")");
  if (job.time_limit_s > 0) f.emplace_back("time limit", FormatDuration(job.time_limit_s * 1000));
  f.emplace_back("exit code", job.exit_code ? std::to_string(*job.exit_code) : "-");
  if (job.signal) f.emplace_back("signal", std::to_string(*job.signal));
  f.emplace_back("submitted", Age(job.submitted_ms) + (job.submitted_ms > 0 ? " ago" : ""));
  if (job.started_ms > 0) {
    int64_t end = job.finished_ms > 0 ? job.finished_ms : NowMs();
    f.emplace_back("run time", FormatDuration(end - job.started_ms));
  }
  return f;
}

}  // namespace

int ShowCommand(const GlobalFlags& globals, const std::string& id_text, bool json) {
  Result<int64_t> id = ParseJobId(id_text);
  if (!id.ok()) return ReportUsageError(id.error());
  std::unique_ptr<ApiClient> client = Connect(globals);
  if (client == nullptr) return kExitError;
  Result<Job> job = client->GetJob(*id);
  if (!job.ok()) return ReportError(job.error());
  if (json) {
    std::printf("%s\n", job->json.c_str());
    return kExitOk;
  }
  for (const auto& [key, value] : Fields(*job)) {
    std::printf("%-15s %s\n", (key + ":").c_str(), value.empty() ? "-" : value.c_str());
  }
  return kExitOk;
}

}  // namespace fastgpu::cli
