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

// Estimated size of a mipmapped array of `levels` levels (at least 1): the sum over the levels
// of ArrayBytes, each level halving every dimension that is not 0, down to 1. Saturates.
uint64_t MipmappedArrayBytes(uint64_t width, uint64_t height, uint64_t depth, uint32_t channels,
                             int format, uint32_t levels);

// The compute share of a job, as a token bucket of device time kept in one number: the
// bucket's "theoretical arrival time" (GCRA, the form of a token bucket that needs no lock:
// one compare-and-swap updates it, so all processes of a job can share it in the ledger).
//
// Device time is worth 1000/milli of wall time: charging `busy_ns` moves the time by
// busy_ns * 1000 / milli. The time never lags `now` by more than the burst (burst_ns of device
// time, i.e. burst_ns * 1000 / milli of wall time), which is the bucket's cap; a fresh bucket
// (time 0) starts empty, at `now`. When the time runs ahead of `now` the job is in debt and
// must wait that long; debts below min_wait_ns are carried to the next launch instead.
struct ComputeRate {
  int32_t milli = 1000;     // 1..1000; 1000 never waits
  int64_t burst_ns = 0;     // device time that may be banked while idle
  int64_t min_wait_ns = 0;  // smaller waits are carried, not slept (fewer sleeps)
};

struct ComputeCharge {
  int64_t time_ns = 0;  // the bucket's new theoretical arrival time
  int64_t wait_ns = 0;  // how long the caller must wait now (0: go on)
};

// Charges `busy_ns` of device time at `now_ns` to a bucket whose time is `time_ns` (0: never
// charged). Pure; saturates instead of overflowing.
ComputeCharge ChargeCompute(const ComputeRate& rate, int64_t time_ns, int64_t now_ns,
                            int64_t busy_ns);

}  // namespace fastgpu::vgpu
