#include "agent/cgroup/cgroup_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fastgpu::agent::cgroup {

Result<std::string> ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Internal("read " + path + ": " + std::strerror(errno));
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  int saved = errno;
  ::close(fd);
  if (n < 0) return Internal("read " + path + ": " + std::strerror(saved));
  return out;
}

Status WriteFile(const std::string& path, const std::string& value, int* err_no) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_CREAT, 0644);
  ssize_t n = fd < 0 ? -1 : ::write(fd, value.data(), value.size());
  int saved = errno;
  if (fd >= 0) ::close(fd);
  if (err_no != nullptr) *err_no = n < 0 ? saved : 0;
  if (n < 0) return Internal("write '" + value + "' to " + path + ": " + std::strerror(saved));
  return Status::Ok();
}

Status MakeDirs(const std::string& path) {
  // The leaf first: an attempt's group usually lacks only its last folder, and each mkdir of
  // an existing prefix walks the whole (long) path again.
  if (::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) return Status::Ok();
  if (errno != ENOENT) return Internal("mkdir " + path + ": " + std::strerror(errno));
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos || slash == 0) {
    return Internal("mkdir " + path + ": " + std::strerror(ENOENT));
  }
  FG_RETURN_IF_ERROR(MakeDirs(path.substr(0, slash)));
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return Internal("mkdir " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace fastgpu::agent::cgroup
