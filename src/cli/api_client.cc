#include "cli/api_client.h"

#include <httplib.h>

#include <exception>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cli/api_codec.h"
#include "common/server_urls.h"

namespace fastgpu::cli {
namespace {

constexpr time_t kConnectTimeoutS = 10;
constexpr time_t kReadTimeoutS = 60;
// A followed log may stay silent for as long as the job prints nothing; the caller resumes
// after a timeout, so this only bounds how long a dead connection goes unnoticed.
constexpr time_t kFollowReadTimeoutS = 600;

// Null when httplib rejects the URL (it throws for an unknown scheme).
std::unique_ptr<httplib::Client> MakeClient(const ClientConfig& config, const std::string& url,
                                            time_t read_timeout_s) {
  std::unique_ptr<httplib::Client> client;
  try {
    client = std::make_unique<httplib::Client>(url);
  } catch (const std::exception&) {
    return nullptr;
  }
  if (!client->is_valid()) return nullptr;
  client->set_tcp_nodelay(true);
  client->set_connection_timeout(kConnectTimeoutS, 0);
  client->set_read_timeout(read_timeout_s, 0);
  client->set_write_timeout(kReadTimeoutS, 0);
  client->set_bearer_token_auth(config.api_key);
  client->enable_server_certificate_verification(true);  // https: always verified
  if (!config.ca_file.empty()) client->set_ca_cert_path(config.ca_file.c_str());
  client->set_keep_alive(false);
  return client;
}

Status TransportError(const ClientConfig& config, httplib::Error error) {
  std::string why;
  switch (error) {
    case httplib::Error::Connection:
      why = "connection failed (is the server running?)";
      break;
    case httplib::Error::ConnectionTimeout:
      why = "connection timed out";
      break;
    case httplib::Error::Read:
      why = "connection broken or timed out while reading";
      break;
    case httplib::Error::Write:
      why = "connection broken while sending";
      break;
    case httplib::Error::SSLConnection:
      why = "TLS handshake failed";
      break;
    case httplib::Error::SSLServerVerification:
      why = "TLS certificate not trusted (trust its CA with --ca-file or FASTGPU_CA_FILE)";
      break;
    default:
      why = httplib::to_string(error);
      break;
  }
  return Unavailable("cannot reach fastgpu server at " + config.url + ": " + why);
}

// The first answer of `send` from one of the servers of config.url (comma-separated: several
// servers on one PostgreSQL database) that is neither a transport failure, a 503 nor a 307; a
// 307 (a follower) names the leader, which is asked next. The last outcome when none answers
// so; nullopt when a URL is unusable. Each server is asked once.
template <typename Send>
std::optional<httplib::Result> SendToLeader(const ClientConfig& config, time_t read_timeout_s,
                                            Send send) {
  std::vector<std::string> urls = SplitServerUrls(config.url);
  std::optional<httplib::Result> last;
  std::set<std::string> asked;
  for (size_t i = 0; i < urls.size(); ++i) {
    if (!asked.insert(urls[i]).second) continue;
    auto client = MakeClient(config, urls[i], read_timeout_s);
    if (client == nullptr) return std::nullopt;
    httplib::Result res = send(*client);
    const bool redirect = res && res->status == 307 && res->has_header("Location");
    if (redirect) {
      const std::string leader = UrlOrigin(res->get_header_value("Location"));
      if (!leader.empty()) urls.insert(urls.begin() + static_cast<long>(i) + 1, leader);
    }
    const bool moves = !res || res->status == 503 || redirect;
    last = std::move(res);
    if (!moves) break;
  }
  return last;
}

Status BadUrl(const ClientConfig& config) {
  return InvalidArgument("bad server URL '" + config.url + "'", "url");
}

std::string LogsPath(int64_t id, LogStream stream, int64_t offset, bool follow) {
  return "/v1/jobs/" + std::to_string(id) + "/logs?stream=" + LogStreamName(stream) +
         "&offset=" + std::to_string(offset) + "&follow=" + (follow ? "true" : "false");
}

}  // namespace

const char* LogStreamName(LogStream stream) {
  return stream == LogStream::kStderr ? "stderr" : "stdout";
}

ApiClient::ApiClient(ClientConfig config) : config_(std::move(config)) {}

Result<std::string> ApiClient::Call(const char* method, const std::string& path,
                                    const std::string& body) {
  const std::string_view m(method);
  std::optional<httplib::Result> sent =
      SendToLeader(config_, kReadTimeoutS, [&](httplib::Client& client) {
        return m == "POST"  ? client.Post(path, body, "application/json")
               : m == "PUT" ? client.Put(path, body, "application/json")
                            : client.Get(path);
      });
  if (!sent) return BadUrl(config_);
  httplib::Result& res = *sent;
  if (!res) return TransportError(config_, res.error());
  if (res->status < 200 || res->status > 299) return StatusFromHttp(res->status, res->body);
  return std::move(res->body);
}

Result<Job> ApiClient::Submit(const std::string& body) {
  FG_ASSIGN_OR_RETURN(std::string reply, Call("POST", "/v1/jobs", body));
  return ParseJob(reply);
}

Result<Job> ApiClient::GetJob(int64_t id) {
  FG_ASSIGN_OR_RETURN(std::string reply, Call("GET", "/v1/jobs/" + std::to_string(id), ""));
  return ParseJob(reply);
}

Result<JobPage> ApiClient::ListJobs(const std::string& states, int64_t after, int limit) {
  std::string path = "/v1/jobs?limit=" + std::to_string(limit);
  if (!states.empty()) path += "&state=" + states;
  if (after > 0) path += "&after=" + std::to_string(after);
  FG_ASSIGN_OR_RETURN(std::string reply, Call("GET", path, ""));
  return ParseJobPage(reply);
}

Result<Job> ApiClient::Cancel(int64_t id) {
  FG_ASSIGN_OR_RETURN(std::string reply,
                      Call("POST", "/v1/jobs/" + std::to_string(id) + "/cancel", ""));
  return ParseJob(reply);
}

Result<std::string> ApiClient::ReadLogs(int64_t id, LogStream stream, int64_t offset) {
  return Call("GET", LogsPath(id, stream, offset, /*follow=*/false), "");
}

Status ApiClient::FollowLogs(int64_t id, LogStream stream, int64_t offset,
                             const ChunkCallback& on_chunk) {
  int status = 0;
  std::string error_body;
  bool stopped = false;
  bool delivered = false;  // bytes went to on_chunk: another server would repeat them
  std::optional<httplib::Result> sent =
      SendToLeader(config_, kFollowReadTimeoutS, [&](httplib::Client& client) {
        if (delivered) return httplib::Result(nullptr, httplib::Error::Canceled);
        status = 0;
        error_body.clear();
        return client.Get(
            LogsPath(id, stream, offset, /*follow=*/true),
            [&](const httplib::Response& response) {
              status = response.status;
              return true;
            },
            [&](const char* data, size_t size) {
              if (status < 200 || status > 299) {
                error_body.append(data, size);
                return true;
              }
              delivered = true;
              if (!on_chunk(std::string_view(data, size))) {
                stopped = true;
                return false;
              }
              return true;
            });
      });
  if (!sent) return BadUrl(config_);
  httplib::Result& res = *sent;
  if (stopped) return Status::Ok();
  if (!res) return TransportError(config_, res.error());
  if (status < 200 || status > 299) return StatusFromHttp(status, error_body);
  return Status::Ok();
}

Result<std::vector<Node>> ApiClient::ListNodes() {
  FG_ASSIGN_OR_RETURN(std::string reply, Call("GET", "/v1/nodes", ""));
  return ParseNodes(reply);
}

Result<Pool> ApiClient::GetPool() {
  FG_ASSIGN_OR_RETURN(std::string reply, Call("GET", "/v1/gpus", ""));
  return ParsePool(reply);
}

}  // namespace fastgpu::cli
