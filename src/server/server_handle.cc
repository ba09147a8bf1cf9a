// ServerHandle: store + controller + HTTP server + ticker, wired together. See server.h.
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <random>
#include <mutex>
#include <thread>

#include "api/http_server.h"
#include "api/rate_limiter.h"
#include "api/routes.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "control/controller.h"
#include "server/leadership.h"
#include "server/scheduler_config.h"
#include "server/server.h"
#include "server/wiring.h"
#include "store/leader_lease.h"
#include "store/postgres_store.h"
#include "store/store.h"

namespace fastgpu::server {
namespace {

constexpr auto kTickPeriod = std::chrono::milliseconds(100);

class ServerHandleImpl final : public ServerHandle {
 public:
  ~ServerHandleImpl() override { Stop(); }

  Status Init(const ServerOptions& options);
  std::string url() const override { return url_; }
  std::string join_token() const override { return join_token_; }
  std::string admin_key_path() const override { return admin_key_path_; }
  void Stop() override;

 private:
  Status WriteSecrets(const ServerOptions& options);
  // Opens the controller on store_ and serves the whole API on `port` (0: any free port).
  Status StartLeading(uint16_t port);
  // Several servers on one PostgreSQL database: serve as a follower, and lead when elected.
  Status StartFollowing();
  Status OnElected(int64_t epoch);
  api::HttpServerOptions HttpOptions(uint16_t port) const;
  std::string UrlFor(uint16_t port) const;
  void TickLoop();

  SystemClock clock_;
  // Destroyed in reverse order: the controller (and the responders its callbacks hold) before
  // the HTTP server, the store, the limiter and the metrics last.
  metrics::Registry metrics_;
  std::unique_ptr<api::RateLimiter> limiter_;
  std::unique_ptr<store::Store> store_;
  store::PostgresStore* postgres_ = nullptr;  // store_, when it is PostgreSQL (fencing)
  std::unique_ptr<Leadership> leadership_;    // with PostgreSQL only
  std::unique_ptr<api::HttpServer> follower_http_;  // while following
  std::unique_ptr<api::HttpServer> http_;
  std::unique_ptr<control::Controller> controller_;
  ServerOptions options_;
  ListenAddress listen_;
  std::thread ticker_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ticker_ = false;  // guarded by mu_
  bool stopped_ = false;      // guarded by mu_
  std::string url_;
  std::string join_token_;
  std::string admin_key_path_;
};

Status ServerHandleImpl::WriteSecrets(const ServerOptions& options) {
  const control::Controller::Secrets secrets = controller_->FirstStartSecrets();
  if (!secrets.admin_key.empty()) {
    FG_RETURN_IF_ERROR(WriteFileAtomic(admin_key_path_, secrets.admin_key + "\n", 0600));
  }
  const std::string join_token_path = options.data_dir + "/join-token";
  if (!options.join_token.empty()) {
    join_token_ = options.join_token;
  } else if (!secrets.join_token.empty()) {
    join_token_ = secrets.join_token;
  }
  if (!join_token_.empty()) {
    return WriteFileAtomic(join_token_path, join_token_ + "\n", 0600);
  }
  Result<std::string> stored = ReadFileTrimmed(join_token_path);
  if (stored.ok()) join_token_ = *stored;  // else unknown: the store has only its hash
  return Status::Ok();
}

Status ServerHandleImpl::Init(const ServerOptions& options) {
  options_ = options;
  FG_ASSIGN_OR_RETURN(listen_, ParseListenAddress(options.listen));
  FG_RETURN_IF_ERROR(EnsurePrivateDir(options.data_dir));
  admin_key_path_ = options.data_dir + "/admin-key";
  if (store::IsPostgresUrl(options.store)) return StartFollowing();
  FG_ASSIGN_OR_RETURN(
      store_, store::OpenStore(options.store.empty() ? options.data_dir + "/fastgpu.db"
                                                     : options.store));
  return StartLeading(listen_.port);
}

api::HttpServerOptions ServerHandleImpl::HttpOptions(uint16_t port) const {
  api::HttpServerOptions http_options;
  http_options.host = listen_.host;
  http_options.port = port;
  http_options.tls_cert_file = options_.tls_cert_file;
  http_options.tls_key_file = options_.tls_key_file;
  return http_options;
}

std::string ServerHandleImpl::UrlFor(uint16_t port) const {
  return std::string(options_.tls_cert_file.empty() ? "http://" : "https://") +
         UrlHost(listen_.host) + ":" + std::to_string(port);
}

Status ServerHandleImpl::StartLeading(uint16_t port) {
  const ServerOptions& options = options_;
  control::ControllerOptions controller_options;
  controller_options.data_dir = options.data_dir;
  if (!options.config_file.empty()) {
    FG_ASSIGN_OR_RETURN(SchedulerConfig config, LoadSchedulerConfig(options.config_file));
    controller_options.policy = config.policy;
    controller_options.queue = std::move(config.queue);
  }
  if (!options.policy.empty()) controller_options.policy = options.policy;
  controller_options.node_grace_ms = options.node_grace_ms;
  controller_options.heartbeat_ms = options.heartbeat_ms;
  controller_options.metrics = &metrics_;
  FG_ASSIGN_OR_RETURN(controller_, control::Controller::Open(controller_options, *store_, clock_));
  if (!options.join_token.empty()) {
    FG_RETURN_IF_ERROR(controller_->SetJoinToken(options.join_token));
  }
  FG_RETURN_IF_ERROR(WriteSecrets(options));

  limiter_ = std::make_unique<api::RateLimiter>(options.rate_limit_rps, options.rate_limit_burst);
  api::RouteOptions route_options;
  route_options.heartbeat_ms = controller_options.heartbeat_ms;
  route_options.node_grace_ms = controller_options.node_grace_ms;
  route_options.limiter = limiter_.get();
  route_options.metrics = &metrics_;
  api::HttpServerOptions http_options = HttpOptions(port);
  http_options.threads =
      options.http_threads > 0
          ? options.http_threads
          : std::clamp(2 * static_cast<int>(std::thread::hardware_concurrency()), 4, 16);
  http_options.metrics = &metrics_;
  FG_ASSIGN_OR_RETURN(
      http_, api::HttpServer::Start(http_options, api::AllRoutes(*controller_, route_options)));
  ticker_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "fg-ticker");  // for top -H, perf, benchmarks
    TickLoop();
  });

  url_ = UrlFor(http_->port());
  return WriteFileAtomic(options.data_dir + "/server-url", url_ + "\n", 0600);
}

