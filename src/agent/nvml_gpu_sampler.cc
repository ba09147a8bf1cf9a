#include "agent/nvml_gpu_sampler.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace fastgpu::agent {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;

// Sets *out from `r` when the device offers the figure; false when the device is lost.
template <typename T, typename U>
bool Take(const Result<U>& r, std::optional<T>* out) {
  if (r.ok()) {
    *out = static_cast<T>(*r);
    return true;
  }
  return r.error().code() != StatusCode::kUnavailable;
}

}  // namespace

Result<std::unique_ptr<NvmlGpuSampler>> NvmlGpuSampler::Create(const std::string& library,
                                                               std::vector<GpuDevice> devices) {
  FG_ASSIGN_OR_RETURN(std::unique_ptr<nvml::Nvml> lib, nvml::Nvml::Load(library));
  FG_RETURN_IF_ERROR(lib->Initialize());
  std::unique_ptr<NvmlGpuSampler> sampler(new NvmlGpuSampler(std::move(lib), std::move(devices)));
  sampler->Enumerate();
  std::vector<nvml::Device> gpus;
  for (const NvmlDevice& d : sampler->found_) {
    if (gpus.empty() || !(gpus.back() == d.gpu)) gpus.push_back(d.gpu);
  }
  Status watch = sampler->lib_->WatchXidEvents(gpus);
  sampler->events_ = watch.ok();
  if (!watch.ok()) spdlog::info("NVML: no XID events ({})", watch.message());
  return sampler;
}

NvmlGpuSampler::NvmlGpuSampler(std::unique_ptr<nvml::Nvml> lib, std::vector<GpuDevice> devices)
    : lib_(std::move(lib)), devices_(std::move(devices)) {}

void NvmlGpuSampler::Enumerate() {
  Result<std::vector<NvmlDevice>> found = EnumerateNvmlDevices(*lib_, nullptr);
  found_ = found.ok() ? std::move(*found) : std::vector<NvmlDevice>{};
}

std::vector<DeviceSample> NvmlGpuSampler::Sample() {
  Enumerate();
  std::vector<DeviceSample> out;
  out.reserve(devices_.size());
  for (const GpuDevice& d : devices_) out.push_back(Read(d));
  return out;
}

DeviceSample NvmlGpuSampler::Read(const GpuDevice& device) {
  DeviceSample s{StaticTelemetry(device), false};
  const NvmlDevice* found = nullptr;
  for (const NvmlDevice& f : found_) {
    if (f.device.spec.uuid == device.spec.uuid) found = &f;
  }
  if (found == nullptr) return s;
  core::DeviceTelemetry& t = s.telemetry;
  const nvml::Device h = found->handle;
  bool present = true;
  if (Result<nvml::MemoryInfo> m = lib_->DeviceMemory(h); m.ok()) {
    t.memory_used_mib = static_cast<int64_t>(m->used_bytes / kMiB);
  } else {
    present = m.error().code() != StatusCode::kUnavailable;
  }
  if (Result<nvml::Utilization> u = lib_->DeviceUtilization(h); u.ok()) {
    t.utilization_pct = static_cast<int32_t>(u->gpu_pct);
    t.memory_utilization_pct = static_cast<int32_t>(u->memory_pct);
  } else {
    present &= u.error().code() != StatusCode::kUnavailable;
  }
  present &= Take(lib_->TemperatureCelsius(h), &t.temperature_c);
  present &= Take(lib_->PowerMilliwatts(h), &t.power_mw);
  present &= Take(lib_->EccErrors(h, nvml::EccCounter::kCorrected), &t.ecc_corrected);
  present &= Take(lib_->EccErrors(h, nvml::EccCounter::kUncorrected), &t.ecc_uncorrected);
  if (Result<std::vector<nvml::ProcessInfo>> procs = lib_->ComputeProcesses(h); procs.ok()) {
    for (const nvml::ProcessInfo& p : *procs) {
      core::GpuProcess gp;
      gp.pid = static_cast<int32_t>(p.pid);
      if (p.used_bytes) gp.memory_mib = static_cast<int64_t>(*p.used_bytes / kMiB);
      t.processes.push_back(gp);
    }
  } else {
    present &= procs.error().code() != StatusCode::kUnavailable;
  }
  s.present = present;
  return s;
}

void NvmlGpuSampler::HitsFor(const nvml::XidEvent& event, std::vector<XidHit>* hits) const {
  for (const NvmlDevice& f : found_) {
    if (!(f.gpu == event.device)) continue;
    // An event naming a GPU instance concerns that MIG instance only; others the whole GPU.
    if (event.gpu_instance && f.gpu_instance && *f.gpu_instance != *event.gpu_instance) continue;
    for (const GpuDevice& d : devices_) {
      if (d.spec.uuid == f.device.spec.uuid) {
        hits->push_back(XidHit{d.spec.index, static_cast<int64_t>(event.xid)});
      }
    }
  }
}

std::vector<XidHit> NvmlGpuSampler::WaitXid(unsigned timeout_ms) {
  std::vector<XidHit> hits;
  if (!events_) return hits;
  unsigned wait = timeout_ms;
  while (true) {
    Result<std::optional<nvml::XidEvent>> event = lib_->WaitXidEvent(wait);
    if (!event.ok()) {
      spdlog::warn("NVML: waiting for XID events failed ({}); no more events",
                   event.error().message());
      events_ = false;
      break;
    }
    if (!event->has_value()) break;
    HitsFor(**event, &hits);
    wait = 0;  // take what else is queued, without waiting
  }
  return hits;
}

}  // namespace fastgpu::agent
