#include "cli/http_connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <optional>
#include <string>

namespace fastgpu::cli {
namespace {

using Clock = std::chrono::steady_clock;

int MsLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

timeval Timeval(int ms) { return timeval{ms / 1000, (ms % 1000) * 1000}; }

// One non-blocking connect within the deadline; the socket is left blocking with the read and
// write timeouts set. -1 and `error` on failure.
int ConnectOne(const addrinfo& ai, Clock::time_point deadline, const HttpOptions& options,
               HttpError& error) {
  int fd = ::socket(ai.ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  int rc = ::connect(fd, ai.ai_addr, ai.ai_addrlen);
  if (rc != 0 && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    do {
      rc = ::poll(&p, 1, MsLeft(deadline));
    } while (rc < 0 && errno == EINTR);
    if (rc == 0) error = HttpError::kConnectionTimeout;
    int so_error = 0;
    socklen_t len = sizeof(so_error);
    rc = rc > 0 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) == 0 && so_error == 0
             ? 0
             : -1;
  }
  if (rc != 0) {
    ::close(fd);
    return -1;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  const timeval read_timeout = Timeval(options.read_timeout_ms);
  const timeval write_timeout = Timeval(options.write_timeout_ms);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &read_timeout, sizeof(read_timeout));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &write_timeout, sizeof(write_timeout));
  return fd;
}

int Connect(const HttpOrigin& origin, const HttpOptions& options, HttpError& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(origin.port);
  error = HttpError::kConnection;
  if (::getaddrinfo(origin.host.c_str(), port.c_str(), &hints, &found) != 0) return -1;
  const Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(options.connect_timeout_ms);
  int fd = -1;
  for (addrinfo* ai = found; ai != nullptr && fd < 0 && MsLeft(deadline) > 0; ai = ai->ai_next) {
    fd = ConnectOne(*ai, deadline, options, error);
  }
  ::freeaddrinfo(found);
  return fd;
}

bool IsIpLiteral(const std::string& host) {
  in6_addr addr{};
  return ::inet_pton(AF_INET, host.c_str(), &addr) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), &addr) == 1;
}

// A client context that verifies the server against options.ca_file or the system's CAs;
// nullptr when it cannot be made or the CA file does not load. Set up before SSL_new, which
// copies the verify mode.
SSL_CTX* VerifyingContext(const HttpOptions& options) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return nullptr;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);  // the framing finds a cut reply
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  const int loaded = options.ca_file.empty()
                         ? SSL_CTX_set_default_verify_paths(ctx)
                         : SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr);
  if (loaded == 1) return ctx;
  SSL_CTX_free(ctx);
  ERR_clear_error();
  return nullptr;
}

// The client side of the handshake on `fd`, checking that the certificate names the host;
// kNone, kTlsHandshake or kTlsNotTrusted.
HttpError Handshake(SSL* ssl, int fd, const HttpOrigin& origin) {
  if (IsIpLiteral(origin.host)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), origin.host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, origin.host.c_str());
    SSL_set1_host(ssl, origin.host.c_str());
  }
  SSL_set_fd(ssl, fd);
  if (SSL_connect(ssl) == 1) return HttpError::kNone;
  const bool untrusted = SSL_get_verify_result(ssl) != X509_V_OK;
  ERR_clear_error();
  return untrusted ? HttpError::kTlsNotTrusted : HttpError::kTlsHandshake;
}

// SSL_write writes with write(2), which raises SIGPIPE on a closed connection: this blocks it
// in the calling thread for the call's length and discards one it raised.
class PipeSignalBlock {
 public:
  PipeSignalBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~PipeSignalBlock() {
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      const timespec now{0, 0};
      sigtimedwait(&pipe_, nullptr, &now);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool was_pending_ = false;
};

}  // namespace

std::pair<std::unique_ptr<HttpConnection>, HttpError> HttpConnection::Open(
    const HttpOrigin& origin, const HttpOptions& options) {
  SSL_CTX* ctx = nullptr;
  if (origin.tls) {
    ctx = VerifyingContext(options);
    if (ctx == nullptr) return {nullptr, HttpError::kTlsCaFile};
  }
  HttpError error = HttpError::kNone;
  const int fd = Connect(origin, options, error);
  if (fd < 0) {
    if (ctx != nullptr) SSL_CTX_free(ctx);
    return {nullptr, error};
  }
  SSL* ssl = ctx != nullptr ? SSL_new(ctx) : nullptr;
  // Owned from here: the destructor frees what was made and closes the socket.
  std::unique_ptr<HttpConnection> connection(new HttpConnection(fd, ctx, ssl));
  if (!origin.tls) return {std::move(connection), HttpError::kNone};
  if (ssl == nullptr) return {nullptr, HttpError::kTlsHandshake};
  error = Handshake(ssl, fd, origin);
  if (error != HttpError::kNone) return {nullptr, error};
  return {std::move(connection), HttpError::kNone};
}

HttpConnection::~HttpConnection() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  ::close(fd_);
}

ssize_t HttpConnection::Read(char* buffer, size_t size) {
  for (;;) {
    if (ssl_ == nullptr) {
      const ssize_t n = ::recv(fd_, buffer, size, 0);
      if (n < 0 && errno == EINTR) continue;
      return n;
    }
    const int n = SSL_read(ssl_, buffer, static_cast<int>(size));
    if (n > 0) return n;
    const int why = SSL_get_error(ssl_, n);
    if (why == SSL_ERROR_SYSCALL && errno == EINTR) continue;
    ERR_clear_error();
    return why == SSL_ERROR_ZERO_RETURN ? 0 : -1;
  }
}

bool HttpConnection::WriteAll(std::string_view data) {
  std::optional<PipeSignalBlock> block;
  if (ssl_ != nullptr) block.emplace();
  while (!data.empty()) {
    ssize_t n = 0;
    if (ssl_ == nullptr) {
      n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
    } else {
      n = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
      if (n <= 0 && SSL_get_error(ssl_, static_cast<int>(n)) == SSL_ERROR_SYSCALL &&
          errno == EINTR) {
        continue;
      }
      if (n <= 0) ERR_clear_error();
    }
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace fastgpu::cli
