// Hooks of the driver calls that create, free and report device memory. Each reserves in the
// job's ledger before the driver allocates (see hook_util.h) and forgets after it frees.

#include "vgpu/hook_util.h"

using fastgpu::vgpu::AllocKind;
using fastgpu::vgpu::CurrentDevice;
using fastgpu::vgpu::Forget;
using fastgpu::vgpu::Key;
using fastgpu::vgpu::MemoryLimited;
using fastgpu::vgpu::Remember;
using fastgpu::vgpu::ReserveAndCall;

namespace {

// The shared body of the plain, managed and async allocations.
template <typename Call>
CUresult AllocPointer(CUdeviceptr* dptr, size_t bytes, Call call) {
  if (!MemoryLimited()) return call();
  int device = CurrentDevice();
  CUresult rc = ReserveAndCall(device, bytes, call);
  if (rc == CUDA_SUCCESS) Remember(AllocKind::kPointer, Key(*dptr), device, bytes);
  return rc;
}

CUresult FreedPointer(CUresult rc, CUdeviceptr dptr) {
  if (rc == CUDA_SUCCESS) Forget(AllocKind::kPointer, Key(dptr));
  return rc;
}

// Arrays and mipmapped arrays: reserved on the current device, keyed by their handle.
template <typename Handle, typename Call>
CUresult AllocArray(Handle* handle, AllocKind kind, uint64_t bytes, Call call) {
  if (!MemoryLimited()) return call();
  int device = CurrentDevice();
  CUresult rc = ReserveAndCall(device, bytes, call);
  if (rc == CUDA_SUCCESS) Remember(kind, Key(*handle), device, bytes);
  return rc;
}

}  // namespace

