#include "cli/api_client.h"

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cli/api_codec.h"
#include "cli/http_client.h"
#include "common/server_urls.h"

namespace fastgpu::cli {
namespace {

constexpr int kConnectTimeoutMs = 10'000;
constexpr int kReadTimeoutMs = 60'000;
// A followed log may stay silent for as long as the job prints nothing; the caller resumes
// after a timeout, so this only bounds how long a dead connection goes unnoticed.
constexpr int kFollowReadTimeoutMs = 600'000;

HttpOptions OptionsFor(const ClientConfig& config, int read_timeout_ms) {
  HttpOptions options;
  options.connect_timeout_ms = kConnectTimeoutMs;
  options.read_timeout_ms = read_timeout_ms;
  options.write_timeout_ms = kReadTimeoutMs;
  options.ca_file = config.ca_file;  // https: always verified
  return options;
}

HttpRequest Request(const ClientConfig& config, std::string method, std::string path,
                    std::string body) {
  HttpRequest request;
  request.method = std::move(method);
  request.path = std::move(path);
  request.body = std::move(body);
  request.bearer_token = config.api_key;
  return request;
}

Status TransportError(const ClientConfig& config, HttpError error) {
  return Unavailable("cannot reach fastgpu server at " + config.url + ": " +
                     HttpErrorText(error));
}

// The first reply of `send` from one of the servers of config.url (comma-separated: several
// servers on one PostgreSQL database) that is neither a transport failure, a 503 nor a 307; a
// 307 (a follower) names the leader, which is asked next. The last outcome when none answers
// so; nullopt when a URL is unusable. Each server is asked once.
template <typename Send>
std::optional<HttpReply> SendToLeader(const ClientConfig& config, Send send) {
  std::vector<std::string> urls = SplitServerUrls(config.url);
  std::optional<HttpReply> last;
  std::set<std::string> asked;
  for (size_t i = 0; i < urls.size(); ++i) {
    if (!asked.insert(urls[i]).second) continue;
    std::optional<HttpOrigin> origin = ParseHttpOrigin(urls[i]);
    if (!origin) return std::nullopt;
    HttpReply res = send(*origin);
    const bool ok = res.error == HttpError::kNone;
    const std::string* location = ok && res.status == 307 ? res.Header("location") : nullptr;
    if (location != nullptr) {
      const std::string leader = UrlOrigin(*location);
      if (!leader.empty()) urls.insert(urls.begin() + static_cast<long>(i) + 1, leader);
    }
    const bool moves = !ok || res.status == 503 || location != nullptr;
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
  const HttpOptions options = OptionsFor(config_, kReadTimeoutMs);
  std::optional<HttpReply> sent = SendToLeader(config_, [&](const HttpOrigin& origin) {
    return SendHttp(origin, Request(config_, method, path, body), options);
  });
  if (!sent) return BadUrl(config_);
  HttpReply& res = *sent;
  if (res.error != HttpError::kNone) return TransportError(config_, res.error);
  if (res.status < 200 || res.status > 299) return StatusFromHttp(res.status, res.body);
  return std::move(res.body);
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
  std::string error_body;
  bool stopped = false;
  bool delivered = false;  // bytes went to on_chunk: another server would repeat them
  const HttpOptions options = OptionsFor(config_, kFollowReadTimeoutMs);
  const HttpBodySink sink = [&](const HttpReply& head, std::string_view piece) {
    if (head.status < 200 || head.status > 299) {
      error_body.append(piece);
      return true;
    }
    delivered = true;
    stopped = !on_chunk(piece);
    return !stopped;
  };
  std::optional<HttpReply> sent = SendToLeader(config_, [&](const HttpOrigin& origin) {
    if (delivered) {
      HttpReply canceled;
      canceled.error = HttpError::kCanceled;
      return canceled;
    }
    error_body.clear();
    return SendHttp(origin,
                    Request(config_, "GET", LogsPath(id, stream, offset, /*follow=*/true), ""),
                    options, sink);
  });
  if (!sent) return BadUrl(config_);
  HttpReply& res = *sent;
  if (stopped) return Status::Ok();
  if (res.error != HttpError::kNone) return TransportError(config_, res.error);
  if (res.status < 200 || res.status > 299) return StatusFromHttp(res.status, error_body);
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
