#pragma once
// LogShipper: sends the new bytes of each attempt's stdout.log and stderr.log to the server
// (POST /v1/agent/logs), remembering per attempt and stream how far the server has them.
// Not thread-safe: the agent's reporter thread owns it.

#include <array>
#include <map>
#include <string>

#include "agent/runner/attempt_key.h"
#include "agent/runner/process_runner.h"
#include "agent/server_client.h"
#include "common/result.h"

namespace fastgpu::agent {

class LogShipper {
 public:
  // At most `max_chunk` bytes per request and `max_chunks` requests per stream per call.
  explicit LogShipper(int64_t max_chunk = 256 * 1024, int max_chunks = 4)
      : max_chunk_(max_chunk), max_chunks_(max_chunks) {}

  // Ships what is new in both streams of `attempt`. Returns true when the server now has each
  // stream up to the file's current size (a missing file counts as empty). A stream the server
  // refuses for good (4xx other than 401/404) is given up with a log line and counts as
  // complete. Returns the server's error for NotFound (unknown node: register again),
  // Unauthenticated and Unavailable; Internal when a log file cannot be read.
  Result<bool> Ship(ServerClient& client, const std::string& node, const AttemptStatus& attempt);

  // Drops what it remembers of `key`.
  void Forget(const AttemptKey& key) { cursors_.erase(key); }

 private:
  struct Cursor {
    int64_t offset = 0;
    bool abandoned = false;
  };
  Result<bool> ShipStream(ServerClient& client, const std::string& node, const AttemptKey& key,
                          const std::string& stream, const std::string& path, Cursor& cursor);

  const int64_t max_chunk_;
  const int max_chunks_;
  std::map<AttemptKey, std::array<Cursor, 2>> cursors_;
};

}  // namespace fastgpu::agent
