/* A fake libnvidia-ml.so.1 for the vGPU tests: two devices of FAKE_CUDA_MEMORY bytes (default
 * 8 GiB), 1 GiB of it used by "someone else". */
#include <stdio.h>
#include <stdlib.h>

typedef struct { unsigned long long total, free, used; } nvmlMemory_t;
typedef struct { unsigned version; unsigned long long total, reserved, free, used; } nvmlMemory_v2_t;

static int g_devices[2];

static unsigned long long Total(void) {
  const char* m = getenv("FAKE_CUDA_MEMORY");
  return m ? strtoull(m, NULL, 10) : (8ULL << 30);
}

int nvmlInit_v2(void) { return 0; }
int nvmlShutdown(void) { return 0; }
int nvmlDeviceGetCount_v2(unsigned* n) { *n = 2; return 0; }
int nvmlDeviceGetHandleByIndex_v2(unsigned i, void** d) {
  if (i >= 2) return 2;
  *d = &g_devices[i];
  return 0;
}
int nvmlDeviceGetIndex(void* d, unsigned* i) { *i = (unsigned)((int*)d - g_devices); return 0; }
int nvmlDeviceGetUUID(void* d, char* uuid, unsigned length) {
  snprintf(uuid, length, "GPU-fake-%d", (int)((int*)d - g_devices));
  return 0;
}
int nvmlDeviceGetMemoryInfo(void* d, nvmlMemory_t* m) {
  (void)d;
  m->total = Total();
  m->used = 1ULL << 30;
  m->free = m->total - m->used;
  return 0;
}
int nvmlDeviceGetMemoryInfo_v2(void* d, nvmlMemory_v2_t* m) {
  (void)d;
  m->total = Total();
  m->reserved = 300ULL << 20;
  m->used = 1ULL << 30;
  m->free = m->total - m->used - m->reserved;
  return 0;
}
