#pragma once
// FakeApiServer: a cpp-httplib server on 127.0.0.1 and a free port, for testing the CLI's HTTP
// client. Register routes on server() before Start(); the destructor stops it.

#include <httplib.h>

#include <chrono>
#include <string>
#include <thread>

namespace fastgpu::cli {

class FakeApiServer {
 public:
  FakeApiServer() { server_.set_tcp_nodelay(true); }
  ~FakeApiServer() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  httplib::Server& server() { return server_; }

  // Binds and serves on a thread. Returns once the server runs, so that the destructor's
  // stop() cannot come before the accept loop starts (it would then never end).
  void Start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!server_.is_running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
  }

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = -1;
};

// Replies with the protocol's error body.
inline void ReplyError(httplib::Response& res, int status, const std::string& code,
                       const std::string& message, const std::string& field = "") {
  res.status = status;
  std::string body = R"({"error": {"code": ")" + code + R"(", "message": ")" + message + "\"";
  if (!field.empty()) body += R"(, "field": ")" + field + "\"";
  res.set_content(body + "}}", "application/json");
}

}  // namespace fastgpu::cli
