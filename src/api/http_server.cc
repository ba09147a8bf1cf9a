// The only RESTinio translation unit: listener, router, thread pool and the Responder that
// writes answers (plain or chunked) from any thread. See http_server.h.
#include "api/http_server.h"

#include <pthread.h>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <restinio/all.hpp>
#include <restinio/tls.hpp>
#include <thread>

#include "api/route_util.h"

namespace fastgpu::api {
namespace {

using Router = restinio::router::express_router_t<>;
struct Traits : public restinio::default_traits_t {
  using request_handler_t = Router;
};
using RestinioServer = restinio::http_server_t<Traits>;
struct TlsTraits : public restinio::default_tls_traits_t {
  using request_handler_t = Router;
};
using TlsServer = restinio::http_server_t<TlsTraits>;

// The server's certificate chain and key (PEM) for TLS 1.2 and later; InvalidArgument naming
// the flag when a file cannot be read or they do not match.
Result<asio::ssl::context> TlsContext(const std::string& cert_file, const std::string& key_file) {
  asio::ssl::context ctx(asio::ssl::context::tls_server);
  ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                  asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  asio::error_code ec;
  ctx.use_certificate_chain_file(cert_file, ec);
  if (ec) {
    return InvalidArgument("cannot use TLS certificate " + cert_file + ": " + ec.message(),
                           "tls-cert");
  }
  ctx.use_private_key_file(key_file, asio::ssl::context::pem, ec);
  if (ec) {
    return InvalidArgument("cannot use TLS key " + key_file + ": " + ec.message(), "tls-key");
  }
  return ctx;
}

// Counts answers that were started but whose last write has not completed yet.
class InFlight {
 public:
  void Add() {
    std::lock_guard<std::mutex> lock(mu_);
    ++count_;
  }
  void Done() {
    std::lock_guard<std::mutex> lock(mu_);
    if (--count_ == 0) cv_.notify_all();
  }
  void WaitForZero(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [this] { return count_ <= 0; });
  }
  // After the server stopped, answers are dropped instead of written.
  void MarkStopped() { stopped_.store(true); }
  bool stopped() const { return stopped_.load(); }

 private:
  std::atomic<bool> stopped_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  int64_t count_ = 0;
};

// Request counts by status code and latency of one route (or of the requests no route took).
class RouteStats {
 public:
  RouteStats(metrics::Registry* registry, std::string method, std::string route)
      : registry_(registry), method_(std::move(method)), route_(std::move(route)) {
    if (registry_ != nullptr) {
      seconds_ = &registry_->GetHistogram("fastgpu_http_request_seconds",
                                          "Time from a request's arrival to its answer",
                                          {{"method", method_}, {"route", route_}});
    }
  }
  void Record(int status, std::chrono::steady_clock::time_point started) {
    if (registry_ == nullptr) return;
    seconds_->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    metrics::Counter* counter = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = by_code_.find(status);
      if (it != by_code_.end()) counter = it->second;
    }
    if (counter == nullptr) {
      counter = &registry_->GetCounter(
          "fastgpu_http_requests_total", "HTTP requests answered, by route and status code",
          {{"method", method_}, {"route", route_}, {"code", std::to_string(status)}});
      std::lock_guard<std::mutex> lock(mu_);
      by_code_[status] = counter;
    }
    counter->Inc();
  }

 private:
  metrics::Registry* const registry_;
  const std::string method_;
  const std::string route_;
  metrics::Histogram* seconds_ = nullptr;
  std::mutex mu_;
  std::map<int, metrics::Counter*> by_code_;
};

std::string ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 402:
      return "Payment Required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 429:
      return "Too Many Requests";
    case 503:
      return "Service Unavailable";
    default:
      return status < 400 ? "OK" : "Internal Server Error";
  }
}

restinio::http_status_line_t StatusLine(int status) {
  return restinio::http_status_line_t(restinio::http_status_code_t(static_cast<uint16_t>(status)),
                                      ReasonPhrase(status));
}

