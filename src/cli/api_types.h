#pragma once
// Plain structs for what the fastgpu HTTP API returns (docs/api/protocol.md, user part), as the
// CLI reads them. Only the fields the CLI shows are decoded; `json` keeps the whole object,
// pretty-printed, for `--json` output. No JSON library in this header.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fastgpu::cli {

// One device slice bound to a job.
struct JobDevice {
  int64_t index = 0;
  std::string uuid;
  int64_t milli = 0;
  int64_t memory_mib = 0;
};

struct Job {
  int64_t id = 0;
  std::string name;
  std::string tenant;
  std::vector<std::string> argv;
  std::string workdir;
  // resources
  int64_t gpu_count = 0;
  int64_t gpu_milli = 0;  // per device; 1000 = whole GPU
  int64_t gpu_memory_mib = 0;
  int64_t cpu_milli = 0;
  int64_t memory_mib = 0;
  std::vector<std::string> gpu_models;  // acceptable models; empty: any
  int64_t nodes = 1;                    // > 1: a multi-node job (resources are per node)
  int64_t priority = 0;
  int64_t max_retries = 0;
  int64_t time_limit_s = 0;
  int64_t array_id = 0;      // > 0: a task of job array array_id (its first task's id)
  int64_t array_index = -1;  // that task's index
  int64_t array_limit = 0;   // how many of the array's tasks run at once; 0: no limit
  std::vector<std::string> dependencies;  // as submitted: "ok:12", "any:13"
  std::vector<std::string> waiting_for;   // pending: the dependencies not met yet
  std::string state;  // pending|scheduled|running|succeeded|failed|cancelled
  std::string reason;
  int64_t queue_position = 0;  // > 0 only while pending
  std::string node;            // empty until bound (rank 0's node for a multi-node job)
  std::vector<JobDevice> devices;
  std::vector<std::string> rank_nodes;  // every rank's node, by rank (one for most jobs)
  int64_t attempt = 0;
  std::optional<int64_t> exit_code;
  std::optional<int64_t> signal;
  bool cancel_requested = false;
  int64_t submitted_ms = 0;
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
  std::string json;  // the whole object as the server sent it, pretty-printed

  // True for succeeded, failed and cancelled.
  bool Ended() const { return state == "succeeded" || state == "failed" || state == "cancelled"; }
};

struct JobPage {
  std::vector<Job> jobs;
  std::optional<int64_t> next;  // the `after` value of the next page; empty at the end
};

struct NodeDevice {
  int64_t index = 0;
  std::string uuid;
  std::string model;
  int64_t memory_mib = 0;
};

struct Node {
  std::string name;
  std::string state;  // ready|not_ready
  bool simulated = false;
  int64_t cpu_milli = 0;
  int64_t memory_mib = 0;
  int64_t last_seen_ms = 0;
  std::vector<NodeDevice> devices;
  std::string json;
};

struct GpuAllocation {
  int64_t job = 0;
  std::string tenant;
  int64_t milli = 0;
  int64_t memory_mib = 0;
};

struct Gpu {
  std::string node;
  int64_t index = 0;
  std::string uuid;
  std::string model;
  int64_t memory_mib = 0;
  int64_t free_milli = 0;
  int64_t free_memory_mib = 0;
  bool node_ready = true;
  bool healthy = true;  // false: the agent took it out of service (XID, ECC, lost)
  std::string health;   // why, when unhealthy
  std::vector<GpuAllocation> allocations;
};

struct PoolSummary {
  int64_t nodes = 0;
  int64_t gpus = 0;
  int64_t idle_gpus = 0;
  int64_t total_milli = 0;
  int64_t free_milli = 0;
  int64_t total_memory_mib = 0;
  int64_t free_memory_mib = 0;
  int64_t pending_jobs = 0;
};

struct Pool {
  std::vector<Gpu> gpus;
  PoolSummary summary;
  std::string json;
};

enum class LogStream { kStdout, kStderr };

}  // namespace fastgpu::cli
