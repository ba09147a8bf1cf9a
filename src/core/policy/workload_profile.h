#pragma once
// WorkloadProfile: the "typical tasks" a fragmentation-aware policy plans for, as in FGD
// (ATC '23, pkg/utils/frag.go): task shapes with their probabilities. Plain value, no I/O.
// Probabilities are scoring weights, never accounting, so they are doubles.

#include <cstdint>
#include <string>
#include <vector>

#include "core/model/resources.h"

namespace fastgpu::core {

// The part of a request that fragmentation depends on. Memory is not part of the shape.
struct TaskShape {
  int32_t cpu_milli = 0;
  int32_t gpu_count = 0;  // 0: no GPU
  int32_t gpu_milli = 0;  // per GPU; 1000 for whole GPUs
  std::vector<std::string> gpu_models;  // allowed models; empty = any
  auto operator<=>(const TaskShape&) const = default;
};

struct WeightedShape {
  TaskShape shape;
  double probability = 0;
};

struct WorkloadProfile {
  std::vector<WeightedShape> shapes;  // most frequent first; probabilities sum to 1
};

// The shape of a request (whole GPUs get gpu_milli 1000; no GPU gets 0/0).
TaskShape ShapeOf(const ResourceRequest& r);

// FGD's typical tasks: shapes taken in order of frequency (ties: shape order) until they
// cover at least `coverage_pct` percent of `tasks`, then renormalised. Empty `tasks` gives
// GenericWorkloadProfile().
WorkloadProfile BuildWorkloadProfile(const std::vector<ResourceRequest>& tasks,
                                     int coverage_pct = 95);

// A profile for when nothing is known about the workload: whole 1/2/4/8-GPU jobs and
// 1/4, 1/2 and 3/4 slices, none with a model constraint.
WorkloadProfile GenericWorkloadProfile();

}  // namespace fastgpu::core
