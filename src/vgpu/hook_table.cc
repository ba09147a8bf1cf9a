#include "vgpu/hook_table.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

namespace fastgpu::vgpu {

const char* const kCudaHookNames[kCudaHookCount] = {
#define FG_CUDA_HOOK(sym, proto) #sym,
#include "vgpu/cuda_hooks.def"
#undef FG_CUDA_HOOK
};
const char* const kNvmlHookNames[kNvmlHookCount] = {
#define FG_NVML_HOOK(sym, ret, params) #sym,
#include "vgpu/nvml_hooks.def"
#undef FG_NVML_HOOK
};
void* const kCudaHookAddresses[kCudaHookCount] = {
#define FG_CUDA_HOOK(sym, proto) reinterpret_cast<void*>(&::sym),
#include "vgpu/cuda_hooks.def"
#undef FG_CUDA_HOOK
};
void* const kNvmlHookAddresses[kNvmlHookCount] = {
#define FG_NVML_HOOK(sym, ret, params) reinterpret_cast<void*>(&::sym),
#include "vgpu/nvml_hooks.def"
#undef FG_NVML_HOOK
};

void* g_cuda_real[kCudaHookCount];
void* g_nvml_real[kNvmlHookCount];

namespace {

pthread_once_t g_dlsym_once = PTHREAD_ONCE_INIT;
pthread_once_t g_cuda_once = PTHREAD_ONCE_INIT;
pthread_once_t g_nvml_once = PTHREAD_ONCE_INIT;
DlsymFn g_real_dlsym;
void* g_cuda_library;
void* g_nvml_library;

void FindRealDlsym() {
  // dlvsym is not interposed; glibc >= 2.34 versions dlsym GLIBC_2.34, older ones 2.2.5.
  void* fn = dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.34");
  if (fn == nullptr) fn = dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.2.5");
  g_real_dlsym = reinterpret_cast<DlsymFn>(fn);
}

void LoadCuda() {
  g_cuda_library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL);
  if (g_cuda_library == nullptr) return;
  for (int i = 0; i < kCudaHookCount; ++i) {
    g_cuda_real[i] = RealDlsym(g_cuda_library, kCudaHookNames[i]);
  }
}

void LoadNvml() {
  g_nvml_library = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_GLOBAL);
  if (g_nvml_library == nullptr) return;
  for (int i = 0; i < kNvmlHookCount; ++i) {
    g_nvml_real[i] = RealDlsym(g_nvml_library, kNvmlHookNames[i]);
  }
}

}  // namespace

DlsymFn RealDlsymFunction() {
  pthread_once(&g_dlsym_once, FindRealDlsym);
  return g_real_dlsym;
}

void* RealDlsym(void* handle, const char* name) { return RealDlsymFunction()(handle, name); }

void ResolveCuda() { pthread_once(&g_cuda_once, LoadCuda); }
void ResolveNvml() { pthread_once(&g_nvml_once, LoadNvml); }

void* CudaLibrary() {
  ResolveCuda();
  return g_cuda_library;
}

void* NvmlLibrary() {
  ResolveNvml();
  return g_nvml_library;
}

int FindCudaHook(const char* name) {
  for (int i = 0; i < kCudaHookCount; ++i) {
    if (strcmp(kCudaHookNames[i], name) == 0) return i;
  }
  return -1;
}

int FindNvmlHook(const char* name) {
  for (int i = 0; i < kNvmlHookCount; ++i) {
    if (strcmp(kNvmlHookNames[i], name) == 0) return i;
  }
  return -1;
}

int FindCudaHookByReal(const void* real) {
  if (real == nullptr) return -1;
  ResolveCuda();
  for (int i = 0; i < kCudaHookCount; ++i) {
    if (g_cuda_real[i] == real) return i;
  }
  return -1;
}

}  // namespace fastgpu::vgpu
