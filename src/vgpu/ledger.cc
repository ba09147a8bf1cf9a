#include "vgpu/ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vgpu/limits.h"

namespace fastgpu::vgpu {
namespace {

int32_t g_self;  // this process's pid (getpid() is a system call: kept off the hot path)

int32_t Self() { return g_self != 0 ? g_self : getpid(); }

void InitHeader(fg_vgpu_shm* shm) {
  memset(static_cast<void*>(shm), 0, sizeof(*shm));
  shm->version = FG_VGPU_SHM_VERSION;
  shm->size = sizeof(fg_vgpu_shm);
  shm->max_slots = FG_VGPU_MAX_SLOTS;
  shm->max_devices = FG_VGPU_MAX_DEVICES;
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&shm->lock.mutex, &attr);
  pthread_mutexattr_destroy(&attr);
  __atomic_store_n(&shm->magic, FG_VGPU_SHM_MAGIC, __ATOMIC_RELEASE);
}

bool Valid(const fg_vgpu_shm* shm) {
  return __atomic_load_n(&shm->magic, __ATOMIC_ACQUIRE) == FG_VGPU_SHM_MAGIC &&
         shm->version == FG_VGPU_SHM_VERSION && shm->size == sizeof(fg_vgpu_shm) &&
         shm->max_slots == FG_VGPU_MAX_SLOTS && shm->max_devices == FG_VGPU_MAX_DEVICES;
}

void Lock(fg_vgpu_shm* shm) {
  // EOWNERDEAD: the holder died; each update is a single store, so the data is consistent.
  if (pthread_mutex_lock(&shm->lock.mutex) == EOWNERDEAD) {
    pthread_mutex_consistent(&shm->lock.mutex);
  }
}
void Unlock(fg_vgpu_shm* shm) { pthread_mutex_unlock(&shm->lock.mutex); }

// Field 22 (starttime) of /proc/<pid>/stat; 0 when unreadable. *zombie is set for Z/X states.
uint64_t ProcStartTime(int32_t pid, bool* zombie) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[1024];
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  const char* p = strrchr(buf, ')');
  if (p == nullptr || p[1] == '\0') return 0;
  p += 2;  // state
  *zombie = (*p == 'Z' || *p == 'X');
  for (int field = 3; field < 22 && p != nullptr; ++field) {
    p = strchr(p, ' ');
    if (p != nullptr) ++p;
  }
  return p != nullptr ? strtoull(p, nullptr, 10) : 0;
}

bool SlotAlive(const fg_vgpu_slot& slot) {
  if (slot.pid == 0) return false;
  bool zombie = false;
  uint64_t start = ProcStartTime(slot.pid, &zombie);
  if (start == 0) return !(kill(slot.pid, 0) != 0 && errno == ESRCH);  // no /proc: ask kill
  return !zombie && start == slot.start_time;
}

uint64_t SumUsed(const fg_vgpu_shm* shm, int device) {
  uint64_t sum = 0;
  for (uint32_t i = 0; i < shm->slot_count; ++i) sum += shm->slots[i].used[device];
  return sum;
}

int ReclaimLocked(fg_vgpu_shm* shm) {
  int reclaimed = 0;
  for (uint32_t i = 0; i < shm->slot_count; ++i) {
    fg_vgpu_slot& slot = shm->slots[i];
    if (slot.pid != 0 && slot.pid != Self() && !SlotAlive(slot)) {
      memset(&slot, 0, sizeof(slot));
      ++reclaimed;
    }
  }
  return reclaimed;
}

