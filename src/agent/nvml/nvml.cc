// Nvml: loading, the symbol table, errors, and the core device calls. The optional queries
// are in nvml_queries.cc, the XID events in nvml_events.cc.
#include "agent/nvml/nvml.h"

#include <dlfcn.h>

#include <utility>

#include "agent/nvml/nvml_symbols.h"

namespace fastgpu::agent::nvml {
namespace {

template <typename Fn>
bool Bind(void* library, const char* name, Fn* fn, std::string* missing) {
  void* sym = dlsym(library, name);
  if (sym == nullptr) {
    if (missing != nullptr) *missing += (missing->empty() ? "" : ", ") + std::string(name);
    return false;
  }
  *fn = reinterpret_cast<Fn>(sym);
  return true;
}

// The first of `names` the library has.
template <typename Fn>
void BindFirst(void* library, std::initializer_list<const char*> names, Fn* fn) {
  for (const char* name : names) {
    if (Bind(library, name, fn, nullptr)) return;
  }
}

bool BindCore(void* h, Nvml::Symbols* s, std::string* missing) {
  bool ok = true;
  ok &= Bind(h, "nvmlInit_v2", &s->init, missing);
  ok &= Bind(h, "nvmlShutdown", &s->shutdown, missing);
  ok &= Bind(h, "nvmlDeviceGetCount_v2", &s->device_count, missing);
  ok &= Bind(h, "nvmlDeviceGetHandleByIndex_v2", &s->device_by_index, missing);
  ok &= Bind(h, "nvmlDeviceGetName", &s->device_name, missing);
  ok &= Bind(h, "nvmlDeviceGetUUID", &s->device_uuid, missing);
  ok &= Bind(h, "nvmlDeviceGetMemoryInfo", &s->device_memory, missing);
  ok &= Bind(h, "nvmlErrorString", &s->error_string, missing);
  return ok;
}

void BindOptional(void* h, Nvml::Symbols* s) {
  Bind(h, "nvmlDeviceGetCudaComputeCapability", &s->compute_capability, nullptr);
  Bind(h, "nvmlDeviceGetMigMode", &s->mig_mode, nullptr);
  Bind(h, "nvmlDeviceGetMaxMigDeviceCount", &s->max_mig_count, nullptr);
  Bind(h, "nvmlDeviceGetMigDeviceHandleByIndex", &s->mig_by_index, nullptr);
  Bind(h, "nvmlDeviceGetGpuInstanceId", &s->gpu_instance_id, nullptr);
  Bind(h, "nvmlDeviceGetUtilizationRates", &s->utilization, nullptr);
  Bind(h, "nvmlDeviceGetTemperature", &s->temperature, nullptr);
  Bind(h, "nvmlDeviceGetPowerUsage", &s->power, nullptr);
  Bind(h, "nvmlDeviceGetTotalEccErrors", &s->ecc_total, nullptr);
  BindFirst(h, {"nvmlDeviceGetComputeRunningProcesses_v3", "nvmlDeviceGetComputeRunningProcesses_v2"},
            &s->processes);
  if (s->processes == nullptr) {
    Bind(h, "nvmlDeviceGetComputeRunningProcesses", &s->processes_v1, nullptr);
  }
  Bind(h, "nvmlEventSetCreate", &s->event_set_create, nullptr);
  Bind(h, "nvmlEventSetFree", &s->event_set_free, nullptr);
  Bind(h, "nvmlDeviceRegisterEvents", &s->register_events, nullptr);
  BindFirst(h, {"nvmlEventSetWait_v2", "nvmlEventSetWait"}, &s->event_set_wait);
}

}  // namespace

Nvml::Nvml(void* library, std::unique_ptr<Symbols> symbols)
    : library_(library), symbols_(std::move(symbols)) {}

Nvml::~Nvml() {
  if (event_set_ != nullptr && symbols_->event_set_free != nullptr) {
    symbols_->event_set_free(event_set_);
  }
  if (initialized_) symbols_->shutdown();
  if (library_ != nullptr) dlclose(library_);
}

bool Nvml::IsAvailable(const std::string& library) { return Load(library).ok(); }

Result<std::unique_ptr<Nvml>> Nvml::Load(const std::string& library) {
  void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* err = dlerror();
    return Unavailable("NVML library '" + library + "' cannot be loaded (no NVIDIA driver?): " +
                       (err != nullptr ? err : "unknown error"));
  }
  auto s = std::make_unique<Symbols>();
  std::string missing;
  if (!BindCore(handle, s.get(), &missing)) {
    dlclose(handle);
    return Unavailable("NVML library '" + library + "' lacks symbols: " + missing);
  }
  BindOptional(handle, s.get());
  return std::unique_ptr<Nvml>(new Nvml(handle, std::move(s)));
}