// A follower serves only redirects until the lease is free; the election loop then calls
// OnElected, which loads the whole state from the database (the controller's recovery, as
// after a restart) and serves the API on the same port.
Status ServerHandleImpl::StartFollowing() {
  store::postgres::ConnectOptions connect;
  connect.url = options_.store;
  if (const char* password = std::getenv("FASTGPU_PG_PASSWORD")) connect.password = password;
  // A leader frozen inside a commit holds the lease row's share lock: after a lease's time
  // the database ends its session, so that a follower can take over (postgres_conn.h).
  connect.idle_in_transaction_timeout_ms = options_.leader_lease_ms;
  FG_ASSIGN_OR_RETURN(std::unique_ptr<store::PostgresStore> postgres,
                      store::PostgresStore::Open(connect));
  postgres_ = postgres.get();
  store_ = std::move(postgres);

  api::LeaderUrlFn leader_url = [this]() -> std::optional<std::string> {
    return leadership_ != nullptr ? leadership_->leader_url() : std::nullopt;
  };
  api::HttpServerOptions http_options = HttpOptions(listen_.port);
  http_options.threads = 1;
  http_options.fallback = api::FollowerRedirect(leader_url);
  FG_ASSIGN_OR_RETURN(follower_http_,
                      api::HttpServer::Start(http_options,
                                             api::FollowerRoutes(leader_url, store_.get())));
  url_ = UrlFor(follower_http_->port());
  FG_RETURN_IF_ERROR(WriteFileAtomic(options_.data_dir + "/server-url", url_ + "\n", 0600));

  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  const std::string holder = std::string(host) + ":" + std::to_string(::getpid()) + ":" +
                             std::to_string(std::random_device{}());
  const std::string advertised = options_.advertise_url.empty() ? url_ : options_.advertise_url;
  FG_ASSIGN_OR_RETURN(std::unique_ptr<store::LeaderLease> lease,
                      store::LeaderLease::Open(connect, holder, advertised,
                                               options_.leader_lease_ms));
  Leadership::Callbacks callbacks;
  callbacks.on_elected = [this](int64_t epoch) { return OnElected(epoch); };
  callbacks.on_lost = [](const Status& why) {
    // Crash-only: whatever this process holds in memory may be stale now. Its writes are
    // fenced already; exiting ends its answers too. A supervisor starts it again, as a
    // follower (docs/operations.md).
    spdlog::critical("lost the leadership ({}); exiting with status {}", why.ToString(),
                     kExitLostLeadership);
    spdlog::default_logger()->flush();
    std::_Exit(kExitLostLeadership);
  };
  FG_ASSIGN_OR_RETURN(leadership_, Leadership::Start(std::move(lease), options_.leader_lease_ms,
                                                     std::move(callbacks)));
  return Status::Ok();
}

Status ServerHandleImpl::OnElected(int64_t epoch) {
  postgres_->SetFencingEpoch(epoch);
  const uint16_t port = follower_http_->port();
  follower_http_->Stop();
  follower_http_.reset();
  Status started = StartLeading(port);
  if (!started.ok()) {
    // Half started is no state to serve from: a supervisor starts this server afresh.
    spdlog::critical("cannot lead: {}", started.ToString());
    spdlog::default_logger()->flush();
    std::_Exit(1);
  }
  spdlog::info("leading (epoch {}) at {}", epoch, url_);
  return Status::Ok();
}

void ServerHandleImpl::TickLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_ticker_) {
    if (cv_.wait_for(lock, kTickPeriod, [this] { return stop_ticker_; })) break;
    lock.unlock();
    controller_->Tick();
    lock.lock();
  }
}

void ServerHandleImpl::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  // No election may start leading while this stops; a leader keeps its lease until the
  // controller has committed everything it accepted, then gives it up.
  if (leadership_) leadership_->Stop();
  if (follower_http_) follower_http_->Stop();
  if (http_) http_->StopAccepting();
  if (controller_) controller_->Shutdown();
  if (http_) http_->Stop();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ticker_ = true;
  }
  cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  if (leadership_) leadership_->Release();
}

}  // namespace

Result<std::unique_ptr<ServerHandle>> ServerHandle::Start(const ServerOptions& options) {
  auto server = std::make_unique<ServerHandleImpl>();
  FG_RETURN_IF_ERROR(server->Init(options));
  return std::unique_ptr<ServerHandle>(std::move(server));
}

}  // namespace fastgpu::server