extern "C" {

CUresult cuMemAlloc_v2(CUdeviceptr* dptr, size_t bytes) {
  return AllocPointer(dptr, bytes, [&] { return FG_CALL(cuMemAlloc_v2, dptr, bytes); });
}

CUresult cuMemAllocManaged(CUdeviceptr* dptr, size_t bytes, unsigned int flags) {
  return AllocPointer(dptr, bytes, [&] { return FG_CALL(cuMemAllocManaged, dptr, bytes, flags); });
}

CUresult cuMemAllocAsync(CUdeviceptr* dptr, size_t bytes, CUstream stream) {
  return AllocPointer(dptr, bytes, [&] { return FG_CALL(cuMemAllocAsync, dptr, bytes, stream); });
}

CUresult cuMemAllocAsync_ptsz(CUdeviceptr* dptr, size_t bytes, CUstream stream) {
  return AllocPointer(dptr, bytes,
                      [&] { return FG_CALL(cuMemAllocAsync_ptsz, dptr, bytes, stream); });
}

CUresult cuMemAllocFromPoolAsync(CUdeviceptr* dptr, size_t bytes, CUmemoryPool pool,
                                 CUstream stream) {
  return AllocPointer(dptr, bytes, [&] {
    return FG_CALL(cuMemAllocFromPoolAsync, dptr, bytes, pool, stream);
  });
}

CUresult cuMemAllocFromPoolAsync_ptsz(CUdeviceptr* dptr, size_t bytes, CUmemoryPool pool,
                                      CUstream stream) {
  return AllocPointer(dptr, bytes, [&] {
    return FG_CALL(cuMemAllocFromPoolAsync_ptsz, dptr, bytes, pool, stream);
  });
}

// The pitch is known only after the call: allocate, then reserve; over the limit, free again.
CUresult cuMemAllocPitch_v2(CUdeviceptr* dptr, size_t* pitch, size_t width, size_t height,
                            unsigned int element_bytes) {
  CUresult rc = FG_CALL(cuMemAllocPitch_v2, dptr, pitch, width, height, element_bytes);
  if (rc != CUDA_SUCCESS || !MemoryLimited()) return rc;
  int device = CurrentDevice();
  uint64_t bytes = static_cast<uint64_t>(*pitch) * height;
  if (!fastgpu::vgpu::Reserve(device, bytes)) {
    FG_CALL(cuMemFree_v2, *dptr);
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  Remember(AllocKind::kPointer, Key(*dptr), device, bytes);
  return rc;
}

CUresult cuMemFree_v2(CUdeviceptr dptr) { return FreedPointer(FG_CALL(cuMemFree_v2, dptr), dptr); }

CUresult cuMemFreeAsync(CUdeviceptr dptr, CUstream stream) {
  return FreedPointer(FG_CALL(cuMemFreeAsync, dptr, stream), dptr);
}

CUresult cuMemFreeAsync_ptsz(CUdeviceptr dptr, CUstream stream) {
  return FreedPointer(FG_CALL(cuMemFreeAsync_ptsz, dptr, stream), dptr);
}

CUresult cuMemCreate(CUmemGenericAllocationHandle* handle, size_t bytes,
                     const CUmemAllocationProp* prop, unsigned long long flags) {  // NOLINT
  auto call = [&] { return FG_CALL(cuMemCreate, handle, bytes, prop, flags); };
  if (!MemoryLimited()) return call();
  bool on_device = prop != nullptr && prop->location.type == CU_MEM_LOCATION_TYPE_DEVICE;
  int device = fastgpu::vgpu::ClampDevice(on_device ? prop->location.id : CurrentDevice());
  CUresult rc = ReserveAndCall(device, bytes, call);
  if (rc == CUDA_SUCCESS) Remember(AllocKind::kGeneric, *handle, device, bytes);
  return rc;
}

CUresult cuMemRelease(CUmemGenericAllocationHandle handle) {
  CUresult rc = FG_CALL(cuMemRelease, handle);
  if (rc == CUDA_SUCCESS) Forget(AllocKind::kGeneric, handle);
  return rc;
}

CUresult cuArrayCreate_v2(CUarray* handle, const CUDA_ARRAY_DESCRIPTOR* d) {
  uint64_t bytes = d == nullptr ? 0
                                : fastgpu::vgpu::ArrayBytes(d->Width, d->Height, 1, d->NumChannels,
                                                            static_cast<int>(d->Format));
  return AllocArray(handle, AllocKind::kArray, bytes,
                    [&] { return FG_CALL(cuArrayCreate_v2, handle, d); });
}

CUresult cuArray3DCreate_v2(CUarray* handle, const CUDA_ARRAY3D_DESCRIPTOR* d) {
  uint64_t bytes = d == nullptr ? 0
                                : fastgpu::vgpu::ArrayBytes(d->Width, d->Height, d->Depth,
                                                            d->NumChannels,
                                                            static_cast<int>(d->Format));
  return AllocArray(handle, AllocKind::kArray, bytes,
                    [&] { return FG_CALL(cuArray3DCreate_v2, handle, d); });
}

CUresult cuArrayDestroy(CUarray handle) {
  CUresult rc = FG_CALL(cuArrayDestroy, handle);
  if (rc == CUDA_SUCCESS) Forget(AllocKind::kArray, Key(handle));
  return rc;
}

CUresult cuMipmappedArrayCreate(CUmipmappedArray* handle, const CUDA_ARRAY3D_DESCRIPTOR* d,
                                unsigned int levels) {
  uint64_t bytes = d == nullptr ? 0
                                : fastgpu::vgpu::MipmappedArrayBytes(
                                      d->Width, d->Height, d->Depth, d->NumChannels,
                                      static_cast<int>(d->Format), levels);
  return AllocArray(handle, AllocKind::kMipmappedArray, bytes,
                    [&] { return FG_CALL(cuMipmappedArrayCreate, handle, d, levels); });
}

CUresult cuMipmappedArrayDestroy(CUmipmappedArray handle) {
  CUresult rc = FG_CALL(cuMipmappedArrayDestroy, handle);
  if (rc == CUDA_SUCCESS) Forget(AllocKind::kMipmappedArray, Key(handle));
  return rc;
}

CUresult cuMemGetInfo_v2(size_t* free_bytes, size_t* total_bytes) {
  CUresult rc = FG_CALL(cuMemGetInfo_v2, free_bytes, total_bytes);
  if (rc != CUDA_SUCCESS || !MemoryLimited()) return rc;
  int device = CurrentDevice();
  fastgpu::vgpu::MemView view =
      fastgpu::vgpu::ReportedView(fastgpu::vgpu::GetConfig().memory_limit,
                                  fastgpu::vgpu::JobUsed(device), *total_bytes, *free_bytes);
  *free_bytes = view.free;
  *total_bytes = view.total;
  return rc;
}

CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice device) {
  CUresult rc = FG_CALL(cuDeviceTotalMem_v2, bytes, device);
  if (rc != CUDA_SUCCESS || !MemoryLimited()) return rc;
  *bytes = fastgpu::vgpu::ReportedView(fastgpu::vgpu::GetConfig().memory_limit, 0, *bytes, 0).total;
  return rc;
}

}  // extern "C"
