#include "agent/job_gpu_memory.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "vgpu/shm_abi.h"

namespace fastgpu::agent {

uint64_t LedgerPeakBytes(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  // The header and the peaks: everything up to the slots.
  unsigned char buf[offsetof(fg_vgpu_shm, slots)];
  ssize_t n = ::pread(fd, buf, sizeof(buf), 0);
  ::close(fd);
  if (n != static_cast<ssize_t>(sizeof(buf))) return 0;
  uint64_t magic = 0;
  uint32_t version = 0;
  uint32_t size = 0;
  std::memcpy(&magic, buf + offsetof(fg_vgpu_shm, magic), sizeof(magic));
  std::memcpy(&version, buf + offsetof(fg_vgpu_shm, version), sizeof(version));
  std::memcpy(&size, buf + offsetof(fg_vgpu_shm, size), sizeof(size));
  if (magic != FG_VGPU_SHM_MAGIC || version != FG_VGPU_SHM_VERSION || size != sizeof(fg_vgpu_shm)) {
    return 0;
  }
  uint64_t total = 0;
  for (int d = 0; d < FG_VGPU_MAX_DEVICES; ++d) {
    uint64_t peak = 0;
    std::memcpy(&peak, buf + offsetof(fg_vgpu_shm, peak) + d * sizeof(uint64_t), sizeof(peak));
    total += peak;
  }
  return total;
}

int32_t SessionOf(int32_t pid) {
  if (pid <= 0) return 0;
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[1024];
  ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
  ::close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  // "pid (comm) state ppid pgrp session ...": comm may hold spaces and ')'.
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr) return 0;
  int ppid = 0;
  int pgrp = 0;
  int session = 0;
  char state = 0;
  if (std::sscanf(p + 1, " %c %d %d %d", &state, &ppid, &pgrp, &session) != 4) return 0;
  return session;
}

}  // namespace fastgpu::agent
