// `fastgpu cancel ID`.
#include <cinttypes>
#include <cstdio>
#include <string>

#include "cli/cmd.h"
#include "cli/cmd_common.h"

namespace fastgpu::cli {

int CancelCommand(const GlobalFlags& globals, const std::string& id_text) {
  Result<int64_t> id = ParseJobId(id_text);
  if (!id.ok()) return ReportUsageError(id.error());
  std::unique_ptr<ApiClient> client = Connect(globals);
  if (client == nullptr) return kExitError;
  Result<Job> job = client->Cancel(*id);
  if (!job.ok()) return ReportError(job.error());
  if (job->state == "cancelled") {
    std::printf("cancelled %" PRId64 "\n", *id);
  } else {
    std::printf("cancelling %" PRId64 " (SIGTERM sent)\n", *id);
  }
  return kExitOk;
}

}  // namespace fastgpu::cli
