#include "agent/nvml/nvml.h"

#include <dlfcn.h>

#include <utility>

namespace fastgpu::agent::nvml {
namespace {

// The subset of nvml.h we need, declared here: no NVML header exists on build machines.
using nvmlReturn_t = int;
constexpr nvmlReturn_t kNvmlSuccess = 0;
using nvmlDevice_t = void*;
struct nvmlMemory_t {
  unsigned long long total;  // NOLINT: NVML's ABI
  unsigned long long free;   // NOLINT
  unsigned long long used;   // NOLINT
};
constexpr unsigned kNameBufferSize = 96;  // NVML_DEVICE_NAME_V2_BUFFER_SIZE
constexpr unsigned kUuidBufferSize = 96;  // >= NVML_DEVICE_UUID_V2_BUFFER_SIZE (96)

}  // namespace

struct Nvml::Symbols {
  nvmlReturn_t (*init)() = nullptr;
  nvmlReturn_t (*shutdown)() = nullptr;
  nvmlReturn_t (*device_count)(unsigned*) = nullptr;
  nvmlReturn_t (*device_by_index)(unsigned, nvmlDevice_t*) = nullptr;
  nvmlReturn_t (*device_name)(nvmlDevice_t, char*, unsigned) = nullptr;
  nvmlReturn_t (*device_uuid)(nvmlDevice_t, char*, unsigned) = nullptr;
  nvmlReturn_t (*device_memory)(nvmlDevice_t, nvmlMemory_t*) = nullptr;
  const char* (*error_string)(nvmlReturn_t) = nullptr;
};

namespace {

template <typename Fn>
bool Bind(void* library, const char* name, Fn* fn, std::string* missing) {
  void* sym = dlsym(library, name);
  if (sym == nullptr) {
    if (!missing->empty()) *missing += ", ";
    *missing += name;
    return false;
  }
  *fn = reinterpret_cast<Fn>(sym);
  return true;
}

}  // namespace

Nvml::Nvml(void* library, std::unique_ptr<Symbols> symbols)
    : library_(library), symbols_(std::move(symbols)) {}

Nvml::~Nvml() {
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
  bool ok = true;
  ok &= Bind(handle, "nvmlInit_v2", &s->init, &missing);
  ok &= Bind(handle, "nvmlShutdown", &s->shutdown, &missing);
  ok &= Bind(handle, "nvmlDeviceGetCount_v2", &s->device_count, &missing);
  ok &= Bind(handle, "nvmlDeviceGetHandleByIndex_v2", &s->device_by_index, &missing);
  ok &= Bind(handle, "nvmlDeviceGetName", &s->device_name, &missing);
  ok &= Bind(handle, "nvmlDeviceGetUUID", &s->device_uuid, &missing);
  ok &= Bind(handle, "nvmlDeviceGetMemoryInfo", &s->device_memory, &missing);
  ok &= Bind(handle, "nvmlErrorString", &s->error_string, &missing);
  if (!ok) {
    dlclose(handle);
    return Unavailable("NVML library '" + library + "' lacks symbols: " + missing);
  }
  return std::unique_ptr<Nvml>(new Nvml(handle, std::move(s)));
}

Status Nvml::Check(int rc, const char* call) const {
  if (rc == kNvmlSuccess) return Status::Ok();
  const char* text = symbols_->error_string(rc);
  return Internal(std::string(call) + " failed: " + (text != nullptr ? text : "unknown error") +
                  " (" + std::to_string(rc) + ")");
}

Status Nvml::Initialize() {
  if (initialized_) return Status::Ok();
  int rc = symbols_->init();
  if (rc != kNvmlSuccess) {
    return Unavailable("nvmlInit_v2 failed: " + Check(rc, "nvmlInit_v2").message());
  }
  initialized_ = true;
  return Status::Ok();
}

#define FG_NVML_REQUIRE_INIT() \
  if (!initialized_) return FailedPrecondition("NVML used before Initialize()")

Result<unsigned> Nvml::DeviceCount() {
  FG_NVML_REQUIRE_INIT();
  unsigned count = 0;
  FG_RETURN_IF_ERROR(Check(symbols_->device_count(&count), "nvmlDeviceGetCount_v2"));
  return count;
}

Result<Device> Nvml::DeviceByIndex(unsigned index) {
  FG_NVML_REQUIRE_INIT();
  nvmlDevice_t handle = nullptr;
  FG_RETURN_IF_ERROR(
      Check(symbols_->device_by_index(index, &handle), "nvmlDeviceGetHandleByIndex_v2"));
  return Device{handle};
}

Result<std::string> Nvml::DeviceName(Device device) {
  FG_NVML_REQUIRE_INIT();
  char buf[kNameBufferSize] = {};
  FG_RETURN_IF_ERROR(
      Check(symbols_->device_name(device.handle, buf, sizeof(buf) - 1), "nvmlDeviceGetName"));
  return std::string(buf);
}

Result<std::string> Nvml::DeviceUuid(Device device) {
  FG_NVML_REQUIRE_INIT();
  char buf[kUuidBufferSize] = {};
  FG_RETURN_IF_ERROR(
      Check(symbols_->device_uuid(device.handle, buf, sizeof(buf) - 1), "nvmlDeviceGetUUID"));
  return std::string(buf);
}

Result<MemoryInfo> Nvml::DeviceMemory(Device device) {
  FG_NVML_REQUIRE_INIT();
  nvmlMemory_t mem = {};
  FG_RETURN_IF_ERROR(
      Check(symbols_->device_memory(device.handle, &mem), "nvmlDeviceGetMemoryInfo"));
  return MemoryInfo{mem.total, mem.free, mem.used};
}

#undef FG_NVML_REQUIRE_INIT

}  // namespace fastgpu::agent::nvml
