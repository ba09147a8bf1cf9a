#pragma once
// A job's output streams on the node, with a size cap and rotation. The supervisor writes each
// stream ("stdout", "stderr") through a LogWriter; the agent's log shipper reads them with
// ReadLog at logical offsets (bytes since the stream began), across rotations.
//
// Files of stream S in the attempt folder:
//   S.log         the newest bytes
//   S.log.1       the segment before it (complete), once the stream has been rotated
//   S.log.offset  the logical offset at which S.log begins (absent: 0); written atomically
// With a cap C, a segment ends when it holds C/2 bytes: S.log becomes S.log.1 (the older one is
// deleted) and a fresh S.log begins, so at most C bytes of each stream stay on the node, the
// newest ones. Bytes the server has not received before they are rotated away are lost; the
// reader says how many. Log files are mode 0640 with the job's group: readable by the agent
// and the job's own user, nobody else.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace fastgpu::agent {

// Not thread-safe; one writer per stream (the supervisor).
class LogWriter {
 public:
  // Opens DIR/S.log for appending (creating it with mode 0640 and group `gid`, -1: unchanged).
  // cap 0: no cap, never rotates. Internal with errno text.
  static Result<std::unique_ptr<LogWriter>> Open(const std::string& dir, const std::string& stream,
                                                 int64_t cap, int64_t gid);
  ~LogWriter();
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // Appends `bytes`, rotating when a segment is full. Internal on a write error (the bytes not
  // written are dropped).
  Status Append(std::string_view bytes);
  // The stream's logical size.
  int64_t end() const { return base_ + segment_size_; }

 private:
  LogWriter(std::string path, int64_t segment_limit, int64_t gid)
      : path_(std::move(path)), segment_limit_(segment_limit), gid_(gid) {}
  Status OpenSegment();
  Status Rotate();

  const std::string path_;       // DIR/S.log
  const int64_t segment_limit_;  // 0: unlimited
  const int64_t gid_;
  int fd_ = -1;
  int64_t base_ = 0;
  int64_t segment_size_ = 0;
};

struct LogRead {
  std::string bytes;  // the stream's bytes from `first`
  int64_t first = 0;  // the asked offset, or the oldest kept one when those bytes are gone
  int64_t lost = 0;   // first - asked offset when bytes were rotated away before being read
  int64_t end = 0;    // the stream's logical size when read
  bool rotated = false;  // the stream has been rotated at least once (S.log begins past 0)
};

// Reads up to `max` bytes of stream S of DIR from logical `offset` (bytes of one segment at a
// time). A stream never written reads as empty. Internal on I/O errors.
Result<LogRead> ReadLog(const std::string& dir, const std::string& stream, int64_t offset,
                        int64_t max);

}  // namespace fastgpu::agent