class ResponderImpl final : public Responder,
                            public std::enable_shared_from_this<ResponderImpl> {
 public:
  ResponderImpl(restinio::request_handle_t request, std::shared_ptr<InFlight> in_flight,
                RouteStats* stats, asio::io_context& io)
      : request_(std::move(request)), in_flight_(std::move(in_flight)), stats_(stats), io_(io) {
    in_flight_->Add();
  }
  ~ResponderImpl() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (state_ == State::kNew) {
      SendLocked(ErrorResponse(Internal("the request handler gave no answer")));
    } else if (state_ == State::kStreaming) {
      EndLocked();
    }
  }

  void Send(HttpResponse response) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (state_ == State::kNew) SendLocked(std::move(response));
  }

  // Posted to the server's threads, which outlive every answer (Stop() drains them first); once
  // stopping, built here instead: the drain may time out, and a post could outlive io_.
  void SendBuilt(std::function<HttpResponse()> build) override {
    if (in_flight_->stopped()) return Send(build());
    asio::post(io_, [self = shared_from_this(), build = std::move(build)] { self->Send(build()); });
  }

  void StartStream(HttpResponse head) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (state_ != State::kNew) return;
    state_ = State::kStreaming;
    if (stats_ != nullptr) stats_->Record(head.status, started_);
    if (in_flight_->stopped()) return Finish();
    try {
      stream_.emplace(
          request_->create_response<restinio::chunked_output_t>(StatusLine(head.status)));
      stream_->append_header(restinio::http_field::content_type, head.content_type);
      for (auto& [name, value] : head.headers) stream_->append_header(name, value);
      stream_->flush(WriteCallback());
    } catch (const std::exception&) {
      Finish();
    }
  }

  bool Write(std::string chunk) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (state_ != State::kStreaming || broken_->load() || in_flight_->stopped()) return false;
    if (chunk.empty()) return true;
    try {
      stream_->append_chunk(std::move(chunk));
      stream_->flush(WriteCallback());
    } catch (const std::exception&) {
      broken_->store(true);
      return false;
    }
    return true;
  }

  void EndStream() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (state_ == State::kStreaming) EndLocked();
  }

 private:
  enum class State { kNew, kStreaming, kDone };

  void SendLocked(HttpResponse r) {
    state_ = State::kDone;
    if (stats_ != nullptr) stats_->Record(r.status, started_);
    if (in_flight_->stopped()) return in_flight_->Done();
    try {
      auto response = request_->create_response(StatusLine(r.status));
      response.append_header(restinio::http_field::content_type, r.content_type);
      for (auto& [name, value] : r.headers) response.append_header(name, value);
      response.set_body(std::move(r.body));
      response.done(CompletionCallback());
    } catch (const std::exception&) {
      in_flight_->Done();
    }
  }

  void EndLocked() {
    state_ = State::kDone;
    if (in_flight_->stopped()) return in_flight_->Done();
    try {
      stream_->done(CompletionCallback());
    } catch (const std::exception&) {
      in_flight_->Done();
    }
  }

  // A stream that failed to start: nothing more will be written.
  void Finish() {
    state_ = State::kDone;
    in_flight_->Done();
  }

  restinio::write_status_cb_t WriteCallback() {
    return [broken = broken_](const asio::error_code& ec) {
      if (ec) broken->store(true);
    };
  }
  restinio::write_status_cb_t CompletionCallback() {
    return [in_flight = in_flight_](const asio::error_code&) { in_flight->Done(); };
  }

  const restinio::request_handle_t request_;
  const std::shared_ptr<InFlight> in_flight_;
  RouteStats* const stats_;  // owned by the server, which outlives its responders
  asio::io_context& io_;     // the server's
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  const std::shared_ptr<std::atomic<bool>> broken_ = std::make_shared<std::atomic<bool>>(false);
  std::mutex mu_;
  State state_ = State::kNew;
  std::optional<restinio::response_builder_t<restinio::chunked_output_t>> stream_;
};

// Matches every method: the 405 fallback of a path (restinio's none_of_methods() with no
// arguments trips g++ 12's -Wnonnull on a zero-length array copy).
struct AnyMethod final : public restinio::router::method_matcher_t {
  bool match(const restinio::http_method_id_t&) const noexcept override { return true; }
};

