// ServerHandle: store + controller + HTTP server + ticker, wired together. See server.h.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "api/http_server.h"
#include "api/rate_limiter.h"
#include "api/routes.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "control/controller.h"
#include "server/scheduler_config.h"
#include "server/server.h"
#include "server/wiring.h"
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
  void TickLoop();

  SystemClock clock_;
  // Destroyed in reverse order: the controller (and the responders its callbacks hold) before
  // the HTTP server, the store, the limiter and the metrics last.
  metrics::Registry metrics_;
  std::unique_ptr<api::RateLimiter> limiter_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<api::HttpServer> http_;
  std::unique_ptr<control::Controller> controller_;
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
  FG_ASSIGN_OR_RETURN(ListenAddress listen, ParseListenAddress(options.listen));
  FG_RETURN_IF_ERROR(EnsurePrivateDir(options.data_dir));
  admin_key_path_ = options.data_dir + "/admin-key";
  FG_ASSIGN_OR_RETURN(
      store_, store::OpenStore(options.store.empty() ? options.data_dir + "/fastgpu.db"
                                                     : options.store));

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
  api::HttpServerOptions http_options;
  http_options.host = listen.host;
  http_options.port = listen.port;
  http_options.threads = options.http_threads;
  http_options.metrics = &metrics_;
  http_options.tls_cert_file = options.tls_cert_file;
  http_options.tls_key_file = options.tls_key_file;
  FG_ASSIGN_OR_RETURN(
      http_, api::HttpServer::Start(http_options, api::AllRoutes(*controller_, route_options)));
  ticker_ = std::thread([this] { TickLoop(); });

  url_ = std::string(options.tls_cert_file.empty() ? "http://" : "https://") + UrlHost(listen.host) + ":" + std::to_string(http_->port());
  return WriteFileAtomic(options.data_dir + "/server-url", url_ + "\n", 0600);
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
  if (http_) http_->StopAccepting();
  if (controller_) controller_->Shutdown();
  if (http_) http_->Stop();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ticker_ = true;
  }
  cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

}  // namespace

Result<std::unique_ptr<ServerHandle>> ServerHandle::Start(const ServerOptions& options) {
  auto server = std::make_unique<ServerHandleImpl>();
  FG_RETURN_IF_ERROR(server->Init(options));
  return std::unique_ptr<ServerHandle>(std::move(server));
}

}  // namespace fastgpu::server
