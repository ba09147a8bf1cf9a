#pragma once
// Everything generated from cuda_hooks.def and nvml_hooks.def: for each hooked symbol S an enum
// value kHook_S, its name in kCudaHookNames/kNvmlHookNames, the function type S_fn, the
// exported declaration of our hook, and the real driver function, resolved once (Real<S>()).
//
// The real functions come from dlopen("libcuda.so.1") / dlopen("libnvidia-ml.so.1") and the
// real dlsym, never from the global scope: our own definitions shadow the driver's there.
// ResolveCuda()/ResolveNvml() run once (pthread_once); a symbol the driver lacks stays null and
// its hook answers CUDA_ERROR_NOT_FOUND / NVML_ERROR_FUNCTION_NOT_FOUND.

#include <cuda.h>
#include <stddef.h>

#undef cuGetProcAddress  // cuda.h maps it to _v2; we also export the v1 symbol

#define FG_EXPORT __attribute__((visibility("default")))

extern "C" {
// cuGetProcAddress v1 (CUDA 11.3-12.x), which cuda.h 13 no longer declares.
CUresult fg_cuGetProcAddress_v1_proto(const char* symbol, void** pfn, int cudaVersion,
                                      cuuint64_t flags);

// The NVML types our hooks use (ABI of nvml.h).
typedef struct fg_nvmlDevice_st* fg_nvmlDevice_t;
typedef struct {
  unsigned long long total, free, used;  // NOLINT: NVML's ABI
} fg_nvmlMemory_t;
typedef struct {
  unsigned int version;
  unsigned long long total, reserved, free, used;  // NOLINT: NVML's ABI
} fg_nvmlMemory_v2_t;
}

namespace fastgpu::vgpu {

enum CudaHook : int {
#define FG_CUDA_HOOK(sym, proto) kHook_##sym,
#include "vgpu/cuda_hooks.def"
#undef FG_CUDA_HOOK
  kCudaHookCount
};

enum NvmlHook : int {
#define FG_NVML_HOOK(sym, ret, params) kHook_##sym,
#include "vgpu/nvml_hooks.def"
#undef FG_NVML_HOOK
  kNvmlHookCount
};

#define FG_CUDA_HOOK(sym, proto) using sym##_fn = decltype(&::proto);
#include "vgpu/cuda_hooks.def"
#undef FG_CUDA_HOOK
#define FG_NVML_HOOK(sym, ret, params) using sym##_fn = ret(*) params;
#include "vgpu/nvml_hooks.def"
#undef FG_NVML_HOOK

extern const char* const kCudaHookNames[kCudaHookCount];
extern const char* const kNvmlHookNames[kNvmlHookCount];
extern void* const kCudaHookAddresses[kCudaHookCount];  // our hooks
extern void* const kNvmlHookAddresses[kNvmlHookCount];

// The real functions; null until resolved or when the driver lacks them.
extern void* g_cuda_real[kCudaHookCount];
extern void* g_nvml_real[kNvmlHookCount];

void ResolveCuda();  // once; cheap after the first call
void ResolveNvml();

// The glibc dlsym, bypassing our interposed one (never null: dlsym itself if glibc's versioned
// symbol cannot be found, which cannot happen with glibc).
using DlsymFn = void* (*)(void*, const char*);
DlsymFn RealDlsymFunction();
void* RealDlsym(void* handle, const char* name);
// libcuda's handle (after ResolveCuda), for symbols outside the table; null without a driver.
void* CudaLibrary();
void* NvmlLibrary();

// Index of `name` in a table, or -1.
int FindCudaHook(const char* name);
int FindNvmlHook(const char* name);
// Index of the hook whose real function is `real`, or -1.
int FindCudaHookByReal(const void* real);

}  // namespace fastgpu::vgpu

// The real function of hook `sym`, typed: FG_REAL(cuMemAlloc_v2)(&ptr, size).
#define FG_REAL(sym)                          \
  (::fastgpu::vgpu::ResolveCuda(),            \
   reinterpret_cast<::fastgpu::vgpu::sym##_fn>(::fastgpu::vgpu::g_cuda_real[::fastgpu::vgpu::kHook_##sym]))
#define FG_REAL_NVML(sym)                     \
  (::fastgpu::vgpu::ResolveNvml(),            \
   reinterpret_cast<::fastgpu::vgpu::sym##_fn>(::fastgpu::vgpu::g_nvml_real[::fastgpu::vgpu::kHook_##sym]))

// Declarations of our exported hooks.
extern "C" {
#define FG_CUDA_HOOK(sym, proto) FG_EXPORT decltype(::proto) sym;
#include "vgpu/cuda_hooks.def"
#undef FG_CUDA_HOOK
#define FG_NVML_HOOK(sym, ret, params) FG_EXPORT ret sym params;
#include "vgpu/nvml_hooks.def"
#undef FG_NVML_HOOK
}
