#include "fake_agent_server.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

namespace fastgpu::agent {

using nlohmann::json;

struct FakeAgentServer::Impl {
  std::string token;
  httplib::Server server;
  int port = 0;
  std::thread thread;

  mutable std::mutex mu;
  std::condition_variable cv;
  bool closing = false;
  std::map<std::string, bool> nodes;
  int64_t version = 1;
  std::map<std::string, std::vector<DesiredAttempt>> desired;
  std::map<std::string, std::string> logs;  // "job-attempt/stream" -> bytes
  std::vector<Received> reports;
  std::string node_status;  // the last report's "node_status", as JSON text
  std::string registered_status;  // the last registration's "node_status", as JSON text
  int registrations = 0;
  int rejected = 0;
  int report_count = 0;

  bool Authorized(const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Authorization") == "Bearer " + token) return true;
    {
      std::lock_guard<std::mutex> lock(mu);
      ++rejected;
    }
    res.status = 401;
    res.set_content(R"({"error":{"code":"unauthenticated","message":"bad token"}})",
                    "application/json");
    return false;
  }
  static void NotFoundNode(httplib::Response& res) {
    res.status = 404;
    res.set_content(R"({"error":{"code":"not_found","message":"unknown node","field":"node"}})",
                    "application/json");
  }
  static json DesiredJson(const DesiredAttempt& a) {
    json devices = json::array();
    for (const auto& d : a.devices) {
      devices.push_back({{"index", d.index},
                         {"uuid", d.uuid},
                         {"milli", d.slice.milli},
                         {"memory_mib", d.slice.memory_mib}});
    }
    return {{"job", a.key.job},
            {"attempt", a.key.attempt},
            {"name", a.name},
            {"tenant", a.tenant.empty() ? "default" : a.tenant},
            {"argv", a.argv},
            {"env", a.env},
            {"workdir", a.workdir},
            {"devices", devices},
            {"cpu_milli", a.cpu_milli},
            {"memory_mib", a.memory_mib},
            {"time_limit_s", a.time_limit_s},
            {"stop_signal", a.stop_signal},
            {"keep_outputs", a.keep_outputs}};
  }

  void Routes() {
    server.Post("/v1/agent/register", [this](const httplib::Request& req, httplib::Response& res) {
      if (!Authorized(req, res)) return;
      json body = json::parse(req.body);
      std::lock_guard<std::mutex> lock(mu);
      nodes[body["name"]] = true;
      ++registrations;
      if (body.contains("node_status")) registered_status = body["node_status"].dump();
      res.set_content(json{{"node", body["name"]}, {"heartbeat_ms", 300}}.dump(),
                      "application/json");
    });
    server.Get("/v1/agent/desired", [this](const httplib::Request& req, httplib::Response& res) {
      if (!Authorized(req, res)) return;
      std::string node = req.get_param_value("node");
      int64_t seen = std::stoll(req.get_param_value("version"));
      int64_t wait_ms = std::stoll(req.get_param_value("wait_ms"));
      std::unique_lock<std::mutex> lock(mu);
      if (!nodes.count(node)) return NotFoundNode(res);
      cv.wait_for(lock, std::chrono::milliseconds(wait_ms),
                  [&] { return closing || version != seen || !nodes.count(node); });
      if (!nodes.count(node)) return NotFoundNode(res);
      json list = json::array();
      for (const auto& a : desired[node]) list.push_back(DesiredJson(a));
      res.set_content(json{{"version", version}, {"attempts", list}}.dump(), "application/json");
    });
    server.Post("/v1/agent/report", [this](const httplib::Request& req, httplib::Response& res) {
      if (!Authorized(req, res)) return;
      json body = json::parse(req.body);
      std::lock_guard<std::mutex> lock(mu);
      if (!nodes.count(body["node"])) return NotFoundNode(res);
      ++report_count;
      if (body.contains("node_status")) node_status = body["node_status"].dump();
      json ack = json::array();
      for (const json& a : body["attempts"]) {
        Received r;
        r.key = {a["job"].get<int64_t>(), a["attempt"].get<int32_t>()};
        r.state = a["state"];
        if (a.contains("pid")) r.pid = a["pid"];
        if (r.state == "exited") {
          if (!a["exit_code"].is_null()) r.exit_code = a["exit_code"];
          if (!a["signal"].is_null()) r.signal = a["signal"];
          r.error = a["error"];
          r.timed_out = a.value("timed_out", false);
          r.oom_killed = a.value("oom_killed", false);
          ack.push_back({{"job", r.key.job}, {"attempt", r.key.attempt}});
        }
        r.stdout_size = logs[r.key.ToString() + "/stdout"].size();
        r.stderr_size = logs[r.key.ToString() + "/stderr"].size();
        reports.push_back(r);
      }
      res.set_content(json{{"ack", ack}}.dump(), "application/json");
    });
    server.Post("/v1/agent/logs", [this](const httplib::Request& req, httplib::Response& res) {
      if (!Authorized(req, res)) return;
      std::lock_guard<std::mutex> lock(mu);
      if (!nodes.count(req.get_param_value("node"))) return NotFoundNode(res);
      std::string key = req.get_param_value("job") + "-" + req.get_param_value("attempt") + "/" +
                        req.get_param_value("stream");
      size_t offset = std::stoull(req.get_param_value("offset"));
      std::string& stored = logs[key];
      if (offset > stored.size()) {
        res.status = 409;
        res.set_content(
            json{{"error", {{"code", "failed_precondition"}}}, {"size", stored.size()}}.dump(),
            "application/json");
        return;
      }
      if (offset + req.body.size() > stored.size()) {
        stored += req.body.substr(stored.size() - offset);
      }
      res.set_content(json{{"size", stored.size()}}.dump(), "application/json");
    });
  }
};

FakeAgentServer::FakeAgentServer(std::string token) : impl_(std::make_unique<Impl>()) {
  impl_->token = std::move(token);
  impl_->server.set_tcp_nodelay(true);
  impl_->Routes();
  impl_->port = impl_->server.bind_to_any_port("127.0.0.1");
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  while (!impl_->server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

FakeAgentServer::~FakeAgentServer() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->closing = true;
  }
  impl_->cv.notify_all();
  impl_->server.stop();
  impl_->thread.join();
}

std::string FakeAgentServer::url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->port);
}

void FakeAgentServer::SetDesired(const std::string& node, std::vector<DesiredAttempt> attempts) {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->desired[node] = std::move(attempts);
    ++impl_->version;
  }
  impl_->cv.notify_all();
}

void FakeAgentServer::ForgetNodes() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->nodes.clear();
  }
  impl_->cv.notify_all();
}

int FakeAgentServer::registrations() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->registrations;
}

std::string FakeAgentServer::log(const AttemptKey& key, const std::string& stream) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->logs.find(key.ToString() + "/" + stream);
  return it == impl_->logs.end() ? "" : it->second;
}

std::vector<FakeAgentServer::Received> FakeAgentServer::reports() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->reports;
}

int FakeAgentServer::rejected() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->rejected;
}

int FakeAgentServer::report_count() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->report_count;
}

std::string FakeAgentServer::registered_status() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->registered_status;
}

std::string FakeAgentServer::node_status() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->node_status;
}

}  // namespace fastgpu::agent
