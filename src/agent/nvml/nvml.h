#pragma once
// Nvml: the NVML calls the agent needs, reached through dlopen so that the agent neither links
// against libnvidia-ml nor needs its header, and runs where no driver is installed. Shaped
// after Mesos isolators/gpu/nvml.hpp: load, Initialize(), then one Result per call.
//
// Load() needs the core symbols (init, shutdown, count, handle by index, name, uuid, memory,
// error string); every other call is optional: when the library lacks its symbol, or the
// device does not offer it (NVML_ERROR_NOT_SUPPORTED), the call returns NotFound ("not
// offered"), so callers can leave that figure out. A device that fell off the bus
// (NVML_ERROR_GPU_IS_LOST) is Unavailable; any other NVML failure is Internal with NVML's text.
//
// An Nvml object owns the library handle; the destructor frees its event set, calls
// nvmlShutdown (when Initialize succeeded) and dlclose. Not thread-safe: use one object from
// one thread at a time (NVML itself is thread-safe; this wrapper's event set is not).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace fastgpu::agent::nvml {

inline constexpr const char* kDefaultLibrary = "libnvidia-ml.so.1";

// An opaque device handle (a GPU or a MIG instance), valid while the Nvml object lives.
struct Device {
  void* handle = nullptr;
  bool operator==(const Device&) const = default;
};

struct MemoryInfo {
  uint64_t total_bytes = 0;
  uint64_t free_bytes = 0;
  uint64_t used_bytes = 0;
};

struct ComputeCapability {
  int major = 0;
  int minor = 0;
};

struct Utilization {
  unsigned gpu_pct = 0;     // percent of time a kernel ran, last sample period
  unsigned memory_pct = 0;  // percent of time device memory was read or written
};

struct ProcessInfo {
  uint32_t pid = 0;
  std::optional<uint64_t> used_bytes;  // absent when NVML cannot tell (e.g. no permission)
};

enum class EccCounter { kCorrected, kUncorrected };

// One XID critical error event (nvmlEventTypeXidCriticalError).
struct XidEvent {
  Device device;  // the GPU it happened on (events are per GPU, never per MIG instance)
  uint64_t xid = 0;
  // The MIG GPU instance it is attributable to, when NVML says so; absent: the whole GPU.
  std::optional<unsigned> gpu_instance;
};

class Nvml {
 public:
  // True when `library` can be loaded and has every core symbol. Never crashes.
  static bool IsAvailable(const std::string& library = kDefaultLibrary);

  // Loads `library` (a name for the dynamic loader or a path). Returns Unavailable, with the
  // loader's message, when it cannot be loaded or lacks one of the core symbols.
  static Result<std::unique_ptr<Nvml>> Load(const std::string& library = kDefaultLibrary);

  ~Nvml();
  Nvml(const Nvml&) = delete;
  Nvml& operator=(const Nvml&) = delete;

  // nvmlInit_v2. Returns Unavailable with NVML's error string when the driver refuses (for
  // example no driver loaded). Calling it again after success is a no-op.
  Status Initialize();

  // Every call below returns FailedPrecondition before a successful Initialize(), and the
  // errors of the file comment.
  Result<unsigned> DeviceCount();
  Result<Device> DeviceByIndex(unsigned index);
  Result<std::string> DeviceName(Device device);
  Result<std::string> DeviceUuid(Device device);
  Result<MemoryInfo> DeviceMemory(Device device);

  Result<ComputeCapability> CudaComputeCapability(Device device);
  // Whether MIG mode is enabled now (the pending mode, applied at the next reset, is ignored).
  Result<bool> MigEnabled(Device device);
  // The MIG instances of a GPU in MIG mode, in NVML's order (empty when none are created).
  Result<std::vector<Device>> MigDevices(Device gpu);
  // The GPU instance id of a MIG device (to match XID events to it).
  Result<unsigned> GpuInstanceId(Device mig);
  Result<Utilization> DeviceUtilization(Device device);
  Result<unsigned> TemperatureCelsius(Device device);
  Result<unsigned> PowerMilliwatts(Device device);
  // Total volatile ECC errors of that kind since the driver loaded.
  Result<uint64_t> EccErrors(Device device, EccCounter counter);
  // The compute processes on the device with their device memory.
  Result<std::vector<ProcessInfo>> ComputeProcesses(Device device);

  // Registers `gpus` (GPUs, not MIG instances) for XID critical error events. A GPU that does
  // not offer them is skipped; returns NotFound when none does (or the symbols are missing).
  // Replaces an earlier registration.
  Status WatchXidEvents(const std::vector<Device>& gpus);
  // Waits up to timeout_ms for the next XID event: a value when one came, nullopt on timeout.
  // FailedPrecondition without WatchXidEvents.
  Result<std::optional<XidEvent>> WaitXidEvent(unsigned timeout_ms);

  // The bound functions; defined in nvml_symbols.h, which only agent/nvml/ includes.
  struct Symbols;

 private:
  Nvml(void* library, std::unique_ptr<Symbols> symbols);
  Status Check(int rc, const char* call) const;
  // FailedPrecondition before Initialize(); NotFound when the symbol is missing.
  Status Ready(bool present, const char* call) const;

  void* library_ = nullptr;
  std::unique_ptr<Symbols> symbols_;
  bool initialized_ = false;
  void* event_set_ = nullptr;
};

}  // namespace fastgpu::agent::nvml
