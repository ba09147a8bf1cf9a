#include "server/wiring.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace fastgpu::server {
namespace {

Status ErrnoStatus(const std::string& what) { return Internal(what + ": " + std::strerror(errno)); }

}  // namespace

Result<ListenAddress> ParseListenAddress(std::string_view listen) {
  const std::string usage =
      "listen must be HOST:PORT (e.g. 127.0.0.1:8080, 0.0.0.0:0, [::1]:8080); got \"" +
      std::string(listen) + "\"";
  ListenAddress out;
  std::string_view port_text;
  if (!listen.empty() && listen.front() == '[') {
    const size_t close = listen.find(']');
    if (close == std::string_view::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      return InvalidArgument(usage, "listen");
    }
    out.host = std::string(listen.substr(1, close - 1));
    port_text = listen.substr(close + 2);
  } else {
    const size_t colon = listen.rfind(':');
    if (colon == std::string_view::npos) return InvalidArgument(usage, "listen");
    out.host = std::string(listen.substr(0, colon));
    port_text = listen.substr(colon + 1);
    if (out.host.find(':') != std::string::npos) return InvalidArgument(usage, "listen");
  }
  if (out.host.empty() || port_text.empty()) return InvalidArgument(usage, "listen");
  unsigned port = 0;
  const char* end = port_text.data() + port_text.size();
  auto [ptr, ec] = std::from_chars(port_text.data(), end, port);
  if (ec != std::errc() || ptr != end || port > 65535) return InvalidArgument(usage, "listen");
  out.port = static_cast<uint16_t>(port);
  return out;
}

std::string UrlHost(const std::string& host) {
  if (host == "0.0.0.0") return "127.0.0.1";
  if (host == "::") return "[::1]";
  if (host.find(':') != std::string::npos) return "[" + host + "]";
  return host;
}

Status EnsurePrivateDir(const std::string& dir) {
  if (dir.empty()) return InvalidArgument("data_dir must not be empty", "data_dir");
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return Internal("cannot create data folder " + dir + ": " + ec.message());
  }
  // Also when it existed: the database and the logs of every tenant are in it, and jobs run
  // on this machine as other users (docs/security.md).
  if (::chmod(dir.c_str(), 0700) != 0) return ErrnoStatus("chmod " + dir);
  return Status::Ok();
}

Status WriteFileAtomic(const std::string& path, std::string_view content, unsigned mode) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoStatus("open " + tmp);
  // open() honours the umask; make the mode exact.
  bool ok = ::fchmod(fd, mode) == 0;
  size_t done = 0;
  while (ok && done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  Status status = ok ? Status::Ok() : ErrnoStatus("write " + tmp);
  ::close(fd);
  if (status.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    status = ErrnoStatus("rename " + tmp + " to " + path);
  }
  if (!status.ok()) ::unlink(tmp.c_str());
  return status;
}

Result<std::string> ReadFileTrimmed(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return NotFound(path + " does not exist");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Internal("cannot read " + path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

}  // namespace fastgpu::server
