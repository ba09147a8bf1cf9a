#pragma once
// The resource model shared by the scheduler, the store and the API. Plain values, no I/O.
// GPU compute is fixed-point milli (1000 = one whole GPU); memory is MiB. No doubles.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace fastgpu::core {

using JobId = int64_t;
inline constexpr int32_t kWholeGpuMilli = 1000;

// What a job holds of one device.
struct Slice {
  int32_t milli = 0;       // compute share, 0..1000
  int64_t memory_mib = 0;  // device memory
  auto operator<=>(const Slice&) const = default;
};

// One physical GPU (or MIG instance) of a node, as the agent reported it.
struct DeviceSpec {
  int32_t index = 0;
  std::string uuid;
  std::string model;       // e.g. "A100-80GB", "NVIDIA H100 80GB HBM3"
  int64_t memory_mib = 0;
  // False when the agent saw XID errors, too many ECC errors, or lost the device from NVML:
  // an unhealthy device offers no free capacity (capacity.h), so it gets no new work; what
  // runs there keeps its grants.
  bool healthy = true;
  bool operator==(const DeviceSpec&) const = default;
};

// A node as registered: its devices and host resources.
struct NodeSpec {
  std::string name;
  std::vector<DeviceSpec> devices;  // sorted by index
  int32_t cpu_milli = 0;            // 1000 per core
  int64_t memory_mib = 0;
  std::map<std::string, std::string> labels;
  // Whether its agent enforces every isolation boundary between tenants' jobs (devices, users,
  // private /tmp; docs/security.md). A node that does not may be kept to one tenant at a time
  // (QueueOptions::single_tenant_unisolated).
  bool isolates_tenants = true;
  bool operator==(const NodeSpec&) const = default;
};

// What a job asks for.
//  - gpu_count == 0: no GPU.
//  - gpu_milli == 1000 and gpu_memory_mib == 0: gpu_count whole GPUs, each fully idle.
//  - otherwise a slice: gpu_count must be 1; gpu_milli in [0, 1000] compute share (0 means
//    memory-only, best-effort compute); gpu_memory_mib the memory slice, or 0 meaning
//    "proportional to gpu_milli" of the chosen device's memory.
// cpu_milli and memory_mib are host resources; 0 means not reserved.
// nodes > 1: a multi-node job (a gang): `nodes` distinct nodes, each holding all of the above
// (so 2 nodes x 8 GPUs is gpu_count 8, nodes 2), placed all at once or not at all. A gang
// takes whole GPUs or no GPU, never a slice.
struct ResourceRequest {
  int32_t gpu_count = 0;
  int32_t gpu_milli = kWholeGpuMilli;
  int64_t gpu_memory_mib = 0;
  int32_t cpu_milli = 0;
  int64_t memory_mib = 0;
  std::vector<std::string> gpu_models;  // allowed device models; empty = any
  int32_t nodes = 1;                    // > 1: a multi-node job, see above
  bool operator==(const ResourceRequest&) const = default;

  bool WantsWholeGpus() const { return gpu_count > 0 && gpu_milli == kWholeGpuMilli && gpu_memory_mib == 0; }
};

// One device granted to a job, with the slice it holds there.
struct DeviceGrant {
  int32_t index = 0;
  std::string uuid;
  Slice slice;
  bool operator==(const DeviceGrant&) const = default;
};

// Where a job runs and what it holds there. A multi-node job's placement is its rank 0, on
// `node`, with ranks 1..N-1 in `peers` (each on its own node, with empty peers of its own);
// rank 0 also holds `port`, the rendezvous port (MASTER_PORT) on its node. See
// core/model/gang.h for walking the ranks.
struct Placement {
  std::string node;
  std::vector<DeviceGrant> devices;  // sorted by index
  int32_t cpu_milli = 0;
  int64_t memory_mib = 0;
  std::vector<Placement> peers;  // ranks 1..N-1; empty for a single-node job
  int32_t port = 0;              // multi-node rank 0 only: the rendezvous port; else 0
  bool operator==(const Placement&) const = default;
};

// A job waiting in the queue, as the scheduler sees it.
struct QueuedJob {
  JobId id = 0;
  std::string tenant;
  int32_t priority = 0;   // higher runs first
  int64_t submit_ms = 0;  // tie-break after priority, then id
  ResourceRequest request;
  int64_t time_limit_s = 0;  // the job's limit: its runtime estimate for backfill; 0: none
  // The gate (core/queue/job_gate.h). hold: non-empty while the job may not start, with the
  // reason (e.g. an unmet dependency); the controller sets and clears it (JobHold).
  // group/group_limit: at most group_limit jobs of the same group run at once (a job array's
  // "%8"); 0: no limit.
  std::string hold;
  std::string group;
  int32_t group_limit = 0;
  bool operator==(const QueuedJob&) const = default;
};

}  // namespace fastgpu::core
