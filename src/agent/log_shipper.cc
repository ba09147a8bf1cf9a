#include "agent/log_shipper.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace fastgpu::agent {
namespace {

// Reads up to `max` bytes of `fd` from `offset`.
Result<std::string> ReadAt(int fd, int64_t offset, int64_t max, const std::string& path) {
  std::string buf(static_cast<size_t>(max), '\0');
  ssize_t n;
  do {
    n = ::pread(fd, buf.data(), buf.size(), offset);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Internal("read '" + path + "': " + std::strerror(errno));
  buf.resize(static_cast<size_t>(n));
  return buf;
}

}  // namespace

Result<bool> LogShipper::Ship(ServerClient& client, const std::string& node,
                              const AttemptStatus& attempt) {
  auto& cursors = cursors_[attempt.key];
  FG_ASSIGN_OR_RETURN(bool out_done, ShipStream(client, node, attempt.key, "stdout",
                                                attempt.dir + "/" + kStdoutFile, cursors[0]));
  FG_ASSIGN_OR_RETURN(bool err_done, ShipStream(client, node, attempt.key, "stderr",
                                                attempt.dir + "/" + kStderrFile, cursors[1]));
  return out_done && err_done;
}

Result<bool> LogShipper::ShipStream(ServerClient& client, const std::string& node,
                                    const AttemptKey& key, const std::string& stream,
                                    const std::string& path, Cursor& cursor) {
  if (cursor.abandoned) return true;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return true;
    return Internal("open '" + path + "': " + std::strerror(errno));
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  for (int i = 0; i < max_chunks_; ++i) {
    struct stat st;
    if (::fstat(fd, &st) != 0) return Internal("stat '" + path + "': " + std::strerror(errno));
    int64_t size = st.st_size;
    if (cursor.offset >= size) return true;
    FG_ASSIGN_OR_RETURN(
        std::string bytes,
        ReadAt(fd, cursor.offset, std::min(max_chunk_, size - cursor.offset), path));
    Result<LogAck> ack = client.PostLogs(node, key, stream, cursor.offset, bytes);
    if (!ack.ok()) {
      StatusCode code = ack.error().code();
      if (code == StatusCode::kInvalidArgument || code == StatusCode::kFailedPrecondition ||
          code == StatusCode::kPermissionDenied || code == StatusCode::kResourceExhausted) {
        spdlog::warn("attempt {}: giving up shipping {}: {}", key.ToString(), stream,
                     ack.error().ToString());
        cursor.abandoned = true;
        return true;
      }
      return ack.error();
    }
    // The server's size is the truth: after a gap (409) or an overlap it says where to go on.
    cursor.offset = ack->size;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) return Internal("stat '" + path + "': " + std::strerror(errno));
  return cursor.offset >= st.st_size;
}

}  // namespace fastgpu::agent
