#pragma once
// The agent's GPUs at start: discovery (simulated, or NVML falling back to none), the GPU
// monitor over them, and what a job's environment needs to know about them.

#include <memory>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "agent/gpu_discovery.h"
#include "agent/gpu_monitor.h"
#include "agent/reconciler.h"

namespace fastgpu::agent {

struct NodeGpus {
  std::vector<GpuDevice> devices;
  bool simulated = false;
  std::unique_ptr<GpuMonitor> monitor;  // never null
};

// Discovers the devices (options.simulate, else NVML from options.nvml_library; without NVML
// the node offers zero GPUs and says so in the log) and starts their monitor. InvalidArgument
// (field "simulate") for a bad SPEC.
Result<NodeGpus> SetUpGpus(const AgentOptions& options, const std::string& node);

// Fills host's device memory, CUDA_VISIBLE_DEVICES entries (MIG uuids), the vGPU library
// (options.vgpu_library or next to this binary; a warning when missing) and the MPS pipe
// directory (when an MPS control daemon runs; said in the log).
void AddGpuHostEnv(const NodeGpus& gpus, const AgentOptions& options, HostEnv* host);

}  // namespace fastgpu::agent
