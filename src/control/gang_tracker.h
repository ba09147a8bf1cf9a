#pragma once
// GangTracker: the exits of the ranks of multi-node jobs, until the job as a whole has ended.
// A multi-node job has one attempt that runs as one rank per node (docs/queueing.md). Its
// ranks' exits are kept here, in memory: the controller acks an exited rank only once the job
// has ended and that end is committed, so after a server restart the agents report the exits
// again and this is rebuilt (level-triggered, like everything the agents report).
// Not thread-safe; the controller's mutex guards it.

#include <cstdint>
#include <map>
#include <optional>

#include "control/controller.h"
#include "core/model/resources.h"

namespace fastgpu::control {

class GangTracker {
 public:
  // `rank` of `job` exited as `report` (a repeated report of the same rank changes nothing).
  // ran = false: the rank never ran (it was still to start when the job was stopped).
  void Exited(core::JobId job, int32_t rank, const AttemptReport& report, bool ran = true);
  // Whether some rank of `job` ended badly (could not start, a signal, OOM, a non-zero or no
  // exit code): the other ranks are to be stopped.
  bool Failed(core::JobId job) const;
  bool HasExited(core::JobId job, int32_t rank) const;
  // When every one of `world_size` ranks has exited: the report the job ends with: the first
  // failure reported (the one that made the others stop; ranks that ran before ranks that
  // never did), or else rank 0's. nullopt while some rank has not.
  std::optional<AttemptReport> Outcome(core::JobId job, int32_t world_size) const;
  void Forget(core::JobId job) { exited_.erase(job); }

 private:
  struct Exit {
    AttemptReport report;
    bool ran = true;
    uint64_t order = 0;  // when it was first reported
  };
  uint64_t next_order_ = 0;
  std::map<core::JobId, std::map<int32_t, Exit>> exited_;
};

// Whether the attempt ended badly (see GangTracker::Failed).
bool ReportFailed(const AttemptReport& report);

}  // namespace fastgpu::control
