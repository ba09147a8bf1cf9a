#include "control/log_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace fastgpu::control {
namespace {

constexpr int64_t kChunkBytes = 256 * 1024;

const char* StreamSuffix(LogStream s) { return s == LogStream::kStdout ? "stdout" : "stderr"; }

std::string ErrnoText(int err) { return std::strerror(err); }

// Reads up to `max` bytes at `offset`; fewer at the end of the file.
Result<std::string> ReadRange(const std::string& path, int64_t offset, int64_t max) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::string();
    return Internal("cannot open " + path + ": " + ErrnoText(errno));
  }
  std::string out(static_cast<size_t>(max), '\0');
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::pread(fd, out.data() + got, out.size() - got, offset + static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return Internal("cannot read " + path + ": " + ErrnoText(err));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(got);
  return out;
}

// Appends all of `data`; returns how many bytes reached the file before an error.
Status AppendAll(const std::string& path, std::string_view data, size_t* written) {
  *written = 0;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return Internal("cannot open " + path + ": " + ErrnoText(errno));
  while (*written < data.size()) {
    ssize_t n = ::write(fd, data.data() + *written, data.size() - *written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      return Internal("cannot write " + path + ": " + ErrnoText(err));
    }
    *written += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) return Internal("cannot close " + path + ": " + ErrnoText(errno));
  return Status::Ok();
}

}  // namespace

struct LogStore::Follower {
  core::JobId job = 0;
  LogStream stream = LogStream::kStdout;
  int32_t attempt = 0;
  int64_t offset = 0;
  bool ended = false;  // the job ended: finish after the stored bytes
  bool busy = false;   // a pump is delivering to it now
  bool dirty = false;  // woken while busy: look again before going idle
  bool done = false;   // dropped
  Sink sink;
};

Result<std::unique_ptr<LogStore>> LogStore::Open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Internal("cannot create log directory " + dir + ": " + ec.message());
  return std::unique_ptr<LogStore>(new LogStore(dir));
}

std::string LogStore::PathOf(core::JobId job, int32_t attempt, LogStream stream) const {
  return dir_ + "/" + std::to_string(job) + "/" + std::to_string(attempt) + "." +
         StreamSuffix(stream);
}

int64_t LogStore::SizeLocked(core::JobId job, int32_t attempt, LogStream stream) {
  FileKey key{job, attempt, static_cast<int>(stream)};
  auto it = sizes_.find(key);
  if (it != sizes_.end()) return it->second;
  struct stat st {};
  int64_t size = ::stat(PathOf(job, attempt, stream).c_str(), &st) == 0 ? st.st_size : 0;
  sizes_[key] = size;
  return size;
}

int64_t LogStore::Size(core::JobId job, int32_t attempt, LogStream stream) {
  std::lock_guard<std::mutex> lock(mu_);
  return SizeLocked(job, attempt, stream);
}

Result<int64_t> LogStore::Append(core::JobId job, int32_t attempt, LogStream stream, int64_t offset,
                                 std::string_view data, int64_t* size_out) {
  if (offset < 0) return InvalidArgument("offset must be >= 0", "offset");
  std::vector<Pump> pumps;
  int64_t size = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    size = SizeLocked(job, attempt, stream);
    if (size_out) *size_out = size;
    if (offset > size) {
      return FailedPrecondition("log offset " + std::to_string(offset) +
                                " is past the stored size " + std::to_string(size));
    }
    const int64_t skip = size - offset;
    if (skip >= static_cast<int64_t>(data.size())) return size;  // all of it is stored already
    std::error_code ec;
    std::filesystem::create_directories(dir_ + "/" + std::to_string(job), ec);
    if (ec) return Internal("cannot create log directory: " + ec.message());
    size_t written = 0;
    Status st = AppendAll(PathOf(job, attempt, stream), data.substr(skip), &written);
    size += static_cast<int64_t>(written);
    sizes_[FileKey{job, attempt, static_cast<int>(stream)}] = size;
    if (size_out) *size_out = size;
    if (!st.ok()) return st;
    auto it = followers_.find(StreamKey{job, static_cast<int>(stream)});
    if (it != followers_.end()) {
      for (const std::shared_ptr<Follower>& f : it->second) {
        if (f->attempt == 0) f->attempt = attempt;
        if (f->attempt == attempt) pumps.push_back(MakePump(f));
      }
    }
  }
  for (Pump& p : pumps) p();
  return size;
}