Status Nvml::Check(int rc, const char* call) const {
  if (rc == FG_NVML_SUCCESS) return Status::Ok();
  const char* text = symbols_->error_string(rc);
  std::string message = std::string(call) + " failed: " +
                        (text != nullptr ? text : "unknown error") + " (" + std::to_string(rc) +
                        ")";
  if (rc == FG_NVML_ERROR_NOT_SUPPORTED || rc == FG_NVML_ERROR_FUNCTION_NOT_FOUND) {
    return NotFound(std::move(message));
  }
  if (rc == FG_NVML_ERROR_GPU_IS_LOST) return Unavailable(std::move(message));
  return Internal(std::move(message));
}

Status Nvml::Ready(bool present, const char* call) const {
  if (!initialized_) return FailedPrecondition("NVML used before Initialize()");
  if (!present) return NotFound(std::string(call) + " is not offered by this NVML");
  return Status::Ok();
}

Status Nvml::Initialize() {
  if (initialized_) return Status::Ok();
  int rc = symbols_->init();
  if (rc != FG_NVML_SUCCESS) {
    return Unavailable("nvmlInit_v2 failed: " + Check(rc, "nvmlInit_v2").message());
  }
  initialized_ = true;
  return Status::Ok();
}

Result<unsigned> Nvml::DeviceCount() {
  FG_RETURN_IF_ERROR(Ready(symbols_->device_count != nullptr, "count"));
  unsigned count = 0;
  FG_RETURN_IF_ERROR(Check(symbols_->device_count(&count), "nvmlDeviceGetCount_v2"));
  return count;
}

Result<Device> Nvml::DeviceByIndex(unsigned index) {
  FG_RETURN_IF_ERROR(Ready(symbols_->device_by_index != nullptr, "by index"));
  Dev handle = nullptr;
  FG_RETURN_IF_ERROR(
      Check(symbols_->device_by_index(index, &handle), "nvmlDeviceGetHandleByIndex_v2"));
  return Device{handle};
}

Result<std::string> Nvml::DeviceName(Device device) {
  FG_RETURN_IF_ERROR(Ready(symbols_->device_name != nullptr, "name"));
  char buf[FG_NVML_NAME_BUFFER_SIZE] = {};
  FG_RETURN_IF_ERROR(
      Check(symbols_->device_name(device.handle, buf, sizeof(buf) - 1), "nvmlDeviceGetName"));
  return std::string(buf);
}

Result<std::string> Nvml::DeviceUuid(Device device) {
  FG_RETURN_IF_ERROR(Ready(symbols_->device_uuid != nullptr, "uuid"));
  char buf[FG_NVML_UUID_BUFFER_SIZE] = {};
  FG_RETURN_IF_ERROR(
      Check(symbols_->device_uuid(device.handle, buf, sizeof(buf) - 1), "nvmlDeviceGetUUID"));
  return std::string(buf);
}

Result<MemoryInfo> Nvml::DeviceMemory(Device device) {
  FG_RETURN_IF_ERROR(Ready(symbols_->device_memory != nullptr, "memory"));
  fg_nvmlMemory_t mem = {};
  FG_RETURN_IF_ERROR(
      Check(symbols_->device_memory(device.handle, &mem), "nvmlDeviceGetMemoryInfo"));
  return MemoryInfo{mem.total, mem.free, mem.used};
}

}  // namespace fastgpu::agent::nvml
