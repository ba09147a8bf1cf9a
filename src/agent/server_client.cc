#include "common/server_urls.h"
#include "agent/server_client.h"

#include <httplib.h>

#include <cctype>
#include <cstdio>
#include <optional>
#include <nlohmann/json.hpp>

namespace fastgpu::agent {
namespace {

using nlohmann::json;

std::string Escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// Maps a transport failure or a non-2xx reply to a Status; OK for 2xx.
Status HttpStatus(const httplib::Result& res, const char* what) {
  if (!res) {
    if (res.error() == httplib::Error::SSLServerVerification) {
      return Unavailable(std::string(what) +
                         ": the server's TLS certificate is not trusted (give its CA with "
                         "--ca-file)");
    }
    return Unavailable(std::string(what) + ": " + httplib::to_string(res.error()));
  }
  int code = res->status;
  if (code >= 200 && code < 300) return Status::Ok();
  std::string message = std::string(what) + ": HTTP " + std::to_string(code);
  json body = json::parse(res->body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    const json& err = body["error"];
    if (err.contains("message") && err["message"].is_string()) {
      message += ": " + err["message"].get<std::string>();
    }
  }
  if (code == 401) return Unauthenticated(message);
  if (code == 404) return NotFound(message);
  if (code == 409) return FailedPrecondition(message);
  if (code >= 400 && code < 500) return InvalidArgument(message);
  return Unavailable(message);
}

json DeviceJson(const core::DeviceSpec& d) {
  json j = {{"index", d.index}, {"uuid", d.uuid}, {"model", d.model}, {"memory_mib", d.memory_mib}};
  if (!d.healthy) j["healthy"] = false;  // sent only when false: older servers accept the rest
  return j;
}

json NodeStatusJson(const NodeStatusReport& status) {
  return {{"healthy", status.healthy},
          {"health_message", status.health_message},
          {"isolation", status.isolation},
          {"isolates_tenants", status.isolates_tenants},
          {"warnings", status.warnings}};
}

json ReportJson(const AttemptReport& r) {
  json j = {{"job", r.key.job},
            {"attempt", r.key.attempt},
            {"state", r.exited ? "exited" : "running"},
            {"started_ms", r.started_ms}};
  if (!r.exited) {
    j["pid"] = r.pid;
    return j;
  }
  j["exit_code"] = r.exit_code ? json(*r.exit_code) : json(nullptr);
  j["signal"] = r.signal ? json(*r.signal) : json(nullptr);
  j["finished_ms"] = r.finished_ms;
  j["error"] = r.error;
  if (r.oom_killed) j["oom_killed"] = true;
  if (r.timed_out) j["timed_out"] = true;
  if (r.lost) j["lost"] = true;
  return j;
}

template <typename T>
void PutOptional(json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}

json DeviceTelemetryJson(const core::DeviceTelemetry& t) {
  json j = {{"index", t.index},
            {"uuid", t.uuid},
            {"healthy", t.healthy},
            {"health", t.health},
            {"compute_capability", t.compute_capability},
            {"mig", t.mig},
            {"gpu_index", t.gpu_index},
            {"xid_errors", t.xid_errors}};
  PutOptional(j, "utilization_pct", t.utilization_pct);
  PutOptional(j, "memory_utilization_pct", t.memory_utilization_pct);
  PutOptional(j, "memory_used_mib", t.memory_used_mib);
  PutOptional(j, "temperature_c", t.temperature_c);
  PutOptional(j, "power_mw", t.power_mw);
  PutOptional(j, "ecc_corrected", t.ecc_corrected);
  PutOptional(j, "ecc_uncorrected", t.ecc_uncorrected);
  PutOptional(j, "last_xid", t.last_xid);
  json procs = json::array();
  for (const core::GpuProcess& p : t.processes) {
    json pj = {{"pid", p.pid}};
    PutOptional(pj, "memory_mib", p.memory_mib);
    if (p.job != 0) pj["job"] = p.job;
    procs.push_back(std::move(pj));
  }
  j["processes"] = std::move(procs);
  return j;
}

json TelemetryJson(const core::NodeTelemetry& t) {
  json gpus = json::array();
  for (const core::DeviceTelemetry& d : t.devices) gpus.push_back(DeviceTelemetryJson(d));
  json jobs = json::array();
  for (const core::JobGpuMemory& m : t.jobs) {
    jobs.push_back({{"job", m.job}, {"attempt", m.attempt}, {"gpu_memory_peak_mib", m.peak_mib}});
  }
  return {{"sampled_ms", t.sampled_ms}, {"gpus", std::move(gpus)}, {"jobs", std::move(jobs)}};
}

DesiredAttempt ParseDesiredAttempt(const json& j) {
  DesiredAttempt a;
  a.key.job = j.at("job").get<core::JobId>();
  a.key.attempt = j.at("attempt").get<int32_t>();
  a.name = j.value("name", "");
  a.tenant = j.value("tenant", "");
  a.argv = j.at("argv").get<std::vector<std::string>>();
  if (j.contains("env") && !j["env"].is_null()) {
    a.env = j["env"].get<std::map<std::string, std::string>>();
  }
  if (j.contains("workdir") && j["workdir"].is_string()) a.workdir = j["workdir"];
  if (j.contains("devices") && j["devices"].is_array()) {
    for (const json& d : j["devices"]) {
      core::DeviceGrant g;
      g.index = d.at("index").get<int32_t>();
      g.uuid = d.value("uuid", "");
      g.slice.milli = d.value("milli", core::kWholeGpuMilli);
      g.slice.memory_mib = d.value("memory_mib", int64_t{0});
      a.devices.push_back(std::move(g));
    }
  }
  a.cpu_milli = j.value("cpu_milli", 0);
  a.memory_mib = j.value("memory_mib", int64_t{0});
  a.time_limit_s = j.value("time_limit_s", int64_t{0});
  if (j.contains("stop_signal") && j["stop_signal"].is_string()) a.stop_signal = j["stop_signal"];
  a.keep_outputs = j.value("keep_outputs", false);
  a.rank = j.value("rank", 0);
  a.world_size = j.value("world_size", 1);
  a.master_addr = j.value("master_addr", "");
  a.master_port = j.value("master_port", 0);
  return a;
}

}  // namespace

// One client per server URL. Calls go to the server that answered last; a transport failure,
// a 503 or a 307 (a follower names the leader) moves them on, once around the list per call.
struct ServerClient::Impl {
  std::vector<std::string> urls;
  std::vector<std::unique_ptr<httplib::Client>> clients;
  size_t current = 0;  // the calling thread's only (one call at a time)

