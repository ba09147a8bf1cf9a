#pragma once
// FakeAgentServer: the server half of the agent protocol on loopback (port 0), in memory, for
// the agent's tests. Safe for concurrent use.

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/agent_protocol.h"

namespace fastgpu::agent {

class FakeAgentServer {
 public:
  // A report entry as received.
  struct Received {
    AttemptKey key;
    std::string state;
    int pid = 0;
    int exit_code = -1;
    int signal = 0;
    std::string error;
    bool timed_out = false;
    bool oom_killed = false;
    // The stored log sizes of this attempt when the report arrived.
    size_t stdout_size = 0;
    size_t stderr_size = 0;
  };

  explicit FakeAgentServer(std::string token);
  ~FakeAgentServer();

  std::string url() const;
  // Replaces the desired set of `node` and bumps its version.
  void SetDesired(const std::string& node, std::vector<DesiredAttempt> attempts);
  // Forgets every node (the next desired/report answers 404).
  void ForgetNodes();

  int registrations() const;
  int rejected() const;  // requests refused for a wrong token
  std::string log(const AttemptKey& key, const std::string& stream) const;
  std::vector<Received> reports() const;  // every attempt entry of every report, in order
  int report_count() const;
  std::string node_status() const;  // the last report's "node_status" (JSON text), or ""
  std::string registered_status() const;  // the last registration's "node_status", or ""

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fastgpu::agent
