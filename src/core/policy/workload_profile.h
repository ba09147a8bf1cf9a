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
  int64_t count = 0;  // tasks of this shape the profile was built from; 0 in a made-up profile
};

struct WorkloadProfile {
  std::vector<WeightedShape> shapes;  // most frequent first; probabilities sum to 1
};

// The shape of a request (whole GPUs get gpu_milli 1000; no GPU gets 0/0).
TaskShape ShapeOf(const ResourceRequest& r);

// The shapes of `tasks`, most frequent first (ties: shape order), each with its count and
// probability. With `coverage_pct` below 100 only the top shapes that cover at least that
// percent of the tasks are kept, renormalised (FGD's "typical tasks" at 95). The default, 100,
// keeps every shape: that is what PolicyOptions::workload expects. Empty `tasks` gives
// GenericWorkloadProfile().
WorkloadProfile BuildWorkloadProfile(const std::vector<ResourceRequest>& tasks,
                                     int coverage_pct = 100);

// FGD's typical tasks of `profile`: its shapes taken in order of probability (ties: profile
// order) until they cover at least `coverage_pct` percent, renormalised, in profile order. On a
// profile with counts the cut and the probabilities are computed from the counts, so
// TypicalShapes(BuildWorkloadProfile(tasks), p) equals BuildWorkloadProfile(tasks, p) exactly.
// Returns `profile` unchanged when every shape is kept.
WorkloadProfile TypicalShapes(const WorkloadProfile& profile, int coverage_pct);

// The fraction (0 to 1) of the profile's expected GPU demand (probability x gpu_count x
// gpu_milli, summed over shapes) that multi-GPU shapes (gpu_count >= 2) carry; 0 when the
// profile asks for no GPU.
double MultiGpuDemandShare(const WorkloadProfile& profile);

// A profile for when nothing is known about the workload: whole 1/2/4/8-GPU jobs and
// 1/4, 1/2 and 3/4 slices, none with a model constraint.
WorkloadProfile GenericWorkloadProfile();

}  // namespace fastgpu::core
