/* A fake libnvidia-ml with two devices, for the NVML wrapper's tests. */
#include <stdio.h>
#include <string.h>

typedef struct {
  unsigned long long total, free, used;
} nvmlMemory_t;

static int initialized;
static int devices[2];

int nvmlInit_v2(void) { initialized = 1; return 0; }
int nvmlShutdown(void) { initialized = 0; return 0; }
int nvmlDeviceGetCount_v2(unsigned* count) {
  if (!initialized) return 1; /* NVML_ERROR_UNINITIALIZED */
  *count = 2;
  return 0;
}
int nvmlDeviceGetHandleByIndex_v2(unsigned index, void** device) {
  if (index >= 2) return 2; /* NVML_ERROR_INVALID_ARGUMENT */
  *device = &devices[index];
  return 0;
}
int nvmlDeviceGetName(void* device, char* name, unsigned length) {
  snprintf(name, length, "Fake GPU %d", (int)((int*)device - devices));
  return 0;
}
int nvmlDeviceGetUUID(void* device, char* uuid, unsigned length) {
  snprintf(uuid, length, "GPU-fake-%d", (int)((int*)device - devices));
  return 0;
}
int nvmlDeviceGetMemoryInfo(void* device, nvmlMemory_t* memory) {
  (void)device;
  memory->total = 80ULL << 30;
  memory->used = 1ULL << 30;
  memory->free = memory->total - memory->used;
  return 0;
}
const char* nvmlErrorString(int rc) { return rc == 2 ? "Invalid Argument" : "Unknown Error"; }
