#include "probe_api.h"

#include <dlfcn.h>

extern "C" CUresult cuGetProcAddress(const char* symbol, void** pfn, int version,
                                     cuuint64_t flags);

namespace fastgpu::vgpu::test {
namespace {

using GetProcV2 = decltype(&::cuGetProcAddress_v2);
using GetProcV1 = decltype(&::cuGetProcAddress);

template <typename Fn>
void Bind(Fn* fn, void* address, const char* name, std::string* error) {
  *fn = reinterpret_cast<Fn>(address);
  if (address == nullptr) *error += std::string(name) + " ";
}

void LoadLinked(ProbeApi* a) {
  a->mem_alloc = &::cuMemAlloc_v2;
  a->mem_alloc_pitch = &::cuMemAllocPitch_v2;
  a->mem_alloc_managed = &::cuMemAllocManaged;
  a->mem_alloc_async = &::cuMemAllocAsync;
  a->mem_alloc_pool = &::cuMemAllocFromPoolAsync;
  a->mem_free = &::cuMemFree_v2;
  a->mem_free_async = &::cuMemFreeAsync;
  a->mem_create = &::cuMemCreate;
  a->mem_release = &::cuMemRelease;
  a->array_create = &::cuArrayCreate_v2;
  a->array3d_create = &::cuArray3DCreate_v2;
  a->array_destroy = &::cuArrayDestroy;
  a->mipmap_create = &::cuMipmappedArrayCreate;
  a->mipmap_destroy = &::cuMipmappedArrayDestroy;
  a->mem_get_info = &::cuMemGetInfo_v2;
  a->device_total_mem = &::cuDeviceTotalMem_v2;
  a->launch_kernel = &::cuLaunchKernel;
  a->launch_kernel_ex = &::cuLaunchKernelEx;
  a->launch_cooperative = &::cuLaunchCooperativeKernel;
  a->graph_launch = &::cuGraphLaunch;
}

// `lookup(versioned, base)` returns the address for one function.
template <typename Lookup>
void LoadWith(Lookup lookup, ProbeApi* a, std::string* e) {
  Bind(&a->mem_alloc, lookup("cuMemAlloc_v2", "cuMemAlloc"), "cuMemAlloc", e);
  Bind(&a->mem_alloc_pitch, lookup("cuMemAllocPitch_v2", "cuMemAllocPitch"), "pitch", e);
  Bind(&a->mem_alloc_managed, lookup("cuMemAllocManaged", "cuMemAllocManaged"), "managed", e);
  Bind(&a->mem_alloc_async, lookup("cuMemAllocAsync", "cuMemAllocAsync"), "async", e);
  Bind(&a->mem_alloc_pool, lookup("cuMemAllocFromPoolAsync", "cuMemAllocFromPoolAsync"), "pool",
       e);
  Bind(&a->mem_free, lookup("cuMemFree_v2", "cuMemFree"), "free", e);
  Bind(&a->mem_free_async, lookup("cuMemFreeAsync", "cuMemFreeAsync"), "free_async", e);
  Bind(&a->mem_create, lookup("cuMemCreate", "cuMemCreate"), "create", e);
  Bind(&a->mem_release, lookup("cuMemRelease", "cuMemRelease"), "release", e);
  Bind(&a->array_create, lookup("cuArrayCreate_v2", "cuArrayCreate"), "array", e);
  Bind(&a->array3d_create, lookup("cuArray3DCreate_v2", "cuArray3DCreate"), "array3d", e);
  Bind(&a->array_destroy, lookup("cuArrayDestroy", "cuArrayDestroy"), "array_destroy", e);
  Bind(&a->mipmap_create, lookup("cuMipmappedArrayCreate", "cuMipmappedArrayCreate"), "mipmap",
       e);
  Bind(&a->mipmap_destroy, lookup("cuMipmappedArrayDestroy", "cuMipmappedArrayDestroy"),
       "mipmap_destroy", e);
  Bind(&a->mem_get_info, lookup("cuMemGetInfo_v2", "cuMemGetInfo"), "info", e);
  Bind(&a->device_total_mem, lookup("cuDeviceTotalMem_v2", "cuDeviceTotalMem"), "total", e);
  Bind(&a->launch_kernel, lookup("cuLaunchKernel", "cuLaunchKernel"), "launch", e);
  Bind(&a->launch_kernel_ex, lookup("cuLaunchKernelEx", "cuLaunchKernelEx"), "launch_ex", e);
  Bind(&a->launch_cooperative,
       lookup("cuLaunchCooperativeKernel", "cuLaunchCooperativeKernel"), "coop", e);
  Bind(&a->graph_launch, lookup("cuGraphLaunch", "cuGraphLaunch"), "graph", e);
}

}  // namespace

bool LoadProbeApi(const std::string& mode, ProbeApi* api, std::string* error) {
  if (mode == "link") {
    LoadLinked(api);
    return true;
  }
  void* lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    *error = dlerror();
    return false;
  }
  if (mode == "dlsym") {
    LoadWith([&](const char* v, const char*) { return dlsym(lib, v); }, api, error);
  } else if (mode == "proc") {
    auto gpa = reinterpret_cast<GetProcV2>(dlsym(lib, "cuGetProcAddress_v2"));
    if (gpa == nullptr) return *error = "no cuGetProcAddress_v2", false;
    LoadWith(
        [&](const char*, const char* base) {
          void* fn = nullptr;
          CUdriverProcAddressQueryResult status;
          return gpa(base, &fn, 13000, CU_GET_PROC_ADDRESS_DEFAULT, &status) == CUDA_SUCCESS
                     ? fn
                     : nullptr;
        },
        api, error);
  } else if (mode == "proc1") {
    auto gpa = reinterpret_cast<GetProcV1>(dlsym(lib, "cuGetProcAddress"));
    if (gpa == nullptr) return *error = "no cuGetProcAddress", false;
    LoadWith(
        [&](const char*, const char* base) {
          void* fn = nullptr;
          return gpa(base, &fn, 11080, CU_GET_PROC_ADDRESS_DEFAULT) == CUDA_SUCCESS ? fn : nullptr;
        },
        api, error);
  } else {
    *error = "unknown mode " + mode;
  }
  return error->empty();
}

}  // namespace fastgpu::vgpu::test