  template <typename Fn>
  httplib::Result Call(Fn fn) {
    httplib::Result res = fn(*clients[current]);
    for (size_t tried = 1; tried <= clients.size() && Moves(res); ++tried) {
      size_t next = (current + 1) % clients.size();
      if (res && res->status == 307) next = IndexOf(UrlOrigin(res->get_header_value("Location")));
      if (next == clients.size()) return res;  // a server we were not told of: give up
      current = next;
      res = fn(*clients[current]);
    }
    return res;
  }
  bool Moves(const httplib::Result& res) const {
    if (clients.size() < 2 && !(res && res->status == 307)) return false;
    return !res || res->status == 503 || res->status == 307;
  }
  size_t IndexOf(const std::string& origin) const {
    for (size_t i = 0; i < urls.size(); ++i) {
      if (urls[i] == origin) return i;
    }
    return urls.size();
  }
};

ServerClient::ServerClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ServerClient::~ServerClient() = default;

Result<std::unique_ptr<ServerClient>> ServerClient::Create(const std::string& server_url,
                                                           const std::string& join_token,
                                                           int64_t read_timeout_ms,
                                                           const std::string& ca_file) {
  auto impl = std::make_unique<Impl>();
  impl->urls = SplitServerUrls(server_url);
  if (impl->urls.empty()) return InvalidArgument("server URL is empty", "server");
  for (const std::string& url : impl->urls) {
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
      return InvalidArgument("server URL '" + url + "' must start with http:// or https://",
                             "server");
    }
    auto client = std::make_unique<httplib::Client>(url);
    if (!client->is_valid()) {
      return InvalidArgument("server URL '" + url + "' is not usable", "server");
    }
    httplib::Client& c = *client;
    c.set_tcp_nodelay(true);
    c.set_keep_alive(true);
    c.set_connection_timeout(2, 0);
    c.set_read_timeout(static_cast<time_t>(read_timeout_ms / 1000),
                       static_cast<time_t>((read_timeout_ms % 1000) * 1000));
    c.set_write_timeout(10, 0);
    if (!join_token.empty()) c.set_bearer_token_auth(join_token);
    c.enable_server_certificate_verification(true);
    if (!ca_file.empty()) c.set_ca_cert_path(ca_file.c_str());
    impl->clients.push_back(std::move(client));
  }
  return std::unique_ptr<ServerClient>(new ServerClient(std::move(impl)));
}

void ServerClient::Interrupt() {
  for (const auto& client : impl_->clients) client->stop();
}

