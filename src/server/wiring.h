#pragma once
// Small pieces of the server's wiring that touch the OS: the listen address, the data folder
// and its secret files. Free functions; each returns a Status naming what went wrong.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace fastgpu::server {

struct ListenAddress {
  std::string host;   // "127.0.0.1", "0.0.0.0", "::1", "localhost"
  uint16_t port = 0;  // 0: pick a free port
};

// Parses "HOST:PORT" or "[IPV6]:PORT". InvalidArgument (field "listen") for a missing host or
// port, or a port that is not an integer in 0..65535.
Result<ListenAddress> ParseListenAddress(std::string_view listen);

// The host to put in a URL that clients of this machine use: a wildcard address becomes the
// loopback one, and an IPv6 literal gets brackets.
std::string UrlHost(const std::string& host);

// mkdir -p `dir` and makes it mode 0700 (also when it existed). InvalidArgument (field "data_dir") for an
// empty path; Internal when it cannot be created or is not a folder.
Status EnsurePrivateDir(const std::string& dir);

// Writes `content` to `path` atomically (temp file + rename) with `mode` (e.g. 0600).
// Internal on any I/O error.
Status WriteFileAtomic(const std::string& path, std::string_view content, unsigned mode);

// The file's content without trailing whitespace. NotFound when absent; Internal when unreadable.
Result<std::string> ReadFileTrimmed(const std::string& path);

}  // namespace fastgpu::server
