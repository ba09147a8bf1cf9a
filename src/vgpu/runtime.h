#pragma once
// The library's process state, set up once (pthread_once) on the first hook call: the limits
// from the environment, the job's ledger, this process's table of live allocations, and the
// compute bucket. The hooks call only these functions and limits.h.
//
// Environment (read once): FASTGPU_VGPU_MEMORY_LIMIT (bytes, limits.h ParseBytes),
// FASTGPU_VGPU_COMPUTE_SHARE (milli), FASTGPU_VGPU_SHM (the ledger file). With neither limit
// set (or both unparsable, which is said on stderr) the library is inactive and every hook
// passes its call through untouched.

#include <stdint.h>

#include "vgpu/limits.h"

namespace fastgpu::vgpu {

struct Config {
  uint64_t memory_limit = 0;  // bytes per device; 0 = not limited
  int32_t compute_milli = 1000;
};

const Config& GetConfig();
inline bool MemoryLimited() { return GetConfig().memory_limit != 0; }
inline bool ComputeLimited() { return GetConfig().compute_milli < 1000; }

// What kind of handle a live allocation is keyed by.
enum class AllocKind : uint8_t { kPointer = 1, kGeneric = 2, kArray = 3, kMipmappedArray = 4 };

// The current context's device ordinal (0 when there is none), clamped to the ledger's range.
int CurrentDevice();
int ClampDevice(int device);

// Reserves `bytes` on `device` in the job's ledger: false when it would exceed the limit.
bool Reserve(int device, uint64_t bytes);
void Unreserve(int device, uint64_t bytes);
// Remembers a reserved allocation under (kind, key) until Forget() hands it back.
void Remember(AllocKind kind, uint64_t key, int device, uint64_t bytes);
// Releases what Remember() recorded for (kind, key); no-op for an unknown key.
void Forget(AllocKind kind, uint64_t key);
// The job's bytes on `device`.
uint64_t JobUsed(int device);

// Called around each kernel launch when ComputeLimited(): charges the time spent in the launch
// and, when the bucket is in debt, waits for the queued work and sleeps off the debt.
int64_t MonotonicNs();
void ChargeLaunch(int64_t started_ns);

}  // namespace fastgpu::vgpu
