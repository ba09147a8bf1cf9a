#pragma once
// The agent's pure decisions: which attempts to start and stop given the desired set and what
// runs locally, and the exact environment of a job. No I/O, no clock.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "agent/agent_protocol.h"
#include "agent/device_files.h"
#include "agent/job_users.h"
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

// What the agent knows of its own host, and how it isolates jobs, to build a job's launch.
struct HostEnv {
  std::string home;                              // the agent's; empty: "/"
  std::string user;                              // the agent's; empty: not set
  std::map<int32_t, int64_t> device_memory_mib;  // this node's devices: index -> memory
  std::string vgpu_library;  // absolute path of libfastgpu-vgpu.so; empty: not available
  std::string attempts_dir;  // DATA/attempts; empty: no private folders (tests of env only)
  // A device's CUDA_VISIBLE_DEVICES entry when it is not its index (a MIG instance: its uuid).
  std::map<int32_t, std::string> visible_ids;
  // Where an MPS control daemon listens (mps.h); empty: none runs.
  std::string mps_pipe_dir;
  std::string checkpoint_root;  // FASTGPU_CHECKPOINT_DIR is <root>/<job>; empty: not set
  bool private_tmp = false;     // a mount namespace per job (see LaunchSpec::private_tmp)
  std::string cover_dir;        // hidden from jobs in their namespace (LaunchSpec::cover_dir)
  DeviceFiles device_files;     // the node's GPU device files, to deny the ones not granted
  std::string device_backend = "auto";
  int64_t log_max_bytes = 0;    // per stream on the node; 0: no cap
};

// The job's whole launch spec. Its environment: PATH, HOME, USER, LOGNAME, LANG=C.UTF-8,
// TMPDIR, then the job's env (which may override those), then CUDA_VISIBLE_DEVICES (the
// granted devices' entries, host.visible_ids or else the index, comma-separated; "" for none),
// FASTGPU_JOB_ID, FASTGPU_ATTEMPT, FASTGPU_GPUS (uuids, comma-separated),
// FASTGPU_CHECKPOINT_DIR (when host.checkpoint_root is set) and, for a slice
// of a GPU (milli < 1000, or memory below the device's memory as listed in `host`),
// FASTGPU_VGPU_MEMORY_LIMIT (bytes; 0 = no cap), FASTGPU_VGPU_COMPUTE_SHARE (milli),
// FASTGPU_VGPU_SHM (in the job's private folder, when attempts_dir is set) and
// LD_PRELOAD=host.vgpu_library (before the job's own LD_PRELOAD, when the library is known).
// With an MPS control daemon (host.mps_pipe_dir), a slice also gets CUDA_MPS_PIPE_DIRECTORY,
// CUDA_MPS_ACTIVE_THREAD_PERCENTAGE (milli / 10 rounded up, when 0 < milli < 1000) and
// CUDA_MPS_PINNED_DEVICE_MEM_LIMIT ("0=<MiB>M", when its memory is capped): the hardware then
// enforces the slice as well, and the interposer keeps the reported view consistent (the pipe
// folder stays visible inside a private /tmp).
// Whole-GPU jobs get none of the vGPU variables (their own LD_PRELOAD is kept). One rank of a
// multi-node job (world_size > 1) also gets torch.distributed's MASTER_ADDR, MASTER_PORT,
// WORLD_SIZE, RANK (its node rank), LOCAL_RANK=0 (one process per node) and
// FASTGPU_NODE_RANK, which the job cannot override. The job cannot override the FASTGPU_* and
// CUDA variables. Nothing from the agent's own environment leaks in.
//
// The job runs as `who` (uid -1: as the agent); HOME is the user's home when it has one, else
// the job's working directory. With attempts_dir, its private folder is
// attempts_dir/<job>-<attempt>/job (work/ is the default workdir, tmp/ is TMPDIR unless
// private_tmp makes it /tmp). deny_devices lists every GPU device file the job was not given.
LaunchSpec BuildLaunchSpec(const DesiredAttempt& attempt, const HostEnv& host,
                           const JobIdentity& who = {});

// "fastgpu/<16 hex digits>": the agent's own cgroup folder, named by a hash of its attempts
// folder so that two agents on one host (or two test clusters) stay out of each other's groups.
// Each attempt's group is <this>/<job>-<attempt>.
std::string AgentCgroupParent(const std::string& attempts_dir);

// The number of a signal name ("SIGUSR1" or "USR1", any case) or of a decimal number in 1..64;
// 0 when it is neither.
int SignalNumber(const std::string& name);

}  // namespace fastgpu::agent
