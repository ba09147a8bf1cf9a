// Capped, rotated log streams (see log_files.h).
#include "agent/runner/log_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <thread>

#include "agent/runner/attempt_files.h"

namespace fastgpu::agent {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

// The logical offset S.log begins at: 0 when the offset file is absent or unreadable.
int64_t ReadBase(const std::string& path) {
  auto text = ReadWholeFile(path + ".offset");
  if (!text.ok()) return 0;
  int64_t v = 0;
  std::string_view t = *text;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.remove_suffix(1);
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}

int64_t FdSize(int fd) {
  struct stat st;
  return fd >= 0 && ::fstat(fd, &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Result<std::string> PreadUpTo(int fd, int64_t at, int64_t max, const std::string& path) {
  std::string buf(static_cast<size_t>(std::max<int64_t>(max, 0)), '\0');
  ssize_t n;
  do {
    n = ::pread(fd, buf.data(), buf.size(), at);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Internal("read '" + path + "': " + ErrnoText(errno));
  buf.resize(static_cast<size_t>(n));
  return buf;
}

}  // namespace

Result<std::unique_ptr<LogWriter>> LogWriter::Open(const std::string& dir,
                                                   const std::string& stream, int64_t cap,
                                                   int64_t gid) {
  int64_t limit = cap > 0 ? std::max<int64_t>(cap / 2, 1) : 0;
  std::unique_ptr<LogWriter> w(new LogWriter(dir + "/" + stream + ".log", limit, gid));
  w->base_ = ReadBase(w->path_);
  FG_RETURN_IF_ERROR(w->OpenSegment());
  return w;
}

LogWriter::~LogWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Status LogWriter::OpenSegment() {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) return Internal("open '" + path_ + "': " + ErrnoText(errno));
  ::fchmod(fd_, 0640);
  if (gid_ >= 0 && ::fchown(fd_, static_cast<uid_t>(-1), static_cast<gid_t>(gid_)) != 0) {
    return Internal("chown '" + path_ + "': " + ErrnoText(errno));
  }
  segment_size_ = FdSize(fd_);
  return Status::Ok();
}

Status LogWriter::Rotate() {
  // Order matters to ReadLog: rename, then the new offset, then the new file.
  ::close(fd_);
  fd_ = -1;
  if (::rename(path_.c_str(), (path_ + ".1").c_str()) != 0) {
    return Internal("rename '" + path_ + "': " + ErrnoText(errno));
  }
  base_ += segment_size_;
  segment_size_ = 0;
  FG_RETURN_IF_ERROR(WriteFileAtomic(path_ + ".offset", std::to_string(base_) + "\n"));
  return OpenSegment();
}

Status LogWriter::Append(std::string_view bytes) {
  while (!bytes.empty()) {
    if (fd_ < 0) FG_RETURN_IF_ERROR(OpenSegment());
    if (segment_limit_ > 0 && segment_size_ >= segment_limit_) FG_RETURN_IF_ERROR(Rotate());
    size_t n = bytes.size();
    if (segment_limit_ > 0)
      n = std::min<size_t>(n, static_cast<size_t>(segment_limit_ - segment_size_));
    ssize_t w = ::write(fd_, bytes.data(), n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return Internal("write '" + path_ + "': " + ErrnoText(errno));
    segment_size_ += w;
    bytes.remove_prefix(static_cast<size_t>(w));
  }
  return Status::Ok();
}

Result<LogRead> ReadLog(const std::string& dir, const std::string& stream, int64_t offset,
                        int64_t max) {
  const std::string path = dir + "/" + stream + ".log";
  for (int round = 0;; ++round) {
    int64_t base = ReadBase(path);
    Fd current{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    int current_errno = errno;
    // Base 0 with S.log open: never rotated before that open (a rotation writes the offset
    // before the new S.log exists), so there is no older segment to look for.
    Fd previous;
    if (base != 0 || current.fd < 0) {
      previous.fd = ::open((path + ".1").c_str(), O_RDONLY | O_CLOEXEC);
    }
    if (current.fd < 0 && current_errno != ENOENT) {
      return Internal("open '" + path + "': " + ErrnoText(current_errno));
    }
    // A rotation between the reads above shows as a changed base or a missing S.log: retry.
    bool consistent = ReadBase(path) == base && (current.fd >= 0 || (base == 0 && previous.fd < 0));
    if (!consistent) {
      if (round >= 50) return Internal("'" + path + "' keeps changing under the reader");
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    LogRead out;
    out.rotated = base > 0;
    out.end = base + FdSize(current.fd);
    int64_t previous_base = base - FdSize(previous.fd);
    int64_t oldest = previous.fd >= 0 ? previous_base : base;
    out.first = std::max(offset, oldest);
    out.lost = out.first - offset;
    if (out.first >= out.end) {
      out.first = std::min(out.first, out.end);
      return out;
    }
    if (out.first >= base) {
      FG_ASSIGN_OR_RETURN(out.bytes, PreadUpTo(current.fd, out.first - base, max, path));
    } else {
      int64_t n = std::min(max, base - out.first);
      FG_ASSIGN_OR_RETURN(out.bytes, PreadUpTo(previous.fd, out.first - previous_base, n, path));
    }
    return out;
  }
}

}  // namespace fastgpu::agent