// ":id" names in an express path.
std::vector<std::string> ParamNames(const std::string& path) {
  std::vector<std::string> names;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] != ':') continue;
    size_t j = i + 1;
    while (j < path.size() && (std::isalnum(static_cast<unsigned char>(path[j])) || path[j] == '_'))
      ++j;
    names.push_back(path.substr(i + 1, j - i - 1));
    i = j;
  }
  return names;
}

Result<restinio::http_method_id_t> MethodId(const std::string& method) {
  if (method == "GET") return restinio::http_method_get();
  if (method == "POST") return restinio::http_method_post();
  if (method == "PUT") return restinio::http_method_put();
  if (method == "DELETE") return restinio::http_method_delete();
  if (method == "PATCH") return restinio::http_method_patch();
  return Internal("unsupported route method " + method);
}

Result<asio::ip::address> ResolveHost(const std::string& host) {
  asio::error_code ec;
  asio::ip::address address = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (!ec) return address;
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  auto results = resolver.resolve(host, "", ec);
  if (ec || results.empty()) {
    return InvalidArgument("cannot resolve listen host \"" + host + "\"", "listen");
  }
  return results.begin()->endpoint().address();
}

// The method of the fallback route (any method); its path matches any path.
constexpr char kAnyMethod[] = "*";

std::vector<Route> WithFallback(std::vector<Route> routes, const RouteHandler& fallback) {
  if (fallback) routes.push_back(Route{kAnyMethod, "/:fallback_path(.*)", fallback});
  return routes;
}

class HttpServerImpl final : public HttpServer {
 public:
  HttpServerImpl(const HttpServerOptions& options, std::vector<Route> routes)
      : options_(options), routes_(WithFallback(std::move(routes), options.fallback)) {}
  ~HttpServerImpl() override { Stop(); }

  Status Open();
  uint16_t port() const override { return port_.load(); }
  void StopAccepting() override;
  void Stop() override;

 private:
  std::unique_ptr<Router> BuildRouter();
  restinio::request_handling_status_t Dispatch(const restinio::request_handle_t& req,
                                               const restinio::router::route_params_t& params,
                                               size_t route_index);
  restinio::request_handling_status_t Reject(const restinio::request_handle_t& req,
                                             HttpResponse response);

  // The listener's settings, for either kind of server.
  template <typename T>
  void Configure(restinio::server_settings_t<T>& settings, const asio::ip::address& address);
  template <typename S>
  Status OpenServer(S& server);

  const HttpServerOptions options_;
  const std::vector<Route> routes_;
  std::vector<std::vector<std::string>> param_names_;  // per route
  std::vector<std::unique_ptr<RouteStats>> stats_;      // per route
  std::unique_ptr<RouteStats> other_stats_;             // 404, 405, 413 before a handler
  std::shared_ptr<InFlight> in_flight_ = std::make_shared<InFlight>();
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::unique_ptr<RestinioServer> server_;  // plain HTTP, or
  std::unique_ptr<TlsServer> tls_server_;   // HTTPS (options_.tls_cert_file set)
  std::vector<std::thread> threads_;
  std::atomic<uint16_t> port_{0};
  std::mutex stop_mu_;
  bool accepting_ = false;
  bool stopped_ = false;
};

restinio::request_handling_status_t HttpServerImpl::Reject(const restinio::request_handle_t& req,
                                                           HttpResponse response) {
  std::make_shared<ResponderImpl>(req, in_flight_, other_stats_.get(), io_)->Send(std::move(response));
  return restinio::request_accepted();
}

