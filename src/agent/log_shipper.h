#pragma once
// LogShipper: sends the new bytes of each attempt's stdout and stderr streams (read across
// rotations, see runner/log_files.h) to the server (POST /v1/agent/logs), remembering per
// attempt and stream how far the server has them.
//
// Bytes rotated away on the node before the server had them (the server was unreachable for
// longer than the node's log cap lasts) are replaced in the server's copy by one notice line
// saying how many bytes were lost. From then on the server's offsets differ from the node's by
// a constant, kept in DIR/S.log.shipped-delta so that a restarted agent resumes correctly.
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
    int64_t offset = 0;  // the node's logical offset up to which the server has the stream
    int64_t delta = 0;   // server offset - node offset (non-zero after lost bytes)
    bool loaded = false; // delta looked for (on the first read: only a rotated stream has one)
    bool synced = true;  // offset is known (false after loading a delta: ask the server)
    bool abandoned = false;
  };
  Result<bool> ShipStream(ServerClient& client, const std::string& node, const AttemptKey& key,
                          const std::string& stream, const std::string& dir, Cursor& cursor);
  // Ships the notice for `lost` bytes before node offset `first`; updates the cursor.
  Status ShipLoss(ServerClient& client, const std::string& node, const AttemptKey& key,
                  const std::string& stream, const std::string& dir, int64_t lost, int64_t first,
                  Cursor& cursor);

  const int64_t max_chunk_;
  const int max_chunks_;
  std::map<AttemptKey, std::array<Cursor, 2>> cursors_;
};

}  // namespace fastgpu::agent
