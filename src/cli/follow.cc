#include "cli/follow.h"

#include <chrono>
#include <thread>

namespace fastgpu::cli {
namespace {

constexpr int kMaxFailuresInARow = 20;  // x kRetryDelay: about 10 s unreachable
constexpr std::chrono::milliseconds kRetryDelay{500};

}  // namespace

Status CopyLogToEnd(ApiClient& client, int64_t id, LogStream stream, int64_t offset, FILE* out) {
  int failures = 0;
  for (bool first = true;; first = false) {
    int64_t before = offset;
    Status status = client.FollowLogs(id, stream, offset, [&](std::string_view chunk) {
      std::fwrite(chunk.data(), 1, chunk.size(), out);
      std::fflush(out);
      offset += static_cast<int64_t>(chunk.size());
      return true;
    });
    if (status.ok()) return status;
    if (status.code() != StatusCode::kUnavailable) return status;
    // The connection broke or timed out. If the job has ended, fetch what is left and stop.
    Result<Job> job = client.GetJob(id);
    if (first && !job.ok()) return status;  // never reached the server: say so at once
    if (job.ok() && job->Ended()) {
      Result<std::string> rest = client.ReadLogs(id, stream, offset);
      if (!rest.ok()) return rest.error();
      std::fwrite(rest->data(), 1, rest->size(), out);
      std::fflush(out);
      return Status::Ok();
    }
    // A server that answers is alive and the job merely silent: keep following. Give up only
    // when the server stays unreachable.
    failures = job.ok() || offset > before ? 0 : failures + 1;
    if (failures > kMaxFailuresInARow) return status;
    std::this_thread::sleep_for(kRetryDelay);
  }
}

}  // namespace fastgpu::cli
