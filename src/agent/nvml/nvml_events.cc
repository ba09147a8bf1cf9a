// Nvml: XID critical error events (nvmlEventSet*, nvmlDeviceRegisterEvents).
#include "agent/nvml/nvml.h"
#include "agent/nvml/nvml_symbols.h"

namespace fastgpu::agent::nvml {

Status Nvml::WatchXidEvents(const std::vector<Device>& gpus) {
  Symbols& s = *symbols_;
  FG_RETURN_IF_ERROR(Ready(s.event_set_create != nullptr && s.event_set_free != nullptr &&
                               s.register_events != nullptr && s.event_set_wait != nullptr,
                           "events"));
  if (event_set_ != nullptr) {
    s.event_set_free(event_set_);
    event_set_ = nullptr;
  }
  fg_nvmlEventSet_t set = nullptr;
  FG_RETURN_IF_ERROR(Check(s.event_set_create(&set), "nvmlEventSetCreate"));
  int registered = 0;
  for (const Device& gpu : gpus) {
    // A GPU without XID events (NOT_SUPPORTED) is skipped; others still are watched.
    if (s.register_events(gpu.handle, FG_NVML_EVENT_TYPE_XID_CRITICAL_ERROR, set) ==
        FG_NVML_SUCCESS) {
      ++registered;
    }
  }
  if (registered == 0) {
    s.event_set_free(set);
    return NotFound("no device offers XID events");
  }
  event_set_ = set;
  return Status::Ok();
}

Result<std::optional<XidEvent>> Nvml::WaitXidEvent(unsigned timeout_ms) {
  FG_RETURN_IF_ERROR(Ready(true, "events"));
  if (event_set_ == nullptr) return FailedPrecondition("WaitXidEvent without WatchXidEvents");
  fg_nvmlEventData_t data = {};
  data.gpuInstanceId = FG_NVML_NO_INSTANCE;  // old drivers do not write it
  int rc = symbols_->event_set_wait(event_set_, &data, timeout_ms);
  if (rc == FG_NVML_ERROR_TIMEOUT) return std::optional<XidEvent>();
  FG_RETURN_IF_ERROR(Check(rc, "nvmlEventSetWait"));
  XidEvent event;
  event.device = Device{data.device};
  event.xid = data.eventData;
  if (data.gpuInstanceId != FG_NVML_NO_INSTANCE) event.gpu_instance = data.gpuInstanceId;
  return std::optional<XidEvent>(event);
}

}  // namespace fastgpu::agent::nvml
