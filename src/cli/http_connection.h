#pragma once
// HttpConnection: one TCP connection, plain or TLS (OpenSSL), for http_client.cc. Reads and
// writes block, each bounded by the options' timeouts (SO_RCVTIMEO / SO_SNDTIMEO); a signal
// does not break them. Writes never raise SIGPIPE. Not thread-safe.

#include <sys/types.h>

#include <memory>
#include <string_view>
#include <utility>

#include "cli/http_client.h"

struct ssl_st;
struct ssl_ctx_st;

namespace fastgpu::cli {

class HttpConnection {
 public:
  // Connects to origin (every resolved address in turn, within connect_timeout_ms in all) and,
  // for https, completes the verified handshake. On failure: nullptr and why (kTlsCaFile before
  // any connection is made; kConnection, kConnectionTimeout, kTlsHandshake, kTlsNotTrusted).
  static std::pair<std::unique_ptr<HttpConnection>, HttpError> Open(const HttpOrigin& origin,
                                                                    const HttpOptions& options);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Up to `size` bytes into `buffer`: how many (> 0), 0 at the end of the stream, -1 on an
  // error or a timeout.
  ssize_t Read(char* buffer, size_t size);
  // All of `data`, or false on an error or a timeout.
  bool WriteAll(std::string_view data);

 private:
  HttpConnection(int fd, ssl_ctx_st* ctx, ssl_st* ssl) : fd_(fd), ctx_(ctx), ssl_(ssl) {}

  int fd_;
  ssl_ctx_st* ctx_;
  ssl_st* ssl_;
};

}  // namespace fastgpu::cli
