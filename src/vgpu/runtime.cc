#include "vgpu/runtime.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "vgpu/alloc_map.h"
#include "vgpu/hook_table.h"
#include "vgpu/ledger.h"

namespace fastgpu::vgpu {
namespace {

constexpr int64_t kBurstNs = 10'000'000;  // at most 10 ms of device time banked
constexpr int64_t kMinWaitNs = 500'000;    // sleep in steps of at least 0.5 ms

pthread_once_t g_once = PTHREAD_ONCE_INIT;
Config g_config;
fg_vgpu_shm* g_ledger;
int g_slot = -1;  // this process's ledger slot
ComputeRate g_rate;
int64_t g_local_time;          // the bucket when there is no ledger
int64_t* g_compute_time = &g_local_time;  // the job's shared bucket (ledger) once mapped

void AfterFork() {  // the child holds nothing yet: it claims its own slot
  g_slot = -1;
  LedgerSetSelf(getpid());
}
void AtExit() { LedgerLeave(g_ledger, g_slot); }

void Init() {
  const char* memory = getenv("FASTGPU_VGPU_MEMORY_LIMIT");
  const char* share = getenv("FASTGPU_VGPU_COMPUTE_SHARE");
  if (memory != nullptr && *memory != '\0' && !ParseBytes(memory, &g_config.memory_limit)) {
    fprintf(stderr, "fastgpu-vgpu: ignoring FASTGPU_VGPU_MEMORY_LIMIT=%s\n", memory);
  }
  if (share != nullptr && *share != '\0' && !ParseMilli(share, &g_config.compute_milli)) {
    fprintf(stderr, "fastgpu-vgpu: ignoring FASTGPU_VGPU_COMPUTE_SHARE=%s\n", share);
  }
  g_rate = ComputeRate{g_config.compute_milli, kBurstNs, kMinWaitNs};
  if (g_config.memory_limit == 0 && g_config.compute_milli >= 1000) return;
  LedgerSetSelf(getpid());
  // The ledger holds the job's memory accounting and its compute bucket: with a compute share
  // only, it is mapped too, so that all processes of the job share one bucket.
  const char* path = getenv("FASTGPU_VGPU_SHM");
  if (path != nullptr && *path != '\0') g_ledger = MapLedger(path);
  if (g_ledger == nullptr) g_ledger = PrivateLedger();
  if (g_ledger == nullptr) {
    fprintf(stderr, "fastgpu-vgpu: no ledger; memory is not limited, compute per process\n");
    g_config.memory_limit = 0;
  } else {
    g_compute_time = LedgerComputeTime(g_ledger);
  }
  pthread_atfork(nullptr, nullptr, AfterFork);
  atexit(AtExit);
}

using CtxGetDeviceFn = CUresult (*)(CUdevice*);
CtxGetDeviceFn g_ctx_get_device;
pthread_once_t g_ctx_once = PTHREAD_ONCE_INIT;
void FindCtxGetDevice() {
  void* lib = CudaLibrary();
  if (lib != nullptr) {
    g_ctx_get_device = reinterpret_cast<CtxGetDeviceFn>(RealDlsym(lib, "cuCtxGetDevice"));
  }
}

using CtxSynchronizeFn = CUresult (*)();
CtxSynchronizeFn g_ctx_synchronize;
pthread_once_t g_sync_once = PTHREAD_ONCE_INIT;
void FindCtxSynchronize() {
  void* lib = CudaLibrary();
  if (lib != nullptr) {
    g_ctx_synchronize = reinterpret_cast<CtxSynchronizeFn>(RealDlsym(lib, "cuCtxSynchronize"));
  }
}

}  // namespace

const Config& GetConfig() {
  pthread_once(&g_once, Init);
  return g_config;
}

int ClampDevice(int device) {
  if (device < 0) return 0;
  return device < FG_VGPU_MAX_DEVICES ? device : FG_VGPU_MAX_DEVICES - 1;
}

int CurrentDevice() {
  pthread_once(&g_ctx_once, FindCtxGetDevice);
  CUdevice device = 0;
  if (g_ctx_get_device == nullptr || g_ctx_get_device(&device) != CUDA_SUCCESS) return 0;
  return ClampDevice(device);
}

bool Reserve(int device, uint64_t bytes) {
  if (!MemoryLimited()) return true;
  return LedgerReserve(g_ledger, &g_slot, ClampDevice(device), bytes, g_config.memory_limit);
}

void Unreserve(int device, uint64_t bytes) {
  if (MemoryLimited()) LedgerRelease(g_ledger, g_slot, ClampDevice(device), bytes);
}

void Remember(AllocKind kind, uint64_t key, int device, uint64_t bytes) {
  if (MemoryLimited()) AllocMapPut(static_cast<uint8_t>(kind), key, device, bytes);
}

void Forget(AllocKind kind, uint64_t key) {
  if (!MemoryLimited()) return;
  int device = 0;
  uint64_t bytes = 0;
  if (AllocMapTake(static_cast<uint8_t>(kind), key, &device, &bytes)) Unreserve(device, bytes);
}

uint64_t JobUsed(int device) {
  return MemoryLimited() ? LedgerUsed(g_ledger, ClampDevice(device)) : 0;
}

int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

namespace {

// Charges `busy_ns` at `now` to the job's bucket (one compare-and-swap, retried when another
// thread or process of the job got there first); returns how long to wait.
int64_t ChargeShared(int64_t now, int64_t busy_ns) {
  int64_t time = __atomic_load_n(g_compute_time, __ATOMIC_RELAXED);
  ComputeCharge charge;
  do {
    charge = ChargeCompute(g_rate, time, now, busy_ns);
  } while (!__atomic_compare_exchange_n(g_compute_time, &time, charge.time_ns, /*weak=*/true,
                                        __ATOMIC_RELAXED, __ATOMIC_RELAXED));
  return charge.wait_ns;
}

}  // namespace

void ChargeLaunch(int64_t started_ns) {
  int64_t now = MonotonicNs();
  int64_t wait = ChargeShared(now, now - started_ns);
  if (wait == 0) return;
  // In debt: let the queued kernels finish (their time is device time too), then sleep.
  pthread_once(&g_sync_once, FindCtxSynchronize);
  if (g_ctx_synchronize != nullptr) {
    int64_t before = MonotonicNs();
    g_ctx_synchronize();
    int64_t after = MonotonicNs();
    wait = ChargeShared(after, after - before);
  }
  timespec ts{static_cast<time_t>(wait / 1'000'000'000), static_cast<long>(wait % 1'000'000'000)};
  while (wait > 0 && nanosleep(&ts, &ts) != 0) {
  }
}

}  // namespace fastgpu::vgpu
