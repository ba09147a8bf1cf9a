#pragma once
// HealthCheck: the node's own health, from a command the admin provides (e.g. a script that
// checks disks, the NIC or the driver). It runs `sh -c COMMAND` every interval on a thread of
// its own, as the agent, with a clean environment (PATH only) and stdin from /dev/null; a run
// that exits 0 within the timeout makes the node healthy, anything else unhealthy with the
// command's last output line (or the exit status) as the reason. Until the first run ends the
// node counts as healthy. An unhealthy node gets no new work (the server is told in every
// report); its running jobs are not touched.
// Safe for concurrent use.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace fastgpu::agent {

struct NodeHealth {
  bool healthy = true;
  std::string message;  // why not healthy; empty when healthy
  bool operator==(const NodeHealth&) const = default;
};

class HealthCheck {
 public:
  // An empty command: no check, always healthy, no thread.
  HealthCheck(std::string command, int64_t interval_ms, int64_t timeout_ms);
  ~HealthCheck();
  HealthCheck(const HealthCheck&) = delete;
  HealthCheck& operator=(const HealthCheck&) = delete;

  NodeHealth Current() const;
  // Ends the thread (killing a run in flight). Idempotent.
  void Stop();

  // One run of `command` now (blocking up to timeout_ms); exposed for tests.
  static NodeHealth RunOnce(const std::string& command, int64_t timeout_ms);

 private:
  void Loop();

  const std::string command_;
  const std::chrono::milliseconds interval_;
  const int64_t timeout_ms_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  NodeHealth current_;     // guarded by mu_
  std::thread thread_;
};

}  // namespace fastgpu::agent
