#include "agent/nvml_gpu_discovery.h"

#include <spdlog/spdlog.h>

namespace fastgpu::agent {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;

// uuid, model, memory and compute capability of `handle` into `out`.
Status Describe(nvml::Nvml& lib, nvml::Device handle, GpuDevice* out) {
  FG_ASSIGN_OR_RETURN(out->spec.uuid, lib.DeviceUuid(handle));
  FG_ASSIGN_OR_RETURN(out->spec.model, lib.DeviceName(handle));
  FG_ASSIGN_OR_RETURN(nvml::MemoryInfo memory, lib.DeviceMemory(handle));
  out->spec.memory_mib = static_cast<int64_t>(memory.total_bytes / kMiB);
  return Status::Ok();
}

}  // namespace

Result<std::vector<NvmlDevice>> EnumerateNvmlDevices(nvml::Nvml& lib,
                                                     std::vector<std::string>* problems) {
  FG_ASSIGN_OR_RETURN(unsigned count, lib.DeviceCount());
  std::vector<NvmlDevice> out;
  auto problem = [problems](unsigned i, const Status& st) {
    if (problems != nullptr) problems->push_back("GPU " + std::to_string(i) + ": " + st.message());
  };
  for (unsigned i = 0; i < count; ++i) {
    Result<nvml::Device> gpu = lib.DeviceByIndex(i);
    if (!gpu.ok()) {
      problem(i, gpu.error());
      continue;
    }
    std::string capability;
    if (auto cc = lib.CudaComputeCapability(*gpu); cc.ok()) {
      capability = std::to_string(cc->major) + "." + std::to_string(cc->minor);
    }
    std::vector<nvml::Device> instances = {*gpu};  // a whole GPU: itself
    if (Result<bool> mig = lib.MigEnabled(*gpu); mig.ok() && *mig) {
      Result<std::vector<nvml::Device>> migs = lib.MigDevices(*gpu);
      if (!migs.ok()) problem(i, migs.error());
      instances = migs.ok() ? *migs : std::vector<nvml::Device>{};
    }
    for (nvml::Device handle : instances) {
      NvmlDevice d;
      d.handle = handle;
      d.gpu = *gpu;
      d.device.spec.index = static_cast<int32_t>(out.size());
      d.device.gpu_index = static_cast<int32_t>(i);
      d.device.mig = !(handle == *gpu);
      d.device.compute_capability = capability;
      if (Status st = Describe(lib, handle, &d.device); !st.ok()) {
        problem(i, st);
        continue;
      }
      d.device.visible_id = d.device.mig ? d.device.spec.uuid : std::to_string(i);
      if (d.device.mig) {
        if (auto gi = lib.GpuInstanceId(handle); gi.ok()) d.gpu_instance = *gi;
      }
      out.push_back(std::move(d));
    }
  }
  return out;
}

Result<std::vector<GpuDevice>> NvmlGpuDiscovery::List() {
  FG_ASSIGN_OR_RETURN(std::unique_ptr<nvml::Nvml> lib, nvml::Nvml::Load(library_));
  FG_RETURN_IF_ERROR(lib->Initialize());
  std::vector<std::string> problems;
  FG_ASSIGN_OR_RETURN(std::vector<NvmlDevice> found, EnumerateNvmlDevices(*lib, &problems));
  for (const std::string& p : problems) spdlog::warn("NVML: {}; that device is not offered", p);
  std::vector<GpuDevice> devices;
  for (NvmlDevice& d : found) devices.push_back(std::move(d.device));
  return devices;
}

}  // namespace fastgpu::agent
