#pragma once
// A quick look for real GPUs, for `fastgpu up` to decide between NVML and simulation.

#include <string>

namespace fastgpu::agent {

// Number of GPUs NVML reports; 0 with *why set ("libnvidia-ml.so.1 not found", ...) when NVML
// is missing, fails, or sees no device. Never throws or aborts.
int CountNvmlGpus(std::string* why);

}  // namespace fastgpu::agent
