#pragma once
// Nvml: the few NVML calls the agent needs, reached through dlopen so that the agent neither
// links against libnvidia-ml nor needs its header, and runs where no driver is installed.
// Shaped after Mesos isolators/gpu/nvml.hpp: load, Initialize(), then one Result per call.
//
// An Nvml object owns the library handle; the destructor calls nvmlShutdown (when Initialize
// succeeded) and dlclose. Not thread-safe: use one object from one thread at a time.

#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"

namespace fastgpu::agent::nvml {

inline constexpr const char* kDefaultLibrary = "libnvidia-ml.so.1";

// An opaque device handle, valid while the Nvml object that returned it lives.
struct Device {
  void* handle = nullptr;
};

struct MemoryInfo {
  uint64_t total_bytes = 0;
  uint64_t free_bytes = 0;
  uint64_t used_bytes = 0;
};

class Nvml {
 public:
  // True when `library` can be loaded and has every symbol we use. Never crashes.
  static bool IsAvailable(const std::string& library = kDefaultLibrary);

  // Loads `library` (a name for the dynamic loader or a path). Returns Unavailable, with the
  // loader's message, when it cannot be loaded or lacks one of the symbols.
  static Result<std::unique_ptr<Nvml>> Load(const std::string& library = kDefaultLibrary);

  ~Nvml();
  Nvml(const Nvml&) = delete;
  Nvml& operator=(const Nvml&) = delete;

  // nvmlInit_v2. Returns Unavailable with NVML's error string when the driver refuses (for
  // example no driver loaded). Calling it again after success is a no-op.
  Status Initialize();

  // The calls below return FailedPrecondition before a successful Initialize(), and Internal
  // with NVML's error string when NVML fails.
  Result<unsigned> DeviceCount();
  Result<Device> DeviceByIndex(unsigned index);
  Result<std::string> DeviceName(Device device);
  Result<std::string> DeviceUuid(Device device);
  Result<MemoryInfo> DeviceMemory(Device device);

 private:
  struct Symbols;
  Nvml(void* library, std::unique_ptr<Symbols> symbols);
  Status Check(int rc, const char* call) const;

  void* library_ = nullptr;
  std::unique_ptr<Symbols> symbols_;
  bool initialized_ = false;
};

}  // namespace fastgpu::agent::nvml
