#pragma once
// Plain values of the agent half of docs/api/protocol.md, as the agent's code sees them.
// JSON encoding lives in server_client.cc only.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/runner/attempt_key.h"
#include "core/model/resources.h"

namespace fastgpu::agent {

// The node's own state, sent with the registration and every report ("node_status").
struct NodeStatusReport {
  bool healthy = true;         // the admin's health check passes (or there is none)
  std::string health_message;  // why not healthy
  std::map<std::string, std::string> isolation;  // boundary -> mechanism or "none: why"
  bool isolates_tenants = false;                 // every boundary between tenants holds
  std::vector<std::string> warnings;             // the boundaries that do not hold
  bool operator==(const NodeStatusReport&) const = default;
};

// POST /v1/agent/register body.
struct Registration {
  std::string name;
  bool simulated = false;
  int32_t cpu_milli = 0;
  int64_t memory_mib = 0;
  std::map<std::string, std::string> labels;
  std::vector<core::DeviceSpec> devices;
  NodeStatusReport status;  // health and isolation as of the registration
};

// One entry of GET /v1/agent/desired: an attempt that should run on this node.
struct DesiredAttempt {
  AttemptKey key;
  std::string name;
  std::string tenant;
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  std::string workdir;
  std::vector<core::DeviceGrant> devices;
  int32_t cpu_milli = 0;
  int64_t memory_mib = 0;
  int64_t time_limit_s = 0;
  std::string stop_signal;    // "SIGUSR1", ...; empty: SIGTERM
  bool keep_outputs = false;  // keep the private folders when the attempt ends
  // One rank of a multi-node job (world_size > 1): the torch.distributed rendezvous.
  int32_t rank = 0;
  int32_t world_size = 1;
  std::string master_addr;
  int32_t master_port = 0;
  bool operator==(const DesiredAttempt&) const = default;
};

struct DesiredSet {
  int64_t version = 0;
  std::vector<DesiredAttempt> attempts;  // the whole set that should run here
};

// One entry of POST /v1/agent/report.
struct AttemptReport {
  AttemptKey key;
  bool exited = false;
  int32_t pid = 0;
  int64_t started_ms = 0;
  std::optional<int32_t> exit_code;  // exited only
  std::optional<int32_t> signal;     // exited only
  int64_t finished_ms = 0;           // exited only
  std::string error;                 // exited only
  bool oom_killed = false;           // exited only: the kernel's OOM killer hit the job
  bool timed_out = false;            // exited only: stopped at its time limit
  // exited only: the agent stopped it itself after losing the server for the grace period
  // (fenced), so the server treats it as lost with its node, not as the job's failure.
  bool lost = false;
  bool operator==(const AttemptReport&) const = default;
};


}  // namespace fastgpu::agent
