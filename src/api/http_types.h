#pragma once
// The HTTP vocabulary between the server (http_server.cc, the only RESTinio user) and the route
// handlers (routes_*.cc), so that handlers compile without RESTinio and answer from any thread.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fastgpu::api {

// One request as a handler sees it. The string_views stay valid while the request's Responder
// is alive (the Responder keeps the underlying request).
struct HttpRequest {
  std::string_view method;         // "GET", "POST", ...
  std::string_view path;           // without the query
  std::string_view target;         // the path and query as sent ("/v1/jobs?limit=5")
  std::string_view authorization;  // the Authorization header; empty when absent
  std::string_view body;
  std::string remote;              // the client's "address:port"
  std::vector<std::pair<std::string, std::string>> route_params;  // {"id", "12"}
  std::vector<std::pair<std::string, std::string>> query;         // decoded, in order
  std::vector<std::pair<std::string_view, std::string_view>> headers;  // all, as sent

  // The route parameter / first query parameter with this name; nullopt when absent.
  std::optional<std::string_view> Param(std::string_view name) const;
  std::optional<std::string_view> Query(std::string_view name) const;
  // The first header with this name (compared without case); nullopt when absent.
  std::optional<std::string_view> Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

// The answer channel of one request. Exactly one of: Send(), or StartStream() + Write()* +
// EndStream(). Calls after the answer has started are ignored (StartStream() on a started
// stream is a no-op). Safe for concurrent use; may be called from any thread, after the
// handler has returned. A Responder dropped without an answer sends 500; one dropped in the
// middle of a stream ends the stream.
class Responder {
 public:
  virtual ~Responder() = default;
  virtual void Send(HttpResponse response) = 0;
  // Sends the status line and headers of a chunked response (head.body is ignored).
  virtual void StartStream(HttpResponse head) = 0;
  // Queues one chunk and flushes it. Returns false when the stream is not open or a previous
  // write failed (the client went away): the caller should stop producing.
  virtual bool Write(std::string chunk) = 0;
  virtual void EndStream() = 0;
  // Runs `build` on one of the HTTP server's threads and sends what it returns. For answers
  // that arrive on a thread that must not spend time on them: the store's one writer answers
  // every committed submit and report, and encoding those answers there would lengthen every
  // group commit. The default builds at once, on the calling thread.
  virtual void SendBuilt(std::function<HttpResponse()> build) { Send(build()); }
};

using RouteHandler = std::function<void(const HttpRequest&, std::shared_ptr<Responder>)>;

// One route: an HTTP method and an express-style path ("/v1/jobs/:id").
struct Route {
  std::string method;
  std::string path;
  RouteHandler handler;
};

}  // namespace fastgpu::api