restinio::request_handling_status_t HttpServerImpl::Dispatch(
    const restinio::request_handle_t& req, const restinio::router::route_params_t& params,
    size_t route_index) {
  const restinio::http_request_header_t& header = req->header();
  if (req->body().size() > options_.max_body_bytes) {
    return Reject(req, ErrorResponse(ResourceExhausted(
                           "the request body is " + std::to_string(req->body().size()) +
                               " bytes; the limit is " + std::to_string(options_.max_body_bytes),
                           "body")));
  }
  auto query = restinio::try_parse_query<restinio::parse_query_traits::relaxed>(
      header.query());
  if (!query) return Reject(req, ErrorResponse(InvalidArgument("malformed query string", "query")));

  HttpRequest request;
  request.method = header.method().c_str();
  request.path = header.path();
  request.target = header.request_target();
  if (const std::string* auth = header.try_get_field(restinio::http_field::authorization)) {
    request.authorization = *auth;
  }
  request.body = req->body();
  {
    const asio::ip::tcp::endpoint& remote = req->remote_endpoint();
    const std::string address = remote.address().to_string();
    request.remote = (remote.address().is_v6() ? "[" + address + "]" : address) + ":" +
                     std::to_string(remote.port());
  }
  for (const auto& [k, v] : *query) request.query.emplace_back(std::string(k), std::string(v));
  header.for_each_field([&request](const restinio::http_header_field_t& f) {
    request.headers.emplace_back(f.name(), f.value());
  });
  for (const std::string& name : param_names_[route_index]) {
    if (auto v = params.get_param(name)) request.route_params.emplace_back(name, std::string(*v));
  }
  auto responder = std::make_shared<ResponderImpl>(req, in_flight_, stats_[route_index].get(), io_);
  try {
    routes_[route_index].handler(request, responder);
  } catch (const std::exception& e) {
    responder->Send(ErrorResponse(Internal(std::string("request handler failed: ") + e.what())));
  }
  return restinio::request_accepted();
}

std::unique_ptr<Router> HttpServerImpl::BuildRouter() {
  auto router = std::make_unique<Router>();
  other_stats_ = std::make_unique<RouteStats>(options_.metrics, "any", "unmatched");
  std::map<std::string, std::string> allowed;  // path -> "GET, POST"
  std::vector<std::string> paths;              // in first-seen order
  for (size_t i = 0; i < routes_.size(); ++i) {
    const Route& route = routes_[i];
    param_names_.push_back(ParamNames(route.path));
    stats_.push_back(std::make_unique<RouteStats>(options_.metrics, route.method, route.path));
    auto dispatch = [this, i](restinio::request_handle_t req,
                              restinio::router::route_params_t params) {
      return Dispatch(req, params, i);
    };
    if (route.method == kAnyMethod) {
      router->add_handler(AnyMethod{}, route.path, dispatch);  // the fallback, added last
      continue;
    }
    Result<restinio::http_method_id_t> method = MethodId(route.method);
    FG_CHECK(method.ok());  // our own route table
    router->add_handler(*method, route.path, dispatch);
    std::string& allow = allowed[route.path];
    if (allow.empty()) paths.push_back(route.path);
    allow += allow.empty() ? route.method : ", " + route.method;
  }
  // Any other method on a known path: 405. Added after every real route.
  for (const std::string& path : paths) {
    std::string allow = allowed[path];
    router->add_handler(
        AnyMethod{}, path,
        [this, allow](restinio::request_handle_t req, restinio::router::route_params_t) {
          // 405 has no Status code of its own: invalid_argument body.
          HttpResponse response = ErrorResponse(
              InvalidArgument("method " + std::string(req->header().method().c_str()) +
                              " is not allowed on this path; allowed: " + allow));
          response.status = 405;
          response.headers.emplace_back("Allow", allow);
          return Reject(req, std::move(response));
        });
  }
  router->non_matched_request_handler([this](restinio::request_handle_t req) {
    return Reject(
        req, ErrorResponse(NotFound("no route for " + std::string(req->header().method().c_str()) +
                                    " " + std::string(req->header().path()))));
  });
  return router;
}

