#pragma once
// Reading the Alibaba GPU-sharing trace ("openb", cluster-trace-gpu-v2023) CSV files into the
// core resource model. Columns are found by header name, so the 5-column multigpu files and
// the 11-column files both read. Not used inside the simulation loop.

#include <string>
#include <vector>

#include "common/result.h"
#include "core/model/resources.h"

namespace fastgpu::sim {

// Device memory the simulator gives every trace GPU: 1000 MiB, so that a slice's
// proportional memory equals its milli and memory never binds (the trace has no GPU memory).
inline constexpr int64_t kTraceGpuMemoryMib = 1000;

// `sn,cpu_milli,memory_mib,gpu,model`: one NodeSpec per row with `gpu` devices of `model`.
// NotFound when the file cannot be opened; InvalidArgument naming the line when a row or the
// header is malformed.
Result<std::vector<core::NodeSpec>> LoadTraceNodes(const std::string& path);

// `name,cpu_milli,memory_mib,num_gpu,gpu_milli[,gpu_spec,...]`: one request per row, in file
// order. num_gpu 0 is host-only; gpu_milli 1000 is whole GPUs; below 1000 a slice; gpu_spec
// `A|B` becomes gpu_models {A, B}. Errors as LoadTraceNodes.
Result<std::vector<core::ResourceRequest>> LoadTracePods(const std::string& path);

// A trace task with its times, for the time replay (`sim replay`).
struct TimedPod {
  core::ResourceRequest request;
  std::string qos;          // LS, BE, Burstable, Guaranteed ("" when the file has none)
  int64_t creation_s = 0;   // when it was submitted
  int64_t runtime_s = 0;    // deletion_time - (scheduled_time, or creation_time when it
                            // never ran), at least 1
};

// The pod list with `creation_time` and `deletion_time` (and `scheduled_time`, `qos` when
// present). InvalidArgument naming the column when the file has no times (the multigpu
// files), or the line of a malformed row.
Result<std::vector<TimedPod>> LoadTimedPods(const std::string& path);

}  // namespace fastgpu::sim
