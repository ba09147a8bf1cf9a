/* A fake libcuda.so.1 for the vGPU tests and benchmark: one or more devices of
 * FAKE_CUDA_MEMORY bytes (default 8 GiB), allocations that fail with CUDA_ERROR_OUT_OF_MEMORY
 * when the device is full, memory info, kernel launches that spin for FAKE_CUDA_KERNEL_NS
 * (default 0) so that they really occupy time, and cuGetProcAddress (v1 and v2) with the
 * driver's version rules for the symbols we hook. The current device is FAKE_CUDA_DEVICE
 * (default 0). Test helpers: fake_cuda_used(), fake_cuda_busy_ns(), fake_cuda_launches(). */
#include <cuda.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#undef cuGetProcAddress

#define MAX_SLOTS (1 << 20)
#define SLOT_SHIFT 40 /* pointer = (slot + 1) << 40 */

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t g_total, g_used;
static uint64_t* g_sizes; /* per slot; 0 = free */
static uint32_t g_next;
static uint64_t g_kernel_ns;
static int g_device;
static uint64_t g_busy_ns, g_launches;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void Init(void) {
  const char* m = getenv("FAKE_CUDA_MEMORY");
  const char* k = getenv("FAKE_CUDA_KERNEL_NS");
  const char* d = getenv("FAKE_CUDA_DEVICE");
  g_total = m ? strtoull(m, NULL, 10) : (8ULL << 30);
  g_kernel_ns = k ? strtoull(k, NULL, 10) : 0;
  g_device = d ? atoi(d) : 0;
  g_sizes = calloc(MAX_SLOTS, sizeof(uint64_t));
}

static uint64_t NowNs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static CUresult Take(uint64_t bytes, uint64_t* key) {
  pthread_once(&g_once, Init);
  if (bytes == 0) return CUDA_ERROR_INVALID_VALUE;
  CUresult rc = CUDA_ERROR_OUT_OF_MEMORY;
  pthread_mutex_lock(&g_mu);
  if (bytes <= g_total - g_used) {
    for (uint32_t n = 0; n < MAX_SLOTS; ++n, g_next = (g_next + 1) % MAX_SLOTS) {
      if (g_sizes[g_next] != 0) continue;
      g_sizes[g_next] = bytes;
      g_used += bytes;
      *key = g_next + 1;
      g_next = (g_next + 1) % MAX_SLOTS;
      rc = CUDA_SUCCESS;
      break;
    }
  }
  pthread_mutex_unlock(&g_mu);
  return rc;
}

static CUresult Give(uint64_t key) {
  pthread_once(&g_once, Init);
  CUresult rc = CUDA_ERROR_INVALID_VALUE;
  pthread_mutex_lock(&g_mu);
  if (key >= 1 && key <= MAX_SLOTS && g_sizes[key - 1] != 0) {
    g_used -= g_sizes[key - 1];
    g_sizes[key - 1] = 0;
    rc = CUDA_SUCCESS;
  }
  pthread_mutex_unlock(&g_mu);
  return rc;
}

static CUresult AllocPtr(CUdeviceptr* p, size_t bytes) {
  uint64_t key = 0;
  CUresult rc = Take(bytes, &key);
  if (rc == CUDA_SUCCESS) *p = (CUdeviceptr)(key << SLOT_SHIFT);
  return rc;
}
static CUresult FreePtr(CUdeviceptr p) { return Give((uint64_t)p >> SLOT_SHIFT); }

static CUresult Kernel(void) {
  pthread_once(&g_once, Init);
  uint64_t start = NowNs();
  if (g_kernel_ns > 0) {
    while (NowNs() - start < g_kernel_ns) {
    }
  }
  __atomic_add_fetch(&g_busy_ns, NowNs() - start, __ATOMIC_RELAXED);
  __atomic_add_fetch(&g_launches, 1, __ATOMIC_RELAXED);
  return CUDA_SUCCESS;
}

uint64_t fake_cuda_used(void) { return g_used; }
uint64_t fake_cuda_busy_ns(void) { return g_busy_ns; }
uint64_t fake_cuda_launches(void) { return g_launches; }

CUresult cuInit(unsigned flags) { (void)flags; pthread_once(&g_once, Init); return CUDA_SUCCESS; }
CUresult cuDriverGetVersion(int* v) { *v = 13000; return CUDA_SUCCESS; }
CUresult cuDeviceGetCount(int* n) { *n = 2; return CUDA_SUCCESS; }
CUresult cuDeviceGet(CUdevice* d, int ordinal) { *d = ordinal; return CUDA_SUCCESS; }
CUresult cuCtxGetDevice(CUdevice* d) { pthread_once(&g_once, Init); *d = g_device; return CUDA_SUCCESS; }
CUresult cuCtxSynchronize(void) { return CUDA_SUCCESS; }

