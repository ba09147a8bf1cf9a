#pragma once
// The node agent: discovers GPUs, registers with the server, long-polls its desired attempts,
// runs each under a supervisor process, reports their state and ships their logs.

#include <memory>
#include <string>

#include "common/result.h"

namespace fastgpu::agent {

struct AgentOptions {
  std::string server_url;      // "http://127.0.0.1:8080"
  std::string data_dir;        // attempts' folders, logs, exit files
  std::string name;            // empty: the host name
  std::string simulate;        // "4xA100-80GB" or "2xH100-80GB,1xT4-16GB"; empty: NVML
  std::string join_token;
  int64_t kill_grace_ms = 10000;  // SIGTERM -> SIGKILL
};

// A running agent inside this process (threads). Stop() ends its threads; the job supervisors
// keep running.
class AgentHandle {
 public:
  // Discovers devices (InvalidArgument, field "simulate", for a bad SPEC; with no SPEC and no
  // NVML it falls back to... nothing: zero GPUs, and says so in the log) and starts the loops.
  static Result<std::unique_ptr<AgentHandle>> Start(const AgentOptions& options);
  virtual ~AgentHandle() = default;
  virtual std::string name() const = 0;
  virtual int gpu_count() const = 0;
  virtual bool simulated() const = 0;
  virtual void Stop() = 0;
};

// `fastgpu supervise DIR`: the supervisor process of one attempt (see runner/supervisor.h).
int RunSupervisor(const std::string& attempt_dir);

}  // namespace fastgpu::agent
