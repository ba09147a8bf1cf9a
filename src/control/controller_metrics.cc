// ControllerImpl: its metrics (docs/operations.md lists them). Counters and histograms are
// updated where things happen; gauges of the current state are computed at scrape time by the
// collector below, under mu_.
#include <map>
#include <string>

#include "control/controller_impl.h"
#include "core/capacity.h"

namespace fastgpu::control {
namespace {

constexpr double kBytesPerMib = 1024.0 * 1024.0;

// Per-device gauges. Telemetry that agents report (utilization, memory in use) belongs here
// too, next to what the scheduler allocated, labelled the same way.
void CollectDevices(const core::ClusterState& state, metrics::Scrape& out) {
  double total = 0, allocated = 0;
  for (const core::NodeState& node : state.nodes()) {
    const std::string& name = node.spec().name;
    for (size_t i = 0; i < node.spec().devices.size(); ++i) {
      const core::DeviceSpec& d = node.spec().devices[i];
      const metrics::Labels labels = {{"node", name},
                                      {"device", std::to_string(d.index)},
                                      {"uuid", d.uuid},
                                      {"model", d.model}};
      const double used_milli = core::kWholeGpuMilli - core::FreeMilli(node, i);
      const double used_mib = static_cast<double>(d.memory_mib - core::FreeMemory(node, i));
      out.Gauge("fastgpu_gpu_allocated_ratio", "Share of the device's compute held by jobs", labels,
                used_milli / core::kWholeGpuMilli);
      out.Gauge("fastgpu_gpu_memory_bytes", "Memory of the device", labels,
                static_cast<double>(d.memory_mib) * kBytesPerMib);
      out.Gauge("fastgpu_gpu_memory_allocated_bytes", "Device memory held by jobs' slices", labels,
                used_mib * kBytesPerMib);
      total += core::kWholeGpuMilli;
      allocated += used_milli;
    }
  }
  out.Gauge("fastgpu_gpu_allocation_ratio", "Share of the pool's GPU compute held by jobs", {},
            total > 0 ? allocated / total : 0);
}

}  // namespace

void CollectNodeStatus(const std::string& node, const NodeStatus& status, metrics::Scrape& out) {
  const metrics::Labels labels = {{"node", node}};
  out.Gauge("fastgpu_node_healthy", "Whether the node's own health check passes", labels,
            status.healthy ? 1 : 0);
  out.Gauge("fastgpu_node_isolates_tenants",
            "Whether the node enforces every isolation boundary between tenants' jobs", labels,
            status.isolates_tenants ? 1 : 0);
  for (const auto& [boundary, how] : status.isolation) {
    out.Gauge("fastgpu_node_isolation",
              "Whether the node enforces one isolation boundary between jobs (docs/security.md)",
              {{"node", node}, {"boundary", boundary}}, how.rfind("none", 0) == 0 ? 0 : 1);
  }
}

void ControllerImpl::RegisterMetrics() {
  metrics::Registry* r = options_.metrics;
  if (r == nullptr) return;
  queue_wait_ = &r->GetHistogram("fastgpu_queue_wait_seconds",
                                 "Time from entering the queue to being scheduled");
  cycle_seconds_ =
      &r->GetHistogram("fastgpu_scheduler_cycle_seconds", "Duration of one scheduling pass");
  const std::string decisions = "fastgpu_scheduler_decisions_total";
  const std::string help = "Scheduler decisions by verdict";
  placed_ = &r->GetCounter(decisions, help, {{"verdict", "placed"}});
  waited_ = &r->GetCounter(decisions, help, {{"verdict", "wait"}});
  preempted_ = &r->GetCounter(decisions, help, {{"verdict", "preempt"}});
  infeasible_ = &r->GetCounter(decisions, help, {{"verdict", "infeasible"}});
  nodes_lost_ =
      &r->GetCounter("fastgpu_nodes_lost_total", "Nodes declared lost after missing heartbeats");
  r->AddCollector(this, [this](metrics::Scrape& out) {
    std::lock_guard<std::mutex> lock(mu_);
    std::map<core::JobState, int64_t> jobs = ended_counts_;
    for (core::JobState s :
         {core::JobState::kPending, core::JobState::kScheduled, core::JobState::kRunning}) {
      jobs[s] += 0;
    }
    for (const auto& [id, view] : active_) jobs[view.record.state] += 1;
    for (const auto& [state, n] : jobs) {
      out.Gauge("fastgpu_jobs", "Jobs by state",
                {{"state", std::string(core::JobStateName(state))}}, static_cast<double>(n));
    }
    std::map<std::string, int64_t> nodes = {{"ready", 0},    {"not_ready", 0}, {"unhealthy", 0},
                                            {"cordoned", 0}, {"draining", 0},  {"drained", 0}};
    for (const auto& [name, entry] : nodes_) {
      nodes[NodeViewLocked(entry).state] += 1;
      if (entry.status) CollectNodeStatus(name, *entry.status, out);
    }
    for (const auto& [state, n] : nodes) {
      out.Gauge("fastgpu_nodes", "Nodes by state", {{"state", state}}, static_cast<double>(n));
    }
    out.Gauge("fastgpu_changes_in_flight", "Changes handed to the store writer, not yet applied",
              {}, static_cast<double>(writes_in_flight_));
    CollectDevices(state_, out);
  });
}

}  // namespace fastgpu::control
