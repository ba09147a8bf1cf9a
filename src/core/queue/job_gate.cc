#include "core/queue/job_gate.h"

namespace fastgpu::core {

JobGate::JobGate(const ClusterState& state, const QueueOptions& options) : options_(options) {
  for (const auto& [id, bound] : state.running()) {
    if (!bound.job.group.empty()) group_running_[bound.job.group] += 1;
    tenant_running_[bound.job.tenant] += 1;
  }
}

std::string JobGate::Block(const QueuedJob& job) const {
  if (!job.hold.empty()) return job.hold;
  if (job.group_limit > 0 && !job.group.empty()) {
    auto it = group_running_.find(job.group);
    if (it != group_running_.end() && it->second >= job.group_limit) {
      return job.group + " runs " + std::to_string(it->second) + " of its tasks at once (the limit)";
    }
  }
  const int32_t max_jobs = options_.Tenant(job.tenant).max_running_jobs;
  if (max_jobs >= 0) {
    auto it = tenant_running_.find(job.tenant);
    const int32_t running = it == tenant_running_.end() ? 0 : it->second;
    if (running >= max_jobs) {
      return "over quota: tenant " + job.tenant + " runs " + std::to_string(running) +
             " of its max " + std::to_string(max_jobs) + (max_jobs == 1 ? " job" : " jobs");
    }
  }
  return "";
}

void JobGate::Placed(const QueuedJob& job) {
  if (!job.group.empty()) group_running_[job.group] += 1;
  tenant_running_[job.tenant] += 1;
}

}  // namespace fastgpu::core
