#pragma once
// ProbeApi: the driver functions a test program uses, found the three ways real programs find
// them: linked directly ("link"), dlopen + dlsym ("dlsym"), or cuGetProcAddress_v2 obtained
// through dlsym, as the CUDA runtime and PyTorch do ("proc"; "proc1" uses cuGetProcAddress v1).

#include <cuda.h>

#include <string>

#undef cuGetProcAddress

namespace fastgpu::vgpu::test {

struct ProbeApi {
  decltype(&::cuMemAlloc_v2) mem_alloc = nullptr;
  decltype(&::cuMemAllocPitch_v2) mem_alloc_pitch = nullptr;
  decltype(&::cuMemAllocManaged) mem_alloc_managed = nullptr;
  decltype(&::cuMemAllocAsync) mem_alloc_async = nullptr;
  decltype(&::cuMemAllocFromPoolAsync) mem_alloc_pool = nullptr;
  decltype(&::cuMemFree_v2) mem_free = nullptr;
  decltype(&::cuMemFreeAsync) mem_free_async = nullptr;
  decltype(&::cuMemCreate) mem_create = nullptr;
  decltype(&::cuMemRelease) mem_release = nullptr;
  decltype(&::cuArrayCreate_v2) array_create = nullptr;
  decltype(&::cuArray3DCreate_v2) array3d_create = nullptr;
  decltype(&::cuArrayDestroy) array_destroy = nullptr;
  decltype(&::cuMipmappedArrayCreate) mipmap_create = nullptr;
  decltype(&::cuMipmappedArrayDestroy) mipmap_destroy = nullptr;
  decltype(&::cuMemGetInfo_v2) mem_get_info = nullptr;
  decltype(&::cuDeviceTotalMem_v2) device_total_mem = nullptr;
  decltype(&::cuLaunchKernel) launch_kernel = nullptr;
  decltype(&::cuLaunchKernelEx) launch_kernel_ex = nullptr;
  decltype(&::cuLaunchCooperativeKernel) launch_cooperative = nullptr;
  decltype(&::cuGraphLaunch) graph_launch = nullptr;
};

// Fills every field or returns false with a message in *error.
bool LoadProbeApi(const std::string& mode, ProbeApi* api, std::string* error);

}  // namespace fastgpu::vgpu::test