Result<ServerClient::RegisterReply> ServerClient::Register(const Registration& r) {
  json devices = json::array();
  for (const auto& d : r.devices) devices.push_back(DeviceJson(d));
  json body = {{"name", r.name},           {"simulated", r.simulated},
               {"cpu_milli", r.cpu_milli}, {"memory_mib", r.memory_mib},
               {"labels", r.labels},       {"devices", devices},
               {"node_status", NodeStatusJson(r.status)}};
  const std::string text = body.dump(-1, ' ', false, json::error_handler_t::replace);
  auto res = impl_->Call([&](httplib::Client& c) {
    return c.Post("/v1/agent/register", text, "application/json");
  });
  FG_RETURN_IF_ERROR(HttpStatus(res, "register"));
  json reply = json::parse(res->body, nullptr, /*allow_exceptions=*/false);
  if (!reply.is_object()) return Internal("register: reply is not a JSON object");
  RegisterReply out;
  auto hb = reply.find("heartbeat_ms");
  if (hb != reply.end() && hb->is_number_integer() && hb->get<int64_t>() > 0) {
    out.heartbeat_ms = hb->get<int64_t>();
  }
  auto grace = reply.find("node_grace_ms");
  if (grace != reply.end() && grace->is_number_integer() && grace->get<int64_t>() > 0) {
    out.node_grace_ms = grace->get<int64_t>();
  }
  return out;
}

Result<DesiredSet> ServerClient::GetDesired(const std::string& node, int64_t version,
                                            int64_t wait_ms) {
  std::string path = "/v1/agent/desired?node=" + Escape(node) +
                     "&version=" + std::to_string(version) + "&wait_ms=" + std::to_string(wait_ms);
  auto res = impl_->Call([&](httplib::Client& c) { return c.Get(path); });
  FG_RETURN_IF_ERROR(HttpStatus(res, "desired"));
  json reply = json::parse(res->body, nullptr, /*allow_exceptions=*/false);
  if (!reply.is_object()) return Internal("desired: reply is not a JSON object");
  DesiredSet set;
  try {
    set.version = reply.at("version").get<int64_t>();
    for (const json& a : reply.at("attempts")) set.attempts.push_back(ParseDesiredAttempt(a));
  } catch (const json::exception& e) {
    return Internal(std::string("desired: bad reply: ") + e.what());
  }
  return set;
}

Result<std::vector<AttemptKey>> ServerClient::Report(const std::string& node,
                                                     const std::vector<AttemptReport>& attempts,
                                                     const core::NodeTelemetry* telemetry,
                                                     const NodeStatusReport* status) {
  json list = json::array();
  for (const auto& a : attempts) list.push_back(ReportJson(a));
  json body = {{"node", node}, {"attempts", list}};
  if (telemetry != nullptr) body["telemetry"] = TelemetryJson(*telemetry);
  if (status != nullptr) body["node_status"] = NodeStatusJson(*status);
  const std::string text = body.dump(-1, ' ', false, json::error_handler_t::replace);
  auto res = impl_->Call(
      [&](httplib::Client& c) { return c.Post("/v1/agent/report", text, "application/json"); });
  FG_RETURN_IF_ERROR(HttpStatus(res, "report"));
  json reply = json::parse(res->body, nullptr, /*allow_exceptions=*/false);
  if (!reply.is_object()) return Internal("report: reply is not a JSON object");
  std::vector<AttemptKey> acked;
  try {
    if (reply.contains("ack") && reply["ack"].is_array()) {
      for (const json& a : reply["ack"]) {
        acked.push_back({a.at("job").get<core::JobId>(), a.at("attempt").get<int32_t>()});
      }
    }
  } catch (const json::exception& e) {
    return Internal(std::string("report: bad reply: ") + e.what());
  }
  return acked;
}

Result<LogAck> ServerClient::PostLogs(const std::string& node, const AttemptKey& key,
                                      const std::string& stream, int64_t offset,
                                      std::string_view bytes) {
  std::string path = "/v1/agent/logs?node=" + Escape(node) + "&job=" + std::to_string(key.job) +
                     "&attempt=" + std::to_string(key.attempt) + "&stream=" + Escape(stream) +
                     "&offset=" + std::to_string(offset);
  auto res = impl_->Call([&](httplib::Client& c) {
    return c.Post(path, bytes.data(), bytes.size(), "application/octet-stream");
  });
  json reply = res ? json::parse(res->body, nullptr, /*allow_exceptions=*/false) : json();
  auto size_of = [&reply]() -> int64_t {
    if (!reply.is_object() || !reply.contains("size") || !reply["size"].is_number_integer()) {
      return -1;
    }
    return reply["size"].get<int64_t>();
  };
  if (res && res->status == 409 && size_of() >= 0) return LogAck{size_of(), true};
  FG_RETURN_IF_ERROR(HttpStatus(res, "logs"));
  if (size_of() < 0) return Internal("logs: reply has no size");
  return LogAck{size_of(), false};
}

}  // namespace fastgpu::agent
