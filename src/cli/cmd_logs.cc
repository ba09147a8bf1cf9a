// `fastgpu logs ID`: a job's stored stdout (or stderr), optionally followed to the end.
#include <cstdio>
#include <string>

#include "cli/cmd.h"
#include "cli/cmd_common.h"
#include "cli/follow.h"

namespace fastgpu::cli {

int LogsCommand(const GlobalFlags& globals, const std::string& id_text, bool follow,
                bool stderr_stream) {
  Result<int64_t> id = ParseJobId(id_text);
  if (!id.ok()) return ReportUsageError(id.error());
  std::unique_ptr<ApiClient> client = Connect(globals);
  if (client == nullptr) return kExitError;
  LogStream stream = stderr_stream ? LogStream::kStderr : LogStream::kStdout;
  if (follow) {
    Status status = CopyLogToEnd(*client, *id, stream, 0, stdout);
    return status.ok() ? kExitOk : ReportError(status);
  }
  Result<std::string> bytes = client->ReadLogs(*id, stream, 0);
  if (!bytes.ok()) return ReportError(bytes.error());
  std::fwrite(bytes->data(), 1, bytes->size(), stdout);
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace fastgpu::cli
