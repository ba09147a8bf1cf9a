#pragma once
// Jobs and nodes as records: what the store keeps and the API shows. Plain values, no I/O.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/dependency.h"
#include "core/model/resources.h"

namespace fastgpu::core {

enum class JobState {
  kPending,    // in the wait queue
  kScheduled,  // bound to a node, the agent has not reported it running yet
  kRunning,    // the agent reported the process started
  kSucceeded,  // exited 0
  kFailed,     // exited non-zero, killed by a signal, or could not start
  kCancelled,  // cancelled by a user (pending or running), or never to run: a dependency
               // it needs to succeed failed or was cancelled (reason "dependency 12 failed")
};

// "pending", "scheduled", ... ; ParseJobState returns false for an unknown name.
std::string_view JobStateName(JobState state);
bool ParseJobState(std::string_view name, JobState* out);
inline bool IsTerminal(JobState s) {
  return s == JobState::kSucceeded || s == JobState::kFailed || s == JobState::kCancelled;
}

// What the user submitted; immutable after submit.
struct JobSpec {
  std::string name;
  std::vector<std::string> argv;            // argv[0] is looked up in PATH; no shell
  std::map<std::string, std::string> env;   // added to a clean base environment
  std::string workdir;                      // empty: a fresh directory per attempt
  ResourceRequest resources;
  int32_t priority = 0;
  int32_t max_retries = 0;
  int64_t time_limit_s = 0;                 // 0: none
  // What a stop (cancel, preemption, time limit) sends first, e.g. "SIGUSR1" for a job that
  // checkpoints on it; "": SIGTERM. SIGKILL follows after the node's grace period.
  std::string stop_signal;
  bool keep_outputs = false;  // keep the attempt's private folders on the node after it ends
  // Submit only: the tenant to run the job as; "" = the caller's. Only admins may name
  // another tenant. The controller moves it into JobRecord::tenant, so stored specs have "".
  std::string tenant;
  // A task of a job array (submit --array 0-99%8), set by the controller at submit: the
  // array's id (the job id of its first task), this task's index (also FASTGPU_ARRAY_INDEX in
  // env) and how many of the array's tasks may run at once (0: no limit). 0, -1, 0 otherwise.
  JobId array_id = 0;
  int32_t array_index = -1;
  int32_t array_limit = 0;
  // Jobs that must end first (submit --after ok:12,any:13; core/queue/dependency_graph.h): by
  // the job (or array) id they name, as given, without repeats; at most kMaxDependencies.
  std::vector<Dependency> dependencies;
  bool operator==(const JobSpec&) const = default;
};

struct JobRecord {
  JobId id = 0;  // assigned by the store on create
  std::string tenant = "default";
  JobSpec spec;
  JobState state = JobState::kPending;
  std::string reason;       // why pending / why failed; empty otherwise
  int64_t submit_ms = 0;
  int64_t start_ms = 0;     // 0: not started
  int64_t end_ms = 0;       // 0: not ended
  int32_t attempt = 0;      // 1 for the first run; 0 while never bound
  std::optional<Placement> placement;  // set while scheduled/running, kept after the end
  std::optional<int32_t> exit_code;
  std::optional<int32_t> signal;
  bool cancel_requested = false;
  JobId preempting_for = 0;  // >0 while the attempt is being stopped to make room for this job
  int32_t preemptions = 0;   // how many times it was preempted and went back to the queue
  std::string user;          // who submitted it: the API key's user ("" for old records)
  std::string key_prefix;    // and the key's public prefix
  bool operator==(const JobRecord&) const = default;
};

struct NodeRecord {
  NodeSpec spec;
  bool simulated = false;
  int64_t registered_ms = 0;
  int64_t last_seen_ms = 0;
  bool cordoned = false;  // an operator said: no new jobs here (cordon or drain)
  bool draining = false;  // drain: cordoned, and reported drained once its jobs have ended
  bool operator==(const NodeRecord&) const = default;
};

}  // namespace fastgpu::core
