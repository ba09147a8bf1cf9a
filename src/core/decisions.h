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
};

struct Decision {
  JobId id = 0;
  Verdict verdict = Verdict::kWait;
  std::optional<Placement> placement;  // set iff kPlaced
  std::string reason;                  // why it waits or is infeasible; empty when placed
  int32_t queue_position = 0;          // 1-based position among waiting jobs; 0 when placed
};

}  // namespace fastgpu::core
