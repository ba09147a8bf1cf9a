#include "cli/api_client.h"

#include <httplib.h>

#include <exception>
#include <memory>
#include <utility>

#include "cli/api_codec.h"

namespace fastgpu::cli {
namespace {

constexpr time_t kConnectTimeoutS = 10;
constexpr time_t kReadTimeoutS = 60;
// A followed log may stay silent for as long as the job prints nothing; the caller resumes
// after a timeout, so this only bounds how long a dead connection goes unnoticed.
constexpr time_t kFollowReadTimeoutS = 600;

// Null when httplib rejects the URL (it throws for an unknown scheme).
std::unique_ptr<httplib::Client> MakeClient(const ClientConfig& config, time_t read_timeout_s) {
  std::unique_ptr<httplib::Client> client;
  try {
    client = std::make_unique<httplib::Client>(config.url);
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
  auto client = MakeClient(config_, kReadTimeoutS);
  if (client == nullptr) return BadUrl(config_);
  const std::string_view m(method);
  httplib::Result res = m == "POST"  ? client->Post(path, body, "application/json")
                        : m == "PUT" ? client->Put(path, body, "application/json")
                                     : client->Get(path);
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
  auto client = MakeClient(config_, kFollowReadTimeoutS);
  if (client == nullptr) return BadUrl(config_);
  int status = 0;
  std::string error_body;
  bool stopped = false;
  httplib::Result res = client->Get(
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
        if (!on_chunk(std::string_view(data, size))) {
          stopped = true;
          return false;
        }
        return true;
      });
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
