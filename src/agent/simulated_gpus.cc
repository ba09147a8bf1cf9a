#include "agent/simulated_gpus.h"

#include <cctype>
#include <charconv>
#include <cstdint>
#include <string>

namespace fastgpu::agent {
namespace {

constexpr int64_t kMaxDevices = 1024;
constexpr int64_t kMaxMemoryGiB = 1 << 20;

Status Bad(std::string_view spec, std::string_view why) {
  return InvalidArgument("bad --simulate '" + std::string(spec) + "': " + std::string(why) +
                             "; expected COUNTxMODEL-NNGB[,COUNTxMODEL-NNGB...], e.g. "
                             "'4xA100-80GB' or '2xH100-80GB,1xT4-16GB'",
                         "simulate");
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Parses decimal digits into *out; false when not all digits or above `max`.
bool ParseBounded(std::string_view s, int64_t max, int64_t* out) {
  if (!AllDigits(s) || s.size() > 9) return false;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v > max) return false;
  *out = v;
  return true;
}

// Memory of a model named like "A100-80GB", in MiB; 0 when the suffix is missing or bad.
int64_t ModelMemoryMiB(std::string_view model) {
  size_t dash = model.rfind('-');
  if (dash == std::string_view::npos || dash == 0) return 0;
  std::string_view tail = model.substr(dash + 1);
  if (tail.size() < 3) return 0;
  std::string_view unit = tail.substr(tail.size() - 2);
  if (std::tolower(static_cast<unsigned char>(unit[0])) != 'g' ||
      std::tolower(static_cast<unsigned char>(unit[1])) != 'b') {
    return 0;
  }
  int64_t gib = 0;
  if (!ParseBounded(tail.substr(0, tail.size() - 2), kMaxMemoryGiB, &gib) || gib == 0) return 0;
  return gib * 1024;
}

}  // namespace

Result<std::vector<core::DeviceSpec>> ParseSimulatedGpus(std::string_view spec,
                                                         const std::string& node) {
  if (Trim(spec).empty()) return Bad(spec, "empty");
  std::vector<core::DeviceSpec> devices;
  std::string_view rest = spec;
  while (true) {
    size_t comma = rest.find(',');
    std::string_view group = Trim(rest.substr(0, comma));
    if (group.empty()) return Bad(spec, "empty group");
    int64_t count = 1;
    std::string_view model = group;
    size_t x = group.find_first_of("xX");
    if (x != std::string_view::npos && x > 0 && AllDigits(group.substr(0, x))) {
      if (!ParseBounded(group.substr(0, x), kMaxDevices, &count) || count == 0) {
        return Bad(spec, "count must be 1.." + std::to_string(kMaxDevices));
      }
      model = Trim(group.substr(x + 1));
    }
    int64_t memory_mib = ModelMemoryMiB(model);
    if (memory_mib == 0) {
      return Bad(spec, "model '" + std::string(model) + "' must end in -NNGB (memory in GiB)");
    }
    if (static_cast<int64_t>(devices.size()) + count > kMaxDevices) {
      return Bad(spec, "more than " + std::to_string(kMaxDevices) + " devices");
    }
    for (int64_t i = 0; i < count; ++i) {
      core::DeviceSpec d;
      d.index = static_cast<int32_t>(devices.size());
      d.uuid = "GPU-sim-" + node + "-" + std::to_string(d.index);
      d.model = std::string(model);
      d.memory_mib = memory_mib;
      devices.push_back(std::move(d));
    }
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return devices;
}

Result<std::vector<GpuDevice>> SimulatedGpuDiscovery::List() {
  FG_ASSIGN_OR_RETURN(std::vector<core::DeviceSpec> specs, ParseSimulatedGpus(spec_, node_));
  std::vector<GpuDevice> devices;
  for (core::DeviceSpec& spec : specs) {
    GpuDevice d;
    d.visible_id = std::to_string(spec.index);
    d.spec = std::move(spec);
    devices.push_back(std::move(d));
  }
  return devices;
}

}  // namespace fastgpu::agent
