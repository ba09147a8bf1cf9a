#pragma once
// Copying a job's log to a local file while the job runs, surviving broken connections.

#include <cstdint>
#include <cstdio>

#include "cli/api_client.h"
#include "common/status.h"

namespace fastgpu::cli {

// Writes job `id`'s `stream` log from byte `offset` to `out` (flushed after each piece) until
// the server ends the followed stream. When the connection breaks or times out while the job
// has not ended, resumes where it stopped; gives up when the server stays unreachable for
// about 10 seconds.
// Returns OK at the end of the log; the last error when it gives up; the server's error
// (e.g. NotFound) at once. `client` must outlive the call.
Status CopyLogToEnd(ApiClient& client, int64_t id, LogStream stream, int64_t offset, FILE* out);

}  // namespace fastgpu::cli
