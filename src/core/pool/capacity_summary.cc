#include "core/pool/capacity_summary.h"

#include <algorithm>

#include "core/capacity.h"

namespace fastgpu::core {

namespace {

constexpr int32_t kMilliPerLevel = 125;
constexpr int kFirstIdleLevel = 8;
constexpr int32_t kIdleOfLevel[] = {1, 2, 4, 8};

// The highest slice level (0..7) a node whose freest device has `milli` free is in.
int SliceLevel(int32_t milli) { return std::min(milli / kMilliPerLevel, kFirstIdleLevel - 1); }

}  // namespace

CapacitySummary::CapacitySummary() {
  std::fill(std::begin(max_cpu_free), std::end(max_cpu_free), -1);
  std::fill(std::begin(max_memory_free), std::end(max_memory_free), -1);
  std::fill(std::begin(min_fit_key), std::end(min_fit_key), std::numeric_limits<int64_t>::max());
  std::fill(std::begin(min_load), std::end(min_load), std::numeric_limits<int32_t>::max());
}

void CapacitySummary::Merge(const CapacitySummary& o) {
  for (int l = 0; l < kCapacityLevels; ++l) {
    max_cpu_free[l] = std::max(max_cpu_free[l], o.max_cpu_free[l]);
    max_memory_free[l] = std::max(max_memory_free[l], o.max_memory_free[l]);
    min_fit_key[l] = std::min(min_fit_key[l], o.min_fit_key[l]);
    min_load[l] = std::min(min_load[l], o.min_load[l]);
  }
  max_idle_devices = std::max(max_idle_devices, o.max_idle_devices);
  max_device_milli = std::max(max_device_milli, o.max_device_milli);
  max_device_memory = std::max(max_device_memory, o.max_device_memory);
  models |= o.models;
  used_device_bins |= o.used_device_bins;
  max_idle_on_used_node = std::max(max_idle_on_used_node, o.max_idle_on_used_node);
  min_devices_idle_node = std::min(min_devices_idle_node, o.min_devices_idle_node);
  max_devices_idle_node = std::max(max_devices_idle_node, o.max_devices_idle_node);
}

int BinOfMilli(int32_t milli) { return std::clamp(milli, 0, kWholeGpuMilli) * 32 / 1001; }

int32_t LowestMilliOfBin(int bin) { return (bin * 1001 + 31) / 32; }

CapacitySummary SummarizeNode(const NodeState& n, uint64_t models) {
  CapacitySummary s;
  if (!n.ready) return s;
  s.models = models;
  int32_t idle = 0;
  int32_t usable = 0;
  for (size_t pos = 0; pos < n.spec().devices.size(); ++pos) {
    if (!Schedulable(n, pos)) continue;
    ++usable;
    s.max_device_milli = std::max(s.max_device_milli, FreeMilli(n, pos));
    s.max_device_memory = std::max(s.max_device_memory, FreeMemory(n, pos));
    if (IsIdle(n, pos)) {
      ++idle;
    } else {
      s.used_device_bins |= uint32_t{1} << BinOfMilli(FreeMilli(n, pos));
    }
  }
  s.max_idle_devices = idle;
  const int64_t key = FitKey(n);
  const auto load = static_cast<int32_t>(LoadPerMille(n));
  const int32_t cpu = FreeCpu(n);
  const int64_t memory = FreeHostMemory(n);
  auto in_level = [&](int l) {
    s.max_cpu_free[l] = cpu;
    s.max_memory_free[l] = memory;
    s.min_fit_key[l] = key;
    s.min_load[l] = load;
  };
  in_level(0);
  for (int l = 1; l <= SliceLevel(s.max_device_milli); ++l) in_level(l);
  for (int j = 0; j < 4; ++j) {
    if (idle >= kIdleOfLevel[j]) in_level(kFirstIdleLevel + j);
  }
  if (idle < usable) s.max_idle_on_used_node = idle;
  if (usable > 0 && idle == usable) s.min_devices_idle_node = s.max_devices_idle_node = usable;
  return s;
}

int LevelOf(RequestKind kind, int32_t gpu_count, int32_t gpu_milli) {
  switch (kind) {
    case RequestKind::kNoGpu:
      return 0;
    case RequestKind::kSlice:
      return SliceLevel(gpu_milli);
    case RequestKind::kWholeGpus:
      break;
  }
  int level = kFirstIdleLevel;
  for (int j = 1; j < 4 && gpu_count >= kIdleOfLevel[j]; ++j) level = kFirstIdleLevel + j;
  return level;
}

bool MayHost(const CapacitySummary& s, const RequestFilter& f) {
  if (s.max_cpu_free[f.level] < f.cpu_milli || s.max_memory_free[f.level] < f.memory_mib) {
    return false;
  }
  if (f.idle_devices > 0) {
    return s.max_idle_devices >= f.idle_devices && (s.models & f.models) != 0;
  }
  if (f.device_milli >= 0) {
    return s.max_device_milli >= f.device_milli && s.max_device_memory >= f.device_memory &&
           (s.models & f.models) != 0;
  }
  return true;
}

}  // namespace fastgpu::core
