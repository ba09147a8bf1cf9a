#include "agent/gpu_setup.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "agent/mps.h"
#include "agent/nvml_gpu_discovery.h"
#include "agent/nvml_gpu_sampler.h"
#include "agent/simulated_gpus.h"
#include "common/self_exe.h"

namespace fastgpu::agent {
namespace {

// The absolute path of libfastgpu-vgpu.so (see AgentOptions::vgpu_library), or "" with a
// warning when there is none: fractional jobs then run without enforcement.
std::string FindVgpuLibrary(const std::string& configured) {
  std::vector<std::string> candidates;
  if (!configured.empty()) {
    candidates.push_back(configured);
  } else {
    std::filesystem::path dir = std::filesystem::path(SelfExecutable()).parent_path();
    candidates.push_back((dir / "../vgpu/libfastgpu-vgpu.so").string());
    candidates.push_back((dir / "../lib/fastgpu/libfastgpu-vgpu.so").string());
  }
  for (const std::string& c : candidates) {
    std::error_code ec;
    std::filesystem::path p = std::filesystem::canonical(c, ec);
    if (!ec && std::filesystem::is_regular_file(p, ec)) return p.string();
  }
  spdlog::warn("libfastgpu-vgpu.so not found ({}); fractional GPU jobs will run without "
               "memory or compute limits",
               configured.empty() ? "looked next to this binary" : configured);
  return "";
}

std::unique_ptr<GpuSampler> MakeSampler(const NodeGpus& gpus, const AgentOptions& options) {
  if (!gpus.simulated && !gpus.devices.empty()) {
    auto sampler = NvmlGpuSampler::Create(options.nvml_library, gpus.devices);
    if (sampler.ok()) return std::move(*sampler);
    spdlog::warn("NVML telemetry unavailable ({}); devices are reported without figures",
                 sampler.error().message());
  }
  return std::make_unique<SimulatedGpuSampler>(gpus.devices);
}

}  // namespace

Result<NodeGpus> SetUpGpus(const AgentOptions& options, const std::string& node) {
  NodeGpus gpus;
  if (!options.simulate.empty()) {
    gpus.simulated = true;
    FG_ASSIGN_OR_RETURN(gpus.devices, SimulatedGpuDiscovery(options.simulate, node).List());
  } else if (Result<std::vector<GpuDevice>> found = NvmlGpuDiscovery(options.nvml_library).List();
             found.ok()) {
    gpus.devices = std::move(*found);
    for (const GpuDevice& d : gpus.devices) {
      spdlog::info("GPU {}: {} {} ({} MiB{}{})", d.spec.index, d.spec.model, d.spec.uuid,
                   d.spec.memory_mib, d.mig ? ", MIG instance of GPU " : "",
                   d.mig ? std::to_string(d.gpu_index) : "");
    }
  } else {
    spdlog::warn(
        "no GPUs found ({}); this node offers zero GPUs (use --simulate SPEC to "
        "pretend, e.g. 4xA100-80GB)",
        found.error().message());
  }
  GpuMonitorOptions monitor_options;
  monitor_options.sample_ms = options.gpu_sample_ms;
  monitor_options.health.max_uncorrected_ecc = options.gpu_max_uncorrected_ecc;
  gpus.monitor = std::make_unique<GpuMonitor>(monitor_options, MakeSampler(gpus, options),
                                              gpus.devices);
  return gpus;
}

void AddGpuHostEnv(const NodeGpus& gpus, const AgentOptions& options, HostEnv* host) {
  for (const GpuDevice& d : gpus.devices) {
    host->device_memory_mib[d.spec.index] = d.spec.memory_mib;
    if (d.visible_id != std::to_string(d.spec.index)) {
      host->visible_ids[d.spec.index] = d.visible_id;
    }
  }
  host->vgpu_library = FindVgpuLibrary(options.vgpu_library);
  host->mps_pipe_dir = FindMpsPipeDirectory(options.mps_pipe_dir);
  if (!host->mps_pipe_dir.empty()) {
    spdlog::info("MPS control daemon found in {}: fractional jobs also get MPS limits",
                 host->mps_pipe_dir);
  }
}

}  // namespace fastgpu::agent
