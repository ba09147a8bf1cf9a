// NVML's memory queries show the job's slice on the devices the job can see.

#include <stdlib.h>
#include <string.h>

#include "vgpu/hook_table.h"
#include "vgpu/runtime.h"

namespace {

constexpr int kNvmlErrorFunctionNotFound = 13;

void* NvmlSymbol(const char* name) {
  void* lib = fastgpu::vgpu::NvmlLibrary();
  return lib != nullptr ? fastgpu::vgpu::RealDlsym(lib, name) : nullptr;
}

// Whether the CUDA_VISIBLE_DEVICES entry [entry, end) names `device`: an index entry its NVML
// index, a uuid entry ("GPU-...", "MIG-...") its uuid.
bool Names(const char* entry, const char* end, fg_nvmlDevice_t device) {
  using GetIndexFn = int (*)(fg_nvmlDevice_t, unsigned*);
  using GetUuidFn = int (*)(fg_nvmlDevice_t, char*, unsigned);
  if (entry[0] >= '0' && entry[0] <= '9') {
    auto get_index = reinterpret_cast<GetIndexFn>(NvmlSymbol("nvmlDeviceGetIndex"));
    unsigned index = 0;
    if (get_index == nullptr || get_index(device, &index) != 0) return false;
    return strtoul(entry, nullptr, 10) == index;
  }
  auto get_uuid = reinterpret_cast<GetUuidFn>(NvmlSymbol("nvmlDeviceGetUUID"));
  char uuid[96] = {};
  if (get_uuid == nullptr || get_uuid(device, uuid, sizeof(uuid)) != 0) return false;
  size_t n = static_cast<size_t>(end - entry);
  return strlen(uuid) == n && strncmp(uuid, entry, n) == 0;
}

// The CUDA ordinal of an NVML device for this job: the position of the CUDA_VISIBLE_DEVICES
// entry that names it, or its NVML index when that is unset. -1: not visible to the job.
int CudaOrdinal(fg_nvmlDevice_t device) {
  const char* visible = getenv("CUDA_VISIBLE_DEVICES");
  if (visible == nullptr) {
    using GetIndexFn = int (*)(fg_nvmlDevice_t, unsigned*);
    auto get_index = reinterpret_cast<GetIndexFn>(NvmlSymbol("nvmlDeviceGetIndex"));
    unsigned index = 0;
    if (get_index == nullptr || get_index(device, &index) != 0) return 0;
    return static_cast<int>(index);
  }
  int ordinal = 0;
  for (const char* p = visible; *p != '\0'; ++ordinal) {
    const char* end = strchr(p, ',');
    if (end == nullptr) end = p + strlen(p);
    if (end > p && Names(p, end, device)) return ordinal;
    p = *end == ',' ? end + 1 : end;
  }
  return -1;
}

// The slice as (total, used, free) for `device`; false when the device is not limited here.
bool Slice(fg_nvmlDevice_t device, unsigned long long* total, unsigned long long* used,  // NOLINT
           unsigned long long* free_bytes) {                                             // NOLINT
  if (!fastgpu::vgpu::MemoryLimited()) return false;
  int ordinal = CudaOrdinal(device);
  if (ordinal < 0) return false;
  fastgpu::vgpu::MemView view = fastgpu::vgpu::ReportedView(
      fastgpu::vgpu::GetConfig().memory_limit, fastgpu::vgpu::JobUsed(ordinal), *total, *free_bytes);
  *total = view.total;
  *used = view.used;
  *free_bytes = view.free;
  return true;
}

}  // namespace

extern "C" {

int nvmlDeviceGetMemoryInfo(fg_nvmlDevice_t device, fg_nvmlMemory_t* memory) {
  auto real = FG_REAL_NVML(nvmlDeviceGetMemoryInfo);
  int rc = real != nullptr ? real(device, memory) : kNvmlErrorFunctionNotFound;
  if (rc == 0) Slice(device, &memory->total, &memory->used, &memory->free);
  return rc;
}

int nvmlDeviceGetMemoryInfo_v2(fg_nvmlDevice_t device, fg_nvmlMemory_v2_t* memory) {
  auto real = FG_REAL_NVML(nvmlDeviceGetMemoryInfo_v2);
  int rc = real != nullptr ? real(device, memory) : kNvmlErrorFunctionNotFound;
  if (rc == 0 && Slice(device, &memory->total, &memory->used, &memory->free)) memory->reserved = 0;
  return rc;
}

}  // extern "C"
