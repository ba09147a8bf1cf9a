// The lookup paths: dlsym (programs and the CUDA runtime that dlopen libcuda) and
// cuGetProcAddress / cuGetProcAddress_v2 (the CUDA runtime >= 11.3, PyTorch). Each answers our
// hook for a hooked symbol, so no path reaches the driver's allocation functions unaccounted.

#include <dlfcn.h>
#include <string.h>

#include "vgpu/hook_util.h"

namespace {

using fastgpu::vgpu::kCudaHookAddresses;
using fastgpu::vgpu::kNvmlHookAddresses;

// The hook for `name` when the real lookup found the symbol; otherwise the real answer.
__attribute__((noinline)) void* LookupHook(void* handle, const char* name) {
  void* real = fastgpu::vgpu::RealDlsym(handle, name);
  if (real == nullptr) return nullptr;
  int i = fastgpu::vgpu::FindCudaHook(name);
  if (i >= 0) return kCudaHookAddresses[i];
  i = fastgpu::vgpu::FindNvmlHook(name);
  if (i >= 0) return kNvmlHookAddresses[i];
  return real;
}

// Replaces a real function pointer that the driver handed out by our hook for it.
void SwapInHook(void** pfn) {
  if (pfn == nullptr || *pfn == nullptr) return;
  int i = fastgpu::vgpu::FindCudaHookByReal(*pfn);
  if (i >= 0) *pfn = kCudaHookAddresses[i];
}

bool MaybeHooked(const char* name) {
  return name != nullptr && ((name[0] == 'c' && name[1] == 'u') || strncmp(name, "nvml", 4) == 0);
}


}  // namespace

extern "C" {

// RTLD_NEXT lookups go straight to glibc, in tail position, so that glibc still sees the
// caller's return address (what "next" means depends on it).
FG_EXPORT void* dlsym(void* __restrict handle, const char* __restrict name) noexcept {
  if (handle != RTLD_NEXT && MaybeHooked(name)) return LookupHook(handle, name);
  return fastgpu::vgpu::RealDlsymFunction()(handle, name);
}

CUresult cuGetProcAddress(const char* symbol, void** pfn, int version, cuuint64_t flags) {
  CUresult rc = FG_CALL(cuGetProcAddress, symbol, pfn, version, flags);
  if (rc == CUDA_SUCCESS) SwapInHook(pfn);
  return rc;
}

CUresult cuGetProcAddress_v2(const char* symbol, void** pfn, int version, cuuint64_t flags,
                             CUdriverProcAddressQueryResult* status) {
  CUresult rc = FG_CALL(cuGetProcAddress_v2, symbol, pfn, version, flags, status);
  if (rc == CUDA_SUCCESS) SwapInHook(pfn);
  return rc;
}

}  // extern "C"
