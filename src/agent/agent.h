#pragma once
// The node agent: discovers GPUs, registers with the server, long-polls its desired attempts,
// runs each under a supervisor process, reports their state and ships their logs.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/job_users.h"
#include "common/result.h"

namespace fastgpu::agent {

struct AgentOptions {
  std::string server_url;  // "http://127.0.0.1:8080" or "https://..."
  std::string ca_file;     // PEM CA(s) that an https server's certificate must chain to; "":
                           // the system's
  std::string data_dir;    // attempts' folders, logs, exit files
  std::string name;        // empty: the host name
  std::string simulate;    // "4xA100-80GB" or "2xH100-80GB,1xT4-16GB"; empty: NVML
  std::string join_token;
  // The address other nodes reach this node at (label "fastgpu/address"): MASTER_ADDR of
  // multi-node jobs whose rank 0 runs here. Empty: the node name is used.
  std::string address;
  int64_t kill_grace_ms = 10000;  // SIGTERM -> SIGKILL
  // The command that runs a job's supervisor, the attempt folder appended. Empty:
  // `fastgpu-supervise` beside this binary, else {readlink("/proc/self/exe"), "supervise"}.
  // Tests point it at their own supervisor binary.
  std::vector<std::string> supervisor_command;
  // Supervisors are forked by one resident launcher (runner/supervisor_launcher.h); false:
  // each is exec'd (a fallback, and the comparison in docs/performance.md).
  bool supervisor_launcher = true;
  int64_t desired_wait_ms = 10000;                 // long poll of GET /v1/agent/desired
  std::string nvml_library = "libnvidia-ml.so.1";  // what dlopen loads when not simulating
  // libfastgpu-vgpu.so, preloaded into fractional jobs (docs/vgpu.md). Empty: found next to
  // this binary (<exe dir>/../vgpu/ in a build tree, <exe dir>/../lib/fastgpu/ when
  // installed); when it is not found, fractional jobs run unenforced and the agent warns once.
  std::string vgpu_library;
  // Where an MPS control daemon listens; empty: CUDA_MPS_PIPE_DIRECTORY, else /tmp/nvidia-mps.
  // When one runs there, fractional jobs also get MPS's limits (docs/vgpu.md, "MIG and MPS").
  std::string mps_pipe_dir;
  int64_t gpu_sample_ms = 5000;          // GPU telemetry period (XID events come at once)
  int64_t gpu_max_uncorrected_ecc = 0;   // more volatile uncorrected ECC errors: unhealthy

  // --- isolation (docs/security.md) ---
  JobUserOptions users;   // which Unix user each job runs as (never root unless named)
  bool private_tmp = true;              // a mount namespace per job, where the kernel allows
  std::string device_backend = "auto";  // "auto", "cgroup-v1-devices", "bpf", "none"
  // Where the GPU device files are looked for. Test-only: tests point it at a folder of fake
  // device nodes; on a real node it is /dev.
  std::string device_dir = "/dev";
  std::string checkpoint_root;  // FASTGPU_CHECKPOINT_DIR parent; empty: DATA/checkpoints
  int64_t log_max_bytes = 64LL << 20;  // per stream of an attempt kept on the node; 0: no cap
  // --- health ---
  std::string health_check_command;  // run with sh -c; failing makes the node take no new work
  int64_t health_check_interval_ms = 60000;
  int64_t health_check_timeout_ms = 30000;
};

// A running agent inside this process (threads). Stop() ends its threads; the job supervisors
// keep running.
class AgentHandle {
 public:
  // Discovers devices (InvalidArgument, field "simulate", for a bad SPEC; with no SPEC and no
  // NVML it falls back to... nothing: zero GPUs, and says so in the log), re-adopts the
  // attempts found in data_dir and starts the loops. Returns at once: registration (retried
  // with backoff until the server answers) happens on the agent's threads. InvalidArgument
  // (field "server" or "data_dir") for an unusable server URL or an empty data_dir; Internal
  // when data_dir cannot be created.
  static Result<std::unique_ptr<AgentHandle>> Start(const AgentOptions& options);
  virtual ~AgentHandle() = default;
  virtual std::string name() const = 0;
  virtual int gpu_count() const = 0;
  virtual bool simulated() const = 0;
  // Ends the threads within about a second (an in-flight long poll is interrupted). Idempotent;
  // the destructor calls it.
  virtual void Stop() = 0;
};

// `fastgpu supervise DIR`: the supervisor process of one attempt (see runner/supervisor.h).
int RunSupervisor(const std::string& attempt_dir);

}  // namespace fastgpu::agent