// Claims a free slot for this process; -1 when all are held by live processes.
int ClaimLocked(fg_vgpu_shm* shm) {
  for (int pass = 0; pass < 2; ++pass) {
    for (uint32_t i = 0; i < FG_VGPU_MAX_SLOTS; ++i) {
      fg_vgpu_slot& slot = shm->slots[i];
      if (slot.pid != 0) continue;
      bool zombie = false;
      memset(&slot, 0, sizeof(slot));
      slot.pid = Self();
      slot.start_time = ProcStartTime(slot.pid, &zombie);
      if (i >= shm->slot_count) shm->slot_count = i + 1;
      return static_cast<int>(i);
    }
    if (ReclaimLocked(shm) == 0) break;
  }
  return -1;
}

}  // namespace

void LedgerSetSelf(int32_t pid) { g_self = pid; }

fg_vgpu_shm* MapLedger(const char* path) {
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    fprintf(stderr, "fastgpu-vgpu: cannot open %s: %s\n", path, strerror(errno));
    return nullptr;
  }
  flock(fd, LOCK_EX);
  struct stat st;
  bool fresh = fstat(fd, &st) == 0 && st.st_size == 0;
  if (fresh && ftruncate(fd, sizeof(fg_vgpu_shm)) != 0) fresh = false;
  void* map = mmap(nullptr, sizeof(fg_vgpu_shm), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  fg_vgpu_shm* shm = map == MAP_FAILED ? nullptr : static_cast<fg_vgpu_shm*>(map);
  if (shm != nullptr && fresh) InitHeader(shm);
  flock(fd, LOCK_UN);
  close(fd);
  if (shm != nullptr && !Valid(shm)) {
    fprintf(stderr, "fastgpu-vgpu: %s is not a version %u ledger\n", path, FG_VGPU_SHM_VERSION);
    munmap(map, sizeof(fg_vgpu_shm));
    return nullptr;
  }
  return shm;
}

fg_vgpu_shm* PrivateLedger() {
  void* map = mmap(nullptr, sizeof(fg_vgpu_shm), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) return nullptr;
  fg_vgpu_shm* shm = static_cast<fg_vgpu_shm*>(map);
  InitHeader(shm);
  return shm;
}

bool LedgerReserve(fg_vgpu_shm* shm, int* slot, int device, uint64_t bytes, uint64_t limit) {
  Lock(shm);
  bool ok = !WouldExceed(SumUsed(shm, device), bytes, limit);
  if (!ok && ReclaimLocked(shm) > 0) ok = !WouldExceed(SumUsed(shm, device), bytes, limit);
  if (ok && (*slot < 0 || shm->slots[*slot].pid != Self())) *slot = ClaimLocked(shm);
  if (ok && *slot >= 0) {
    shm->slots[*slot].used[device] += bytes;
    const uint64_t total = SumUsed(shm, device);
    if (total > shm->peak[device]) __atomic_store_n(&shm->peak[device], total, __ATOMIC_RELAXED);
  } else {
    ok = false;
  }
  Unlock(shm);
  return ok;
}

void LedgerRelease(fg_vgpu_shm* shm, int slot, int device, uint64_t bytes) {
  if (slot < 0) return;
  Lock(shm);
  uint64_t& used = shm->slots[slot].used[device];
  if (shm->slots[slot].pid == Self()) used -= used < bytes ? used : bytes;
  Unlock(shm);
}

uint64_t LedgerUsed(fg_vgpu_shm* shm, int device) {
  Lock(shm);
  ReclaimLocked(shm);  // a report counts live processes only
  uint64_t used = SumUsed(shm, device);
  Unlock(shm);
  return used;
}

void LedgerLeave(fg_vgpu_shm* shm, int slot) {
  if (slot < 0) return;
  Lock(shm);
  if (shm->slots[slot].pid == Self()) memset(&shm->slots[slot], 0, sizeof(fg_vgpu_slot));
  Unlock(shm);
}

int64_t* LedgerComputeTime(fg_vgpu_shm* shm) { return &shm->compute.time_ns; }

int LedgerReclaimDead(fg_vgpu_shm* shm) {
  Lock(shm);
  int n = ReclaimLocked(shm);
  Unlock(shm);
  return n;
}

}  // namespace fastgpu::vgpu
