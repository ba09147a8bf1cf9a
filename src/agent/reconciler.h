#pragma once
// The agent's pure decisions: which attempts to start and stop given the desired set and what
// runs locally, and the exact environment of a job. No I/O, no clock.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "agent/agent_protocol.h"
#include "agent/runner/attempt_files.h"

namespace fastgpu::agent {

struct ReconcilePlan {
  std::vector<DesiredAttempt> start;  // in desired order
  std::vector<AttemptKey> stop;       // ordered by key
};

// `started`: every attempt this node has ever started (running, exited or forgotten): those are
// never started again. `running`: local attempts that have not exited and are not already being
// stopped. Starts each desired attempt not in `started` (a key listed twice is started once);
// stops each running attempt not desired.
ReconcilePlan Reconcile(const std::vector<DesiredAttempt>& desired,
                        const std::set<AttemptKey>& started, const std::set<AttemptKey>& running);

// What the agent knows of its own host to build a job's environment.
struct HostEnv {
  std::string home;                              // empty: "/"
  std::string user;                              // empty: not set
  std::map<int32_t, int64_t> device_memory_mib;  // this node's devices: index -> memory
  std::string vgpu_library;  // absolute path of libfastgpu-vgpu.so; empty: not available
  std::string attempts_dir;  // DATA/attempts: the job's vGPU ledger goes in its attempt folder
  // A device's CUDA_VISIBLE_DEVICES entry when it is not its index (a MIG instance: its uuid).
  std::map<int32_t, std::string> visible_ids;
  // Where an MPS control daemon listens (mps.h); empty: none runs.
  std::string mps_pipe_dir;
};

// The job's whole environment and launch spec: PATH, HOME, USER, LANG=C.UTF-8, then the job's
// env (which may override those), then CUDA_VISIBLE_DEVICES (the granted devices' entries,
// host.visible_ids or else the index, comma-separated; "" for none), FASTGPU_JOB_ID, FASTGPU_ATTEMPT, FASTGPU_GPUS (uuids, comma-separated) and, for
// a slice of a GPU (milli < 1000, or memory below the device's memory as listed in `host`),
// FASTGPU_VGPU_MEMORY_LIMIT (bytes; 0 = no cap), FASTGPU_VGPU_COMPUTE_SHARE (milli),
// FASTGPU_VGPU_SHM (attempts_dir/<job>-<attempt>/vgpu.shm, when attempts_dir is set) and
// LD_PRELOAD=host.vgpu_library (before the job's own LD_PRELOAD, when the library is known).
// With an MPS control daemon (host.mps_pipe_dir), a slice also gets CUDA_MPS_PIPE_DIRECTORY,
// CUDA_MPS_ACTIVE_THREAD_PERCENTAGE (milli / 10 rounded up, when 0 < milli < 1000) and
// CUDA_MPS_PINNED_DEVICE_MEM_LIMIT ("0=<MiB>M", when its memory is capped): the hardware then
// enforces the slice as well, and the interposer keeps the reported view consistent.
// Whole-GPU jobs get none of these (their own LD_PRELOAD is kept). The job cannot override the
// FASTGPU_* and CUDA variables. Nothing from the agent's own environment leaks in.
LaunchSpec BuildLaunchSpec(const DesiredAttempt& attempt, const HostEnv& host);

}  // namespace fastgpu::agent
