#include "agent/host_info.h"

#include <pwd.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

namespace fastgpu::agent {

HostInfo ReadHostInfo() {
  HostInfo info;
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof(name) - 1) == 0 && name[0] != '\0') {
    info.hostname = name;
  } else {
    info.hostname = "localhost";
  }
  long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  info.cpu_milli = cpus > 0 ? static_cast<int32_t>(cpus * 1000) : 0;
  long pages = ::sysconf(_SC_PHYS_PAGES);
  long page_size = ::sysconf(_SC_PAGESIZE);
  if (pages > 0 && page_size > 0) {
    info.memory_mib = static_cast<int64_t>(pages) * page_size / (1024 * 1024);
  }
  struct passwd pw;
  struct passwd* found = nullptr;
  char buf[4096];
  if (::getpwuid_r(::getuid(), &pw, buf, sizeof(buf), &found) == 0 && found != nullptr) {
    info.user = pw.pw_name;
    info.home = pw.pw_dir;
  }
  if (info.home.empty()) {
    const char* home = std::getenv("HOME");
    info.home = home != nullptr ? home : "/";
  }
  return info;
}

}  // namespace fastgpu::agent
