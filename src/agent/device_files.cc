#include "agent/device_files.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <charconv>
#include <set>
#include <string_view>
#include <tuple>

namespace fastgpu::agent {
namespace {

// nvidia<N> with N a plain decimal index; -1 for any other name.
int32_t GpuIndex(std::string_view name) {
  constexpr std::string_view kPrefix = "nvidia";
  if (name.size() <= kPrefix.size() || name.substr(0, kPrefix.size()) != kPrefix) return -1;
  std::string_view digits = name.substr(kPrefix.size());
  int32_t v = -1;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return -1;
  if (digits.size() > 1 && digits[0] == '0') return -1;
  return v;
}

bool IsControlFile(std::string_view name) {
  return name == "nvidiactl" || name == "nvidia-modeset" || name == "nvidia-uvm" ||
         name == "nvidia-uvm-tools";
}

}  // namespace

DeviceFiles ScanDeviceFiles(const std::string& dir) {
  DeviceFiles files;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return files;
  while (struct dirent* ent = ::readdir(d)) {
    std::string_view name = ent->d_name;
    int32_t index = GpuIndex(name);
    if (index < 0 && !IsControlFile(name)) continue;
    struct stat st;
    if (::stat((dir + "/" + ent->d_name).c_str(), &st) != 0 || !S_ISCHR(st.st_mode)) continue;
    cgroup::DeviceRule rule{'c', major(st.st_rdev), minor(st.st_rdev)};
    if (index >= 0) {
      files.gpus[index] = rule;
    } else {
      files.control.push_back(rule);
    }
  }
  ::closedir(d);
  std::sort(files.control.begin(), files.control.end(),
            [](const cgroup::DeviceRule& a, const cgroup::DeviceRule& b) {
              return std::tie(a.major, a.minor) < std::tie(b.major, b.minor);
            });
  return files;
}

std::vector<cgroup::DeviceRule> DeniedFor(const DeviceFiles& files,
                                          const std::vector<core::DeviceGrant>& grants) {
  std::set<int32_t> granted;
  for (const core::DeviceGrant& g : grants) granted.insert(g.index);
  std::vector<cgroup::DeviceRule> deny;
  for (const auto& [index, rule] : files.gpus) {
    if (!granted.contains(index)) deny.push_back(rule);
  }
  for (const auto& [index, rules] : files.caps) {
    if (!granted.contains(index)) deny.insert(deny.end(), rules.begin(), rules.end());
  }
  if (granted.empty()) deny.insert(deny.end(), files.control.begin(), files.control.end());
  return deny;
}

}  // namespace fastgpu::agent
