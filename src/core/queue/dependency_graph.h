#pragma once
// DependencyGraph: the jobs that wait for other jobs (submit --after ok:12 / any:12), and what
// each job's end means for them. Pure: no I/O; the controller tells it what was committed and
// acts on what it answers (clears a queued job's hold, or ends the job). Not thread-safe.
//
// A dependency names one job, or a whole job array (its id, which is its first task's): it
// then stands for every task ("members"). Rules, after Slurm's afterok / afterany:
//  - ok:  met when every member succeeded; never met once one member failed or was cancelled
//         (a lost job that used up its retries has failed);
//  - any: met when every member ended, however it ended.
// A waiting job is released when all its dependencies are met, and doomed when one of its ok
// dependencies can never be met: it will never run, and the controller ends it (cancelled,
// with Change::reason). Its own dependents learn of that end as of any other.
// Released jobs leave the graph; doomed ones stay (Hold() says why) until Remove().

#include <cstdint>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/dependency.h"
#include "core/model/job.h"

namespace fastgpu::core {

// How a dependency that was not met ended, for reasons: "failed (exit code 3)" (`reason` is
// the job's own), "failed", "was cancelled".
std::string HowItEnded(JobState state, const std::string& reason);

class DependencyGraph {
 public:
  // A decision about a waiting job.
  struct Change {
    JobId job = 0;
    bool doomed = false;  // false: released (every dependency met)
    std::string reason;   // doomed: "dependency 12 failed (exit code 3)"
    bool operator==(const Change&) const = default;
  };

  // Adds waiting job `job`. deps[i] stands for the jobs members[i]: {deps[i].job} for a plain
  // job, every task id for an array (same size as deps; an empty list counts as met). Every
  // member counts as running until Ended() says otherwise; tell it of members that ended
  // before (Ended is idempotent). Replaces an earlier Add of the same job.
  void Add(JobId job, std::vector<Dependency> deps, std::vector<std::vector<JobId>> members);

  // Job `id` ended in `state` (terminal), `reason` as its record says. Returns, by job id, the
  // waiting jobs this released or doomed; `progressed` (when not null) gets those that still
  // wait but with one dependency fewer. A job nobody waits for changes nothing.
  std::vector<Change> Ended(JobId id, JobState state, const std::string& reason,
                            std::vector<JobId>* progressed = nullptr);

  // `job` no longer waits (it ended, e.g. cancelled by its user, or its submit was lost).
  void Remove(JobId job);

  // Whether `job` is in the graph (waiting or doomed).
  bool Contains(JobId job) const { return waiters_.contains(job); }
  // "" when `job` is not in the graph; else why it may not start:
  //   "waiting for job 12 to succeed, array 20 to end (3 of 10 tasks left)", or, doomed,
  //   "can never run: dependency 12 failed (exit code 3)".
  std::string Hold(JobId job) const;
  // Why `job` can never run ("dependency 12 failed (exit code 3)"); "" unless it is doomed.
  std::string DoomReason(JobId job) const;
  // The dependencies of `job` not met yet (empty when not in the graph), in its order.
  std::vector<Dependency> Unmet(JobId job) const;
  // The doomed jobs, by id (the controller ends them; this lists them again should that fail).
  // Costs the number of doomed jobs, not of waiting ones.
  std::vector<Change> Doomed() const;

 private:
  struct Waiter {
    std::vector<Dependency> deps;
    std::vector<int32_t> total;   // members of each dependency
    std::vector<int32_t> open;    // members not ended yet
    std::vector<bool> array;      // the dependency names an array
    bool doomed = false;
    std::string reason;
  };
  struct Edge {
    JobId waiter = 0;
    uint32_t dep = 0;
  };
  std::unordered_map<JobId, Waiter> waiters_;
  std::unordered_map<JobId, std::vector<Edge>> by_member_;  // a running member -> who waits
  std::set<JobId> doomed_;
};

}  // namespace fastgpu::core