Result<std::string> LogStore::Read(core::JobId job, int32_t attempt, LogStream stream,
                                   int64_t offset, int64_t max_bytes) {
  if (offset < 0) return InvalidArgument("offset must be >= 0", "offset");
  if (attempt <= 0 || max_bytes <= 0) return std::string();
  int64_t size = Size(job, attempt, stream);
  if (offset >= size) return std::string();
  return ReadRange(PathOf(job, attempt, stream), offset, std::min(max_bytes, size - offset));
}

LogStore::Pump LogStore::Follow(core::JobId job, int32_t attempt, LogStream stream, int64_t offset,
                                bool ended, Sink sink) {
  auto f = std::make_shared<Follower>();
  f->job = job;
  f->stream = stream;
  f->attempt = attempt;
  f->offset = std::max<int64_t>(offset, 0);
  f->ended = ended;
  f->sink = std::move(sink);
  std::lock_guard<std::mutex> lock(mu_);
  followers_[StreamKey{job, static_cast<int>(stream)}].push_back(f);
  return MakePump(std::move(f));
}

std::vector<LogStore::Pump> LogStore::MarkEnded(core::JobId job) {
  std::vector<Pump> pumps;
  std::lock_guard<std::mutex> lock(mu_);
  for (int s = 0; s < 2; ++s) {
    auto it = followers_.find(StreamKey{job, s});
    if (it == followers_.end()) continue;
    for (const std::shared_ptr<Follower>& f : it->second) {
      f->ended = true;
      pumps.push_back(MakePump(f));
    }
  }
  // The job writes no more: forget its cached sizes (a later read stats the file again).
  sizes_.erase(sizes_.lower_bound(FileKey{job, 0, 0}), sizes_.lower_bound(FileKey{job + 1, 0, 0}));
  return pumps;
}

std::vector<LogStore::Pump> LogStore::EndAll() {
  std::vector<Pump> pumps;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, list] : followers_) {
    for (const std::shared_ptr<Follower>& f : list) {
      f->ended = true;
      pumps.push_back(MakePump(f));
    }
  }
  return pumps;
}

size_t LogStore::FollowerCountForTest() {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [key, list] : followers_) n += list.size();
  return n;
}

LogStore::Pump LogStore::MakePump(std::shared_ptr<Follower> f) {
  return [this, f = std::move(f)] { RunPump(f); };
}

void LogStore::DropLocked(const std::shared_ptr<Follower>& f) {
  f->done = true;
  f->busy = false;
  auto it = followers_.find(StreamKey{f->job, static_cast<int>(f->stream)});
  if (it == followers_.end()) return;
  std::erase(it->second, f);
  if (it->second.empty()) followers_.erase(it);
}

// Delivers to one follower until it has everything stored. Only one pump delivers to a given
// follower at a time; a pump that finds it busy marks it dirty so the busy one looks again.
void LogStore::RunPump(const std::shared_ptr<Follower>& f) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (f->done) return;
    if (f->busy) {
      f->dirty = true;
      return;
    }
    f->busy = true;
  }
  for (;;) {
    int32_t attempt = 0;
    int64_t offset = 0, size = 0;
    bool ended = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      f->dirty = false;
      attempt = f->attempt;
      offset = f->offset;
      size = attempt > 0 ? SizeLocked(f->job, attempt, f->stream) : 0;
      ended = f->ended;
      if (offset >= size && !ended) {
        f->busy = false;
        return;
      }
    }
    std::string chunk;
    if (offset < size) {
      Result<std::string> read = ReadRange(PathOf(f->job, attempt, f->stream), offset,
                                           std::min(kChunkBytes, size - offset));
      if (read.ok()) chunk = std::move(*read);
    }
    // Nothing more to send (or the file vanished): this is the last call.
    const bool last = chunk.empty();
    const bool keep = f->sink(chunk, last);
    std::lock_guard<std::mutex> lock(mu_);
    f->offset += static_cast<int64_t>(chunk.size());
    if (last || !keep) {
      DropLocked(f);
      return;
    }
  }
}

}  // namespace fastgpu::control
