#pragma once
// The vGPU layer's policy, pure: parsing the limits the agent sets, the memory checks, the
// view that every memory query reports, array size estimates and the compute token bucket.
// No I/O, no clock reads, no allocation: the hooks pass everything in. Unit-tested in
// tests/vgpu/limits_test.cc.

#include <stdint.h>

namespace fastgpu::vgpu {

// FASTGPU_VGPU_MEMORY_LIMIT: decimal bytes with an optional suffix: B, KiB, MiB, GiB, TiB
// (powers of 1024), K, M, G, T (same), KB, MB, GB, TB (powers of 1000); spaces allowed before
// the suffix. False (and *bytes untouched) for anything else, an overflow or a null text.
bool ParseBytes(const char* text, uint64_t* bytes);

// FASTGPU_VGPU_COMPUTE_SHARE: an integer in 1..1000. False otherwise.
bool ParseMilli(const char* text, int32_t* milli);

// Whether holding `used` bytes and taking `request` more goes over `limit`. A limit of 0 means
// "no limit": never exceeds. Exact to the byte: used + request == limit does not exceed.
bool WouldExceed(uint64_t used, uint64_t request, uint64_t limit);

struct MemView {
  uint64_t total = 0;
  uint64_t used = 0;
  uint64_t free = 0;
};

// What cuMemGetInfo, cuDeviceTotalMem and NVML report. With limit 0: the device's own figures.
// Otherwise total = min(limit, device_total) (device_total 0 = unknown: the limit), used = what
// the job holds (at most total), free = total - used. Never negative, always used+free=total.
MemView ReportedView(uint64_t limit, uint64_t job_used, uint64_t device_total,
                     uint64_t device_free);

// Bytes per element of a CUarray_format value (CU_AD_FORMAT_*); 4 for unknown formats.
uint32_t ArrayFormatBytes(int format);

// Estimated size of a CUDA array: width * max(height,1) * max(depth,1) * channels * bytes per
// element, saturating at UINT64_MAX. The driver pads arrays; this is a lower bound.
uint64_t ArrayBytes(uint64_t width, uint64_t height, uint64_t depth, uint32_t channels,
                    int format);

// The compute share as a token bucket of device time, in nanoseconds. Tokens accrue at
// milli/1000 of wall time, up to `burst_ns`; each kernel launch is charged the device time it
// used (estimated by the caller). While the balance is below zero the job must wait: Charge()
// returns how long, i.e. the time the bucket needs to refill to zero.
struct ComputeBucket {
  int32_t milli = 1000;
  int64_t burst_ns = 0;
  int64_t min_wait_ns = 0;  // smaller debts are carried, not waited for (fewer sleeps)
  int64_t tokens_ns = 0;  // may go negative: the debt
  int64_t last_ns = 0;    // time of the last refill
  bool started = false;
};

// Adds the tokens earned since the last call (the first call only records `now_ns`).
void Refill(ComputeBucket* bucket, int64_t now_ns);

// Takes `busy_ns` from the bucket (after refilling to `now_ns`) and returns the wait in ns
// that brings it back to zero, or 0 when that wait is below min_wait_ns (the debt is carried
// to the next launch). milli >= 1000 never waits.
int64_t Charge(ComputeBucket* bucket, int64_t now_ns, int64_t busy_ns);

}  // namespace fastgpu::vgpu
