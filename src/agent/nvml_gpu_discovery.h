#pragma once
// NvmlGpuDiscovery: the node's real GPUs as NVML lists them: index, uuid, name as model, total
// memory in MiB, compute capability; a GPU in MIG mode is replaced by its MIG instances, each
// a device of its own (uuid "MIG-...", its own memory, model "<GPU name> MIG 1g.10gb").

#include <optional>
#include <string>
#include <vector>

#include "agent/gpu_discovery.h"
#include "agent/nvml/nvml.h"

namespace fastgpu::agent {

// A device as EnumerateNvmlDevices finds it, with the NVML handles to query it.
struct NvmlDevice {
  GpuDevice device;
  nvml::Device handle;                  // the device itself (GPU or MIG instance)
  nvml::Device gpu;                     // its physical GPU (== handle without MIG)
  std::optional<unsigned> gpu_instance;  // MIG: its GPU instance id (XID events name it)
};

// Lists the devices of an initialized NVML (see GpuDevice for the index rule). A GPU in MIG
// mode without instances offers nothing. A GPU (or instance) whose handle, uuid, name or
// memory cannot be read is left out, with the reason appended to *problems when given, so one
// broken GPU does not hide the others. Returns an error only when the device count fails.
Result<std::vector<NvmlDevice>> EnumerateNvmlDevices(nvml::Nvml& lib,
                                                     std::vector<std::string>* problems);

class NvmlGpuDiscovery final : public GpuDiscovery {
 public:
  // `library` is what dlopen loads; tests point it at a fake NVML.
  explicit NvmlGpuDiscovery(std::string library = nvml::kDefaultLibrary)
      : library_(std::move(library)) {}

  // Loads and initializes NVML for the duration of the call. Returns Unavailable with a clear
  // message when the library is missing or the driver refuses to initialize (the caller may
  // then fall back to no or simulated GPUs), Internal when a device query fails.
  Result<std::vector<GpuDevice>> List() override;

 private:
  std::string library_;
};

}  // namespace fastgpu::agent
