// `fastgpu why ID`: why a job is not running (yet), and what would make it start.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/cmd.h"
#include "cli/cmd_common.h"
#include "cli/why.h"

namespace fastgpu::cli {

int WhyCommand(const GlobalFlags& globals, const std::string& id_text, bool json) {
  Result<int64_t> id = ParseJobId(id_text);
  if (!id.ok()) return ReportUsageError(id.error());
  std::unique_ptr<ApiClient> client = Connect(globals);
  if (client == nullptr) return kExitError;
  Result<Job> job = client->GetJob(*id);
  if (!job.ok()) return ReportError(job.error());
  Result<Pool> pool = client->GetPool();
  if (!pool.ok()) return ReportError(pool.error());
  WhyAnswer answer = ExplainJob(*job, *pool);
  if (json) {
    nlohmann::json j = {{"id", job->id},
                        {"state", answer.state},
                        {"reason", answer.reason},
                        {"queue_position", answer.queue_position},
                        {"verdict", answer.verdict},
                        {"actions", answer.actions}};
    std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  std::fputs(RenderWhy(*job, answer).c_str(), stdout);
  return kExitOk;
}

}  // namespace fastgpu::cli
