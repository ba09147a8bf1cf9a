#pragma once
// HttpServer: the RESTinio listener that serves a list of Routes on a thread pool.
//
// Every request is counted and timed by route and status code (see HttpServerOptions::metrics).
// Every request first passes the server's own checks: a body larger than max_body_bytes gets
// 413 resource_exhausted (field "body"); a malformed query string 400 (field "query"); an
// unknown path 404 not_found; a known path with another method 405 (with an Allow header).
// Bodies up to read_limit_bytes are read before that 413 is sent; RESTinio drops the
// connection of a request whose body exceeds read_limit_bytes.
//
// Handlers run on the pool's threads and may answer later from any thread through their
// Responder (long polls, chunked log follows hold no thread). Thread-safe.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "api/http_types.h"
#include "common/metrics.h"
#include "common/result.h"

namespace fastgpu::api {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: the OS picks a free port; see port()
  int threads = 4;
  uint64_t max_body_bytes = 1 << 20;     // larger bodies: 413 JSON
  uint64_t read_limit_bytes = 16 << 20;  // larger bodies: connection dropped
  int64_t graceful_stop_ms = 2000;       // Stop() waits this long for answers to drain
  int64_t read_timeout_ms = 30000;       // a request must arrive whole within this (slow clients)
  int64_t write_timeout_ms = 30000;      // an answer must be written within this
  // fastgpu_http_requests_total{method,route,code} and fastgpu_http_request_seconds{method,
  // route} go here; nullptr: nowhere. Must outlive the server.
  metrics::Registry* metrics = nullptr;
  // When set, a request that matches no route (any method, any path) goes to this handler
  // instead of the 404 (a follower's redirects, server/leadership.h).
  RouteHandler fallback;
  // HTTPS with this certificate chain and private key (PEM files); both empty: plain HTTP.
  std::string tls_cert_file;
  std::string tls_key_file;
};

class HttpServer {
 public:
  // Binds host:port and starts `options.threads` threads. Unavailable ("port in use") when the
  // address is taken; InvalidArgument (field "listen") when the host does not resolve, (field
  // "tls-cert" / "tls-key") when the certificate or key cannot be used.
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                   std::vector<Route> routes);
  // Stops (see Stop()).
  virtual ~HttpServer() = default;

  // The bound port (the real one when options.port was 0).
  virtual uint16_t port() const = 0;
  // Closes the listener; requests on open connections are still served. Idempotent.
  virtual void StopAccepting() = 0;
  // Closes the listener, waits up to graceful_stop_ms for started answers to be written, then
  // stops and joins the threads. Idempotent. Responders alive after Stop() answer nothing.
  virtual void Stop() = 0;
};

}  // namespace fastgpu::api
