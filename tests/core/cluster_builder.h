#pragma once
// Small builders for core tests: nodes with N identical GPUs, jobs asking for whole GPUs,
// slices or host resources only, and an Apply that fails the test on error.

#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "core/events.h"
#include "core/model/resources.h"
#include "core/state.h"

namespace fastgpu::core::test_util {

inline constexpr int64_t kGiB = 1024;  // MiB

// A node named `name` with `gpus` devices of `model`, each `gpu_mib` of memory, uuids
// "<name>-gpu<i>", 64 CPUs and 512GiB of host memory.
inline NodeSpec GpuNode(const std::string& name, int gpus, int64_t gpu_mib = 80 * kGiB,
                        const std::string& model = "A100-80GB") {
  NodeSpec spec;
  spec.name = name;
  for (int i = 0; i < gpus; ++i) {
    spec.devices.push_back(
        DeviceSpec{i, name + "-gpu" + std::to_string(i), model, gpu_mib});
  }
  spec.cpu_milli = 64000;
  spec.memory_mib = 512 * kGiB;
  return spec;
}

inline QueuedJob WholeJob(JobId id, int gpus, int32_t priority = 0, int64_t submit_ms = 0) {
  QueuedJob job;
  job.id = id;
  job.tenant = "default";
  job.priority = priority;
  job.submit_ms = submit_ms;
  job.request.gpu_count = gpus;
  return job;
}

// One GPU slice: `milli` compute and `memory_mib` memory (0: proportional to milli).
inline QueuedJob SliceJob(JobId id, int32_t milli, int64_t memory_mib = 0) {
  QueuedJob job = WholeJob(id, 1);
  job.request.gpu_milli = milli;
  job.request.gpu_memory_mib = memory_mib;
  return job;
}

inline QueuedJob HostJob(JobId id, int32_t cpu_milli, int64_t memory_mib) {
  QueuedJob job = WholeJob(id, 0);
  job.request.cpu_milli = cpu_milli;
  job.request.memory_mib = memory_mib;
  return job;
}

// Applies `event`, failing the current test (non-fatally) when it is rejected.
inline void MustApply(ClusterState& state, Event event) {
  const Status s = state.Apply(std::move(event));
  EXPECT_TRUE(s.ok()) << s.ToString();
}

}  // namespace fastgpu::core::test_util
