#pragma once
// Helpers shared by the hook files, so that each hook stays a few lines.

#include "vgpu/hook_table.h"
#include "vgpu/runtime.h"

namespace fastgpu::vgpu {

// Calls the real function, or answers CUDA_ERROR_NOT_FOUND when the driver lacks it.
template <typename Fn, typename... Args>
inline CUresult CallReal(Fn fn, Args... args) {
  return fn != nullptr ? fn(args...) : CUDA_ERROR_NOT_FOUND;
}

// Reserve, then call: the job's total never exceeds the limit, not even for a moment. Over the
// limit: CUDA_ERROR_OUT_OF_MEMORY and nothing changed; a failed call gives the bytes back.
template <typename Call>
inline CUresult ReserveAndCall(int device, uint64_t bytes, Call call) {
  if (!Reserve(device, bytes)) return CUDA_ERROR_OUT_OF_MEMORY;
  CUresult rc = call();
  if (rc != CUDA_SUCCESS) Unreserve(device, bytes);
  return rc;
}

// A kernel launch under the compute share: the time spent in the call is charged.
template <typename Fn, typename... Args>
inline CUresult Launch(Fn fn, Args... args) {
  if (!ComputeLimited()) return CallReal(fn, args...);
  int64_t started = MonotonicNs();
  CUresult rc = CallReal(fn, args...);
  ChargeLaunch(started);
  return rc;
}

inline uint64_t Key(CUdeviceptr p) { return static_cast<uint64_t>(p); }
inline uint64_t Key(CUarray a) { return reinterpret_cast<uintptr_t>(a); }
inline uint64_t Key(CUmipmappedArray a) { return reinterpret_cast<uintptr_t>(a); }

}  // namespace fastgpu::vgpu

#define FG_CALL(sym, ...) ::fastgpu::vgpu::CallReal(FG_REAL(sym), __VA_ARGS__)