CUresult cuMemAlloc_v2(CUdeviceptr* p, size_t bytes) { return AllocPtr(p, bytes); }
CUresult cuMemAllocManaged(CUdeviceptr* p, size_t bytes, unsigned flags) {
  (void)flags;
  return AllocPtr(p, bytes);
}
CUresult cuMemAllocAsync(CUdeviceptr* p, size_t bytes, CUstream s) { (void)s; return AllocPtr(p, bytes); }
CUresult cuMemAllocAsync_ptsz(CUdeviceptr* p, size_t bytes, CUstream s) { (void)s; return AllocPtr(p, bytes); }
CUresult cuMemAllocFromPoolAsync(CUdeviceptr* p, size_t bytes, CUmemoryPool pool, CUstream s) {
  (void)pool; (void)s;
  return AllocPtr(p, bytes);
}
CUresult cuMemAllocFromPoolAsync_ptsz(CUdeviceptr* p, size_t bytes, CUmemoryPool pool, CUstream s) {
  (void)pool; (void)s;
  return AllocPtr(p, bytes);
}
CUresult cuMemAllocPitch_v2(CUdeviceptr* p, size_t* pitch, size_t width, size_t height, unsigned e) {
  (void)e;
  *pitch = (width + 511) / 512 * 512;
  return AllocPtr(p, *pitch * height);
}
CUresult cuMemFree_v2(CUdeviceptr p) { return FreePtr(p); }
CUresult cuMemFreeAsync(CUdeviceptr p, CUstream s) { (void)s; return FreePtr(p); }
CUresult cuMemFreeAsync_ptsz(CUdeviceptr p, CUstream s) { (void)s; return FreePtr(p); }
CUresult cuMemCreate(CUmemGenericAllocationHandle* h, size_t bytes, const CUmemAllocationProp* prop,
                     unsigned long long flags) {
  (void)prop; (void)flags;
  uint64_t key = 0;
  CUresult rc = Take(bytes, &key);
  if (rc == CUDA_SUCCESS) *h = key;
  return rc;
}
CUresult cuMemRelease(CUmemGenericAllocationHandle h) { return Give(h); }

static uint64_t ArraySize(size_t w, size_t h, size_t d, unsigned ch) {
  return (uint64_t)w * (h ? h : 1) * (d ? d : 1) * (ch ? ch : 1); /* 1-byte formats in tests */
}
CUresult cuArrayCreate_v2(CUarray* a, const CUDA_ARRAY_DESCRIPTOR* d) {
  uint64_t key = 0;
  CUresult rc = Take(ArraySize(d->Width, d->Height, 1, d->NumChannels), &key);
  if (rc == CUDA_SUCCESS) *a = (CUarray)(uintptr_t)(key << SLOT_SHIFT);
  return rc;
}
CUresult cuArray3DCreate_v2(CUarray* a, const CUDA_ARRAY3D_DESCRIPTOR* d) {
  uint64_t key = 0;
  CUresult rc = Take(ArraySize(d->Width, d->Height, d->Depth, d->NumChannels), &key);
  if (rc == CUDA_SUCCESS) *a = (CUarray)(uintptr_t)(key << SLOT_SHIFT);
  return rc;
}
CUresult cuArrayDestroy(CUarray a) { return Give((uint64_t)(uintptr_t)a >> SLOT_SHIFT); }
/* A mipmapped array of one level is the size of its array (tests use one level). */
CUresult cuMipmappedArrayCreate(CUmipmappedArray* a, const CUDA_ARRAY3D_DESCRIPTOR* d,
                                unsigned levels) {
  uint64_t key = 0;
  uint64_t size = 0;
  for (unsigned l = 0; l < (levels ? levels : 1); ++l) {
    size_t w = d->Width >> l, h = d->Height >> l, z = d->Depth >> l;
    size += ArraySize(w ? w : 1, d->Height ? (h ? h : 1) : 0, d->Depth ? (z ? z : 1) : 0,
                      d->NumChannels);
  }
  CUresult rc = Take(size, &key);
  if (rc == CUDA_SUCCESS) *a = (CUmipmappedArray)(uintptr_t)(key << SLOT_SHIFT);
  return rc;
}
CUresult cuMipmappedArrayDestroy(CUmipmappedArray a) {
  return Give((uint64_t)(uintptr_t)a >> SLOT_SHIFT);
}

CUresult cuMemGetInfo_v2(size_t* free_bytes, size_t* total) {
  pthread_once(&g_once, Init);
  pthread_mutex_lock(&g_mu);
  *free_bytes = g_total - g_used;
  *total = g_total;
  pthread_mutex_unlock(&g_mu);
  return CUDA_SUCCESS;
}
CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice d) {
  (void)d;
  pthread_once(&g_once, Init);
  *bytes = g_total;
  return CUDA_SUCCESS;
}

