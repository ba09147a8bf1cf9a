// fg_nvml_probe [LIBRARY]: what the agent's NVML code sees on this machine, one line per device
// and one per sample, for tests/gpu/nvml_real_gpu.py to compare with nvidia-smi on a real GPU.
//   device index=0 uuid=GPU-... gpu_index=0 mig=0 memory_mib=81559 cc=9.0 model=NVIDIA H100
//   sample index=0 present=1 util=3 mem_used_mib=500 temp_c=31 power_mw=70000 ecc_corrected=0
//          ecc_uncorrected=0 processes=4242:500,...
//   events yes|no
// Exit status 0, or 1 with the reason on stderr when NVML cannot be loaded.
#include <cstdio>
#include <string>

#include "agent/nvml_gpu_discovery.h"
#include "agent/nvml_gpu_sampler.h"

namespace {

template <typename T>
std::string Opt(const std::optional<T>& v) {
  return v ? std::to_string(*v) : "-";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace fastgpu::agent;  // NOLINT
  const std::string library = argc > 1 ? argv[1] : fastgpu::agent::nvml::kDefaultLibrary;
  auto devices = NvmlGpuDiscovery(library).List();
  if (!devices.ok()) {
    std::fprintf(stderr, "%s\n", devices.error().ToString().c_str());
    return 1;
  }
  for (const GpuDevice& d : *devices) {
    std::printf("device index=%d uuid=%s gpu_index=%d mig=%d memory_mib=%lld cc=%s model=%s\n",
                d.spec.index, d.spec.uuid.c_str(), d.gpu_index, d.mig ? 1 : 0,
                static_cast<long long>(d.spec.memory_mib), d.compute_capability.c_str(),
                d.spec.model.c_str());
  }
  auto sampler = NvmlGpuSampler::Create(library, *devices);
  if (!sampler.ok()) {
    std::fprintf(stderr, "%s\n", sampler.error().ToString().c_str());
    return 1;
  }
  for (const DeviceSample& s : (*sampler)->Sample()) {
    const fastgpu::core::DeviceTelemetry& t = s.telemetry;
    std::string procs;
    for (const fastgpu::core::GpuProcess& p : t.processes) {
      procs += (procs.empty() ? "" : ",") + std::to_string(p.pid) + ":" + Opt(p.memory_mib);
    }
    std::printf(
        "sample index=%d present=%d util=%s mem_used_mib=%s temp_c=%s power_mw=%s "
        "ecc_corrected=%s ecc_uncorrected=%s processes=%s\n",
        t.index, s.present ? 1 : 0, Opt(t.utilization_pct).c_str(),
        Opt(t.memory_used_mib).c_str(), Opt(t.temperature_c).c_str(), Opt(t.power_mw).c_str(),
        Opt(t.ecc_corrected).c_str(), Opt(t.ecc_uncorrected).c_str(),
        procs.empty() ? "-" : procs.c_str());
  }
  std::printf("events %s\n", (*sampler)->HasEvents() ? "yes" : "no");
  return 0;
}
