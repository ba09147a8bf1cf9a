#pragma once
// ServerClient: the agent's HTTP calls to the server (docs/api/protocol.md, "Agent API"), with
// the join token as Bearer key. One blocking call at a time per object (each agent thread has
// its own); Interrupt() may be called from any thread.
//
// Errors map from HTTP as the protocol does: 401 Unauthenticated, 404 NotFound, 409
// FailedPrecondition, other 4xx InvalidArgument, 5xx and transport errors Unavailable, an
// unreadable reply Internal. Messages carry the server's error message when there is one.

#include <memory>
#include <string>
#include <vector>

#include "agent/agent_protocol.h"
#include "common/result.h"
#include "core/model/telemetry.h"

namespace fastgpu::agent {

struct LogAck {
  int64_t size = 0;  // the server's stored size of that stream
  bool gap = false;  // the offset was past `size` (409): resend from `size`
};

class ServerClient {
 public:
  // `server_url` like "http://127.0.0.1:8080" or "https://...". InvalidArgument (field
  // "server") for a URL cpp-httplib cannot use. `read_timeout_ms` bounds a reply's wait (make
  // it exceed the long poll's wait_ms). An https server's certificate is verified against
  // `ca_file` (PEM) when given, else the system's trusted CAs; an untrusted one fails every
  // call.
  static Result<std::unique_ptr<ServerClient>> Create(const std::string& server_url,
                                                      const std::string& join_token,
                                                      int64_t read_timeout_ms,
                                                      const std::string& ca_file = "");
  ~ServerClient();

  // What the server answers to a registration.
  struct RegisterReply {
    int64_t heartbeat_ms = 2000;  // report at least this often
    int64_t node_grace_ms = 0;    // silent this long, the node is lost; 0: the server did not say
  };
  // POST /v1/agent/register.
  Result<RegisterReply> Register(const Registration& registration);

  // GET /v1/agent/desired (long poll up to wait_ms).
  Result<DesiredSet> GetDesired(const std::string& node, int64_t version, int64_t wait_ms);

  // POST /v1/agent/report; returns the acked attempts. `telemetry`, when given, goes with it
  // (docs/api/protocol.md: the node's GPU telemetry and jobs' GPU memory high-water marks);
  // so does `status` as "node_status" (health check, isolation).
  Result<std::vector<AttemptKey>> Report(const std::string& node,
                                         const std::vector<AttemptReport>& attempts,
                                         const core::NodeTelemetry* telemetry = nullptr,
                                         const NodeStatusReport* status = nullptr);

  // POST /v1/agent/logs with `bytes` starting at `offset` of `stream` ("stdout"/"stderr").
  // A 409 with a size is a value with gap = true, not an error.
  Result<LogAck> PostLogs(const std::string& node, const AttemptKey& key, const std::string& stream,
                          int64_t offset, std::string_view bytes);

  // Aborts the call in flight, if any (it returns Unavailable). Safe from any thread.
  void Interrupt();

 private:
  struct Impl;
  explicit ServerClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fastgpu::agent
