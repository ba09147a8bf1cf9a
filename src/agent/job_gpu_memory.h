#pragma once
// Where a job's GPU memory high-water mark comes from: the job's vGPU ledger (exact, for jobs
// under libfastgpu-vgpu.so: the largest total the library ever granted the job) and NVML's
// per-process memory (what the driver sees, context included), matched to jobs by session:
// every process of a job lives in the session of its supervisor (setsid) unless it leaves it.

#include <cstdint>
#include <string>

namespace fastgpu::agent {

// The job's high-water mark from its ledger file (vgpu/shm_abi.h `peak`), summed over devices,
// in bytes; 0 when the file is missing or is not a ledger of the version this agent reads.
// Reads without taking the ledger's lock (each value is one aligned 8-byte word).
uint64_t LedgerPeakBytes(const std::string& path);

// The session id of `pid` (field 6 of /proc/<pid>/stat); 0 when the process is gone.
int32_t SessionOf(int32_t pid);

}  // namespace fastgpu::agent
