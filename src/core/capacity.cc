#include "core/capacity.h"

#include <algorithm>

namespace fastgpu::core {
namespace {

// "1.5" for 1500 thousandths; no trailing zeros; "2" for 2000.
std::string FormatThousandths(int64_t value) {
  std::string out = std::to_string(value / 1000);
  int64_t frac = value % 1000;
  if (frac == 0) return out;
  std::string digits = std::to_string(1000 + frac).substr(1);  // zero-padded to 3
  while (digits.back() == '0') digits.pop_back();
  return out + "." + digits;
}

}  // namespace

std::string RequestShapeError(const ResourceRequest& r) {
  if (r.nodes < 1) return "nodes must be at least 1";
  if (r.nodes > 1 && KindOf(r) == RequestKind::kSlice && r.gpu_count >= 0) {
    return "a multi-node job takes whole GPUs or no GPU, not a slice";
  }
  if (r.gpu_count < 0) return "gpu_count is negative";
  if (r.cpu_milli < 0) return "cpu_milli is negative";
  if (r.memory_mib < 0) return "memory_mib is negative";
  if (r.gpu_count == 0) return "";
  if (r.gpu_milli < 0 || r.gpu_milli > kWholeGpuMilli) return "gpu_milli must be in [0, 1000]";
  if (r.gpu_memory_mib < 0) return "gpu_memory_mib is negative";
  if (r.WantsWholeGpus()) return "";
  if (r.gpu_count != 1) return "a GPU slice must ask for exactly one GPU";
  if (r.gpu_milli == 0 && r.gpu_memory_mib == 0) return "a GPU slice needs compute or memory";
  return "";
}

RequestKind KindOf(const ResourceRequest& r) {
  if (r.gpu_count <= 0) return RequestKind::kNoGpu;
  return r.WantsWholeGpus() ? RequestKind::kWholeGpus : RequestKind::kSlice;
}

int FindDevice(const NodeSpec& spec, int32_t index) {
  for (size_t i = 0; i < spec.devices.size(); ++i) {
    if (spec.devices[i].index == index) return static_cast<int>(i);
  }
  return -1;
}

bool ModelAllowed(const ResourceRequest& r, const DeviceSpec& d) {
  return r.gpu_models.empty() ||
         std::find(r.gpu_models.begin(), r.gpu_models.end(), d.model) != r.gpu_models.end();
}

Slice SliceOn(const ResourceRequest& r, const DeviceSpec& d) {
  if (r.WantsWholeGpus()) return Slice{kWholeGpuMilli, d.memory_mib};
  const int64_t memory =
      r.gpu_memory_mib > 0 ? r.gpu_memory_mib : d.memory_mib * r.gpu_milli / kWholeGpuMilli;
  return Slice{r.gpu_milli, memory};
}

int32_t FreeMilli(const NodeState& n, size_t pos) { return kWholeGpuMilli - n.used[pos].milli; }

int64_t FreeMemory(const NodeState& n, size_t pos) {
  return n.spec().devices[pos].memory_mib - n.used[pos].memory_mib;
}

bool IsIdle(const NodeState& n, size_t pos) {
  return n.used[pos].milli == 0 && n.used[pos].memory_mib == 0;
}

int32_t FreeCpu(const NodeState& n) { return n.spec().cpu_milli - n.used_cpu_milli; }

int64_t FreeHostMemory(const NodeState& n) { return n.spec().memory_mib - n.used_memory_mib; }

int64_t FreeGpuMilli(const NodeState& n) {
  int64_t total = 0;
  for (size_t pos = 0; pos < n.used.size(); ++pos) {
    if (Schedulable(n, pos)) total += FreeMilli(n, pos);
  }
  return total;
}

int64_t FitKey(const NodeState& n) { return FreeCpu(n) + 16 * FreeGpuMilli(n); }

int64_t LoadPerMille(const NodeState& n) {
  int64_t sum = 0;
  int64_t parts = 0;
  const NodeSpec& spec = n.spec();
  if (!spec.devices.empty()) {
    int64_t used = 0;
    for (const Slice& s : n.used) used += s.milli;
    sum += used * 1000 / (static_cast<int64_t>(spec.devices.size()) * kWholeGpuMilli);
    ++parts;
  }
  if (spec.cpu_milli > 0) {
    sum += static_cast<int64_t>(n.used_cpu_milli) * 1000 / spec.cpu_milli;
    ++parts;
  }
  if (spec.memory_mib > 0) {
    sum += n.used_memory_mib * 1000 / spec.memory_mib;
    ++parts;
  }
  return parts == 0 ? 0 : sum / parts;
}

bool HostFits(const ResourceRequest& r, const NodeState& n) {
  return r.cpu_milli <= FreeCpu(n) && r.memory_mib <= FreeHostMemory(n);
}

bool SliceFits(const ResourceRequest& r, const NodeState& n, size_t pos) {
  const DeviceSpec& d = n.spec().devices[pos];
  if (!Schedulable(n, pos) || !ModelAllowed(r, d)) return false;
  const Slice want = SliceOn(r, d);
  return want.milli <= FreeMilli(n, pos) && want.memory_mib <= FreeMemory(n, pos);
}

void AddUsage(const Placement& p, int sign, NodeState& n) {
  n.used_cpu_milli = std::max(0, n.used_cpu_milli + sign * p.cpu_milli);
  n.used_memory_mib = std::max<int64_t>(0, n.used_memory_mib + sign * p.memory_mib);
  for (const DeviceGrant& g : p.devices) {
    const int pos = FindDevice(n.spec(), g.index);
    if (pos < 0) continue;
    Slice& used = n.used[pos];
    used.milli = std::max(0, used.milli + sign * g.slice.milli);
    used.memory_mib = std::max<int64_t>(0, used.memory_mib + sign * g.slice.memory_mib);
  }
}

std::string FormatGpuMilli(int64_t milli) { return FormatThousandths(milli); }

std::string FormatCpuMilli(int64_t milli) {
  return FormatThousandths(milli) + (milli == 1000 ? " CPU" : " CPUs");
}

std::string GpuCount(int64_t n) { return std::to_string(n) + (n == 1 ? " GPU" : " GPUs"); }

std::string ModelList(const ResourceRequest& r) {
  std::string out;
  for (const std::string& m : r.gpu_models) out += (out.empty() ? "" : " or ") + m;
  return out;
}

}  // namespace fastgpu::core