template <typename T>
void HttpServerImpl::Configure(restinio::server_settings_t<T>& settings,
                               const asio::ip::address& address) {
  settings.address(address)
      .port(options_.port)
      .request_handler(BuildRouter())
      .incoming_http_msg_limits(restinio::incoming_http_msg_limits_t{}
                                    .max_url_size(64 * 1024)
                                    .max_field_name_size(1024)
                                    .max_field_value_size(64 * 1024)
                                    .max_field_count(256)
                                    .max_body_size(options_.read_limit_bytes))
      // Long polls and log follows answer late; their own deadlines live in the Controller.
      .handle_request_timeout(std::chrono::hours(24 * 365))
      .read_next_http_message_timelimit(std::chrono::milliseconds(options_.read_timeout_ms))
      .write_http_response_timelimit(std::chrono::milliseconds(options_.write_timeout_ms))
      .acceptor_post_bind_hook([this](asio::ip::tcp::acceptor& acceptor) {
        port_.store(acceptor.local_endpoint().port());
      });
}

template <typename S>
Status HttpServerImpl::OpenServer(S& server) {
  std::promise<Status> opened;
  server.open_async(
      [&opened]() noexcept { opened.set_value(Status::Ok()); },
      [&opened, this](std::exception_ptr error) noexcept {
        std::string what = "unknown error";
        bool in_use = false;
        try {
          std::rethrow_exception(error);
        } catch (const asio::system_error& e) {
          what = e.what();
          in_use = e.code() == asio::error::address_in_use;
        } catch (const std::exception& e) {
          what = e.what();
        }
        const std::string where = options_.host + ":" + std::to_string(options_.port);
        opened.set_value(Unavailable(in_use ? "cannot listen on " + where + ": port in use"
                                            : "cannot listen on " + where + ": " + what));
      });
  return opened.get_future().get();
}

Status HttpServerImpl::Open() {
  FG_ASSIGN_OR_RETURN(asio::ip::address address, ResolveHost(options_.host));
  if (options_.tls_cert_file.empty() != options_.tls_key_file.empty()) {
    return InvalidArgument("TLS needs both a certificate and its key", "tls-key");
  }
  if (options_.tls_cert_file.empty()) {
    restinio::server_settings_t<Traits> settings;
    Configure(settings, address);
    server_ =
        std::make_unique<RestinioServer>(restinio::external_io_context(io_), std::move(settings));
  } else {
    FG_ASSIGN_OR_RETURN(asio::ssl::context tls,
                        TlsContext(options_.tls_cert_file, options_.tls_key_file));
    restinio::server_settings_t<TlsTraits> settings;
    Configure(settings, address);
    settings.tls_context(std::move(tls));
    tls_server_ =
        std::make_unique<TlsServer>(restinio::external_io_context(io_), std::move(settings));
  }
  work_.emplace(asio::make_work_guard(io_));
  const int threads = std::max(1, options_.threads);
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] {
      pthread_setname_np(pthread_self(), "fg-http");  // for top -H, perf, benchmarks
      io_.run();
    });
  }
  Status status = server_ ? OpenServer(*server_) : OpenServer(*tls_server_);
  if (!status.ok()) {
    Stop();
    return status;
  }
  std::lock_guard<std::mutex> lock(stop_mu_);
  accepting_ = true;
  return Status::Ok();
}

void HttpServerImpl::StopAccepting() {
  std::lock_guard<std::mutex> lock(stop_mu_);
  if (!accepting_) return;
  accepting_ = false;
  std::promise<void> closed;
  auto on_closed = [&closed]() noexcept { closed.set_value(); };
  auto on_error = [&closed](std::exception_ptr) noexcept { closed.set_value(); };
  if (server_) {
    server_->close_async(on_closed, on_error);
  } else {
    tls_server_->close_async(on_closed, on_error);
  }
  closed.get_future().wait();
}

void HttpServerImpl::Stop() {
  StopAccepting();
  std::lock_guard<std::mutex> lock(stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  in_flight_->WaitForZero(std::chrono::milliseconds(options_.graceful_stop_ms));
  in_flight_->MarkStopped();
  work_.reset();
  io_.stop();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                      std::vector<Route> routes) {
  auto server = std::make_unique<HttpServerImpl>(options, std::move(routes));
  FG_RETURN_IF_ERROR(server->Open());
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace fastgpu::api