CUresult cuLaunchKernel(CUfunction f, unsigned a, unsigned b, unsigned c, unsigned d, unsigned e,
                        unsigned g, unsigned sh, CUstream s, void** p, void** x) {
  (void)f; (void)a; (void)b; (void)c; (void)d; (void)e; (void)g; (void)sh; (void)s; (void)p; (void)x;
  return Kernel();
}
CUresult cuLaunchKernel_ptsz(CUfunction f, unsigned a, unsigned b, unsigned c, unsigned d,
                             unsigned e, unsigned g, unsigned sh, CUstream s, void** p, void** x) {
  return cuLaunchKernel(f, a, b, c, d, e, g, sh, s, p, x);
}
CUresult cuLaunchKernelEx(const CUlaunchConfig* c, CUfunction f, void** p, void** x) {
  (void)c; (void)f; (void)p; (void)x;
  return Kernel();
}
CUresult cuLaunchKernelEx_ptsz(const CUlaunchConfig* c, CUfunction f, void** p, void** x) {
  return cuLaunchKernelEx(c, f, p, x);
}
CUresult cuLaunchCooperativeKernel(CUfunction f, unsigned a, unsigned b, unsigned c, unsigned d,
                                   unsigned e, unsigned g, unsigned sh, CUstream s, void** p) {
  (void)f; (void)a; (void)b; (void)c; (void)d; (void)e; (void)g; (void)sh; (void)s; (void)p;
  return Kernel();
}
CUresult cuLaunchCooperativeKernel_ptsz(CUfunction f, unsigned a, unsigned b, unsigned c,
                                        unsigned d, unsigned e, unsigned g, unsigned sh,
                                        CUstream s, void** p) {
  return cuLaunchCooperativeKernel(f, a, b, c, d, e, g, sh, s, p);
}
CUresult cuGraphLaunch(CUgraphExec g, CUstream s) { (void)g; (void)s; return Kernel(); }
CUresult cuGraphLaunch_ptsz(CUgraphExec g, CUstream s) { (void)g; (void)s; return Kernel(); }

CUresult cuGetProcAddress_v2(const char* symbol, void** pfn, int version, cuuint64_t flags,
                             CUdriverProcAddressQueryResult* status);
CUresult cuGetProcAddress(const char* symbol, void** pfn, int version, cuuint64_t flags);

/* symbol -> function, with the version (>= which the _v2 variant is returned) */
struct Entry { const char* name; void* fn; void* fn_v2; void* fn_ptsz; };
#define E(n) {#n, (void*)n, NULL, NULL}
#define EV2(n) {#n, NULL, (void*)n##_v2, NULL}
#define EP(n) {#n, (void*)n, NULL, (void*)n##_ptsz}
static const struct Entry kEntries[] = {
    EV2(cuMemAlloc), EV2(cuMemAllocPitch), EV2(cuMemFree), EV2(cuMemGetInfo),
    EV2(cuDeviceTotalMem), EV2(cuArrayCreate), EV2(cuArray3DCreate), E(cuMemAllocManaged),
    EP(cuMemAllocAsync), EP(cuMemAllocFromPoolAsync), EP(cuMemFreeAsync), E(cuMemCreate),
    E(cuMemRelease), E(cuArrayDestroy), E(cuMipmappedArrayCreate), E(cuMipmappedArrayDestroy),
    EP(cuLaunchKernel), EP(cuLaunchKernelEx),
    EP(cuLaunchCooperativeKernel), EP(cuGraphLaunch), E(cuInit), E(cuCtxGetDevice),
    E(cuCtxSynchronize), E(cuDeviceGet), E(cuDeviceGetCount), E(cuDriverGetVersion),
    {"cuGetProcAddress", (void*)cuGetProcAddress, (void*)cuGetProcAddress_v2, NULL},
};

CUresult cuGetProcAddress_v2(const char* symbol, void** pfn, int version, cuuint64_t flags,
                             CUdriverProcAddressQueryResult* status) {
  for (size_t i = 0; i < sizeof(kEntries) / sizeof(kEntries[0]); ++i) {
    const struct Entry* e = &kEntries[i];
    if (strcmp(e->name, symbol) != 0) continue;
    int want_v2 = strcmp(symbol, "cuGetProcAddress") == 0 ? version >= 12000 : version >= 3020;
    void* fn = (e->fn_v2 && (want_v2 || !e->fn)) ? e->fn_v2 : e->fn;
    if ((flags & CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM) && e->fn_ptsz) fn = e->fn_ptsz;
    *pfn = fn;
    if (status) *status = CU_GET_PROC_ADDRESS_SUCCESS;
    return CUDA_SUCCESS;
  }
  *pfn = NULL;
  if (status) *status = CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
  return CUDA_ERROR_NOT_FOUND;
}

CUresult cuGetProcAddress(const char* symbol, void** pfn, int version, cuuint64_t flags) {
  return cuGetProcAddress_v2(symbol, pfn, version, flags, NULL);
}
