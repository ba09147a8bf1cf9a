#pragma once
// ApiClient: a small typed client of the fastgpu user API (docs/api/protocol.md) over HTTP.
//
// Every call opens its own connection (cli/http_client.h), so one ApiClient is safe for
// concurrent use: `fastgpu run` follows stdout and stderr from two threads and cancels from a
// third. Calls block; none retries.
//
// Errors: a reply that is not 2xx becomes the Status the server's error body names, with its
// message and field (see StatusFromHttp); a server that cannot be reached is Unavailable
// "cannot reach fastgpu server at URL: <why>"; a 2xx reply that does not decode is Internal.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/api_types.h"
#include "cli/config.h"
#include "common/result.h"
#include "common/status.h"

namespace fastgpu::cli {

class ApiClient {
 public:
  // Called with each piece of a followed log, in order. Returning false stops the follow.
  using ChunkCallback = std::function<bool(std::string_view chunk)>;

  explicit ApiClient(ClientConfig config);

  const std::string& url() const { return config_.url; }

  // POST /v1/jobs with `body` (a JSON submit request); the job as committed.
  Result<Job> Submit(const std::string& body);

  // GET /v1/jobs/{id}. NotFound (field id) when unknown.
  Result<Job> GetJob(int64_t id);

  // GET /v1/jobs?state=...&after=...&limit=... One page; `states` is "" (all), "active" or a
  // comma-separated list; `after` 0 starts at the beginning.
  Result<JobPage> ListJobs(const std::string& states, int64_t after, int limit);

  // POST /v1/jobs/{id}/cancel; the job after the request. FailedPrecondition when it had
  // already ended.
  Result<Job> Cancel(int64_t id);

  // GET /v1/jobs/{id}/logs without follow: the bytes stored so far from `offset`.
  Result<std::string> ReadLogs(int64_t id, LogStream stream, int64_t offset);

  // GET /v1/jobs/{id}/logs?follow=true from `offset`, passing each received piece to
  // `on_chunk` as it arrives. Returns OK when the server ends the stream (the job ended and
  // its log is complete) or `on_chunk` returned false; Unavailable when the connection fails
  // or breaks, after which the caller may resume at offset + bytes received.
  Status FollowLogs(int64_t id, LogStream stream, int64_t offset, const ChunkCallback& on_chunk);

  // GET /v1/nodes.
  Result<std::vector<Node>> ListNodes();

  // GET /v1/gpus: every device with its free share, and the pool summary.
  Result<Pool> GetPool();

  // Any call of the API ("GET", "POST" or "PUT" with a JSON body): the 2xx reply's body, or
  // the error as above. For the commands whose replies have no typed struct (tenants, keys,
  // audit, usage).
  Result<std::string> Call(const char* method, const std::string& path, const std::string& body);

 private:

  ClientConfig config_;
};

// "stdout" or "stderr".
const char* LogStreamName(LogStream stream);

}  // namespace fastgpu::cli
