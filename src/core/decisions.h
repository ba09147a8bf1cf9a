#pragma once
// Decisions: the only outputs of the scheduler. Plain structs.

#include <optional>
#include <string>

#include "core/model/resources.h"

namespace fastgpu::core {

enum class Verdict {
  kPlaced,      // placement holds where the job should run now
  kWait,        // fits the cluster's total capacity but not what is free now
  kInfeasible,  // can never fit any current node
  kPreempt,     // `id` is a bound job to stop (SIGTERM, then SIGKILL after the grace) so that
                // job `for_job` can run; it keeps its resources until it is released, then
                // goes back to the queue
};

struct Decision {
  JobId id = 0;
  Verdict verdict = Verdict::kWait;
  std::optional<Placement> placement;  // set iff kPlaced
  std::string reason;                  // why it waits or is infeasible; empty when placed
  int32_t queue_position = 0;          // 1-based position among waiting jobs; 0 when placed
  JobId for_job = 0;                   // kPreempt: the job the victim makes room for
};

}  // namespace fastgpu::core
