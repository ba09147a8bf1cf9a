// Nvml: the optional per-device queries (see nvml.h for their errors).
#include <utility>

#include "agent/nvml/nvml.h"
#include "agent/nvml/nvml_symbols.h"

namespace fastgpu::agent::nvml {
namespace {

constexpr unsigned kMaxProcesses = 256;

}  // namespace

Result<ComputeCapability> Nvml::CudaComputeCapability(Device device) {
  FG_RETURN_IF_ERROR(Ready(symbols_->compute_capability != nullptr, "compute capability"));
  ComputeCapability cc;
  FG_RETURN_IF_ERROR(Check(symbols_->compute_capability(device.handle, &cc.major, &cc.minor),
                           "nvmlDeviceGetCudaComputeCapability"));
  return cc;
}

Result<bool> Nvml::MigEnabled(Device device) {
  FG_RETURN_IF_ERROR(Ready(symbols_->mig_mode != nullptr, "MIG mode"));
  unsigned current = 0;
  unsigned pending = 0;
  FG_RETURN_IF_ERROR(
      Check(symbols_->mig_mode(device.handle, &current, &pending), "nvmlDeviceGetMigMode"));
  return current == FG_NVML_DEVICE_MIG_ENABLE;
}

Result<std::vector<Device>> Nvml::MigDevices(Device gpu) {
  FG_RETURN_IF_ERROR(
      Ready(symbols_->max_mig_count != nullptr && symbols_->mig_by_index != nullptr, "MIG"));
  unsigned max = 0;
  FG_RETURN_IF_ERROR(
      Check(symbols_->max_mig_count(gpu.handle, &max), "nvmlDeviceGetMaxMigDeviceCount"));
  std::vector<Device> out;
  for (unsigned i = 0; i < max; ++i) {
    Dev mig = nullptr;
    int rc = symbols_->mig_by_index(gpu.handle, i, &mig);
    if (rc == FG_NVML_ERROR_NOT_FOUND) continue;  // no instance at this slot
    FG_RETURN_IF_ERROR(Check(rc, "nvmlDeviceGetMigDeviceHandleByIndex"));
    out.push_back(Device{mig});
  }
  return out;
}

Result<unsigned> Nvml::GpuInstanceId(Device mig) {
  FG_RETURN_IF_ERROR(Ready(symbols_->gpu_instance_id != nullptr, "GPU instance id"));
  unsigned id = 0;
  FG_RETURN_IF_ERROR(
      Check(symbols_->gpu_instance_id(mig.handle, &id), "nvmlDeviceGetGpuInstanceId"));
  return id;
}

Result<Utilization> Nvml::DeviceUtilization(Device device) {
  FG_RETURN_IF_ERROR(Ready(symbols_->utilization != nullptr, "utilization"));
  fg_nvmlUtilization_t u = {};
  FG_RETURN_IF_ERROR(
      Check(symbols_->utilization(device.handle, &u), "nvmlDeviceGetUtilizationRates"));
  return Utilization{u.gpu, u.memory};
}

Result<unsigned> Nvml::TemperatureCelsius(Device device) {
  FG_RETURN_IF_ERROR(Ready(symbols_->temperature != nullptr, "temperature"));
  unsigned t = 0;
  FG_RETURN_IF_ERROR(Check(symbols_->temperature(device.handle, FG_NVML_TEMPERATURE_GPU, &t),
                           "nvmlDeviceGetTemperature"));
  return t;
}

Result<unsigned> Nvml::PowerMilliwatts(Device device) {
  FG_RETURN_IF_ERROR(Ready(symbols_->power != nullptr, "power"));
  unsigned mw = 0;
  FG_RETURN_IF_ERROR(Check(symbols_->power(device.handle, &mw), "nvmlDeviceGetPowerUsage"));
  return mw;
}

Result<uint64_t> Nvml::EccErrors(Device device, EccCounter counter) {
  FG_RETURN_IF_ERROR(Ready(symbols_->ecc_total != nullptr, "ECC errors"));
  const int type = counter == EccCounter::kCorrected ? FG_NVML_MEMORY_ERROR_TYPE_CORRECTED
                                                     : FG_NVML_MEMORY_ERROR_TYPE_UNCORRECTED;
  unsigned long long count = 0;  // NOLINT: NVML's ABI
  FG_RETURN_IF_ERROR(Check(symbols_->ecc_total(device.handle, type, FG_NVML_VOLATILE_ECC, &count),
                           "nvmlDeviceGetTotalEccErrors"));
  return static_cast<uint64_t>(count);
}

Result<std::vector<ProcessInfo>> Nvml::ComputeProcesses(Device device) {
  FG_RETURN_IF_ERROR(Ready(symbols_->processes != nullptr || symbols_->processes_v1 != nullptr,
                           "compute processes"));
  std::vector<ProcessInfo> out;
  auto add = [&out](unsigned pid, unsigned long long used) {  // NOLINT
    ProcessInfo p;
    p.pid = pid;
    if (used != FG_NVML_VALUE_NOT_AVAILABLE) p.used_bytes = used;
    out.push_back(p);
  };
  unsigned count = kMaxProcesses;
  if (symbols_->processes != nullptr) {
    std::vector<fg_nvmlProcessInfo_t> infos(kMaxProcesses);
    FG_RETURN_IF_ERROR(Check(symbols_->processes(device.handle, &count, infos.data()),
                             "nvmlDeviceGetComputeRunningProcesses"));
    for (unsigned i = 0; i < count && i < kMaxProcesses; ++i) {
      add(infos[i].pid, infos[i].usedGpuMemory);
    }
    return out;
  }
  std::vector<fg_nvmlProcessInfo_v1_t> infos(kMaxProcesses);
  FG_RETURN_IF_ERROR(Check(symbols_->processes_v1(device.handle, &count, infos.data()),
                           "nvmlDeviceGetComputeRunningProcesses"));
  for (unsigned i = 0; i < count && i < kMaxProcesses; ++i) add(infos[i].pid, infos[i].usedGpuMemory);
  return out;
}

}  // namespace fastgpu::agent::nvml
