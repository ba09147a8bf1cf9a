// `fastgpu ps`: the active jobs (or all) as a table or JSON.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cli/api_codec.h"
#include "cli/cmd.h"
#include "cli/cmd_common.h"
#include "cli/format.h"
#include "cli/term.h"
#include "cli/views.h"

namespace fastgpu::cli {
namespace {

constexpr int kPageSize = 1000;

}  // namespace

Result<std::vector<Job>> FetchJobs(ApiClient& client, bool all) {
  std::vector<Job> jobs;
  int64_t after = 0;
  while (true) {
    FG_ASSIGN_OR_RETURN(JobPage page, client.ListJobs(all ? "" : "active", after, kPageSize));
    for (Job& job : page.jobs) jobs.push_back(std::move(job));
    if (!page.next.has_value() || *page.next <= after) break;
    after = *page.next;
  }
  return jobs;
}

int PsCommand(const GlobalFlags& globals, bool all, bool json) {
  std::unique_ptr<ApiClient> client = Connect(globals);
  if (client == nullptr) return kExitError;
  Result<std::vector<Job>> jobs = FetchJobs(*client, all);
  if (!jobs.ok()) return ReportError(jobs.error());
  if (json) {
    std::vector<std::string> objects;
    for (const Job& job : *jobs) objects.push_back(job.json);
    std::printf("%s\n", JsonArray(objects).c_str());
    return kExitOk;
  }
  // Fits the terminal (or an exported $COLUMNS); a pipe gets whole lines and no colors.
  Table table = JobTable(*jobs, NowMs());
  size_t width = static_cast<size_t>(GetTerminalSize(STDOUT_FILENO).columns);
  std::fputs(table.Render(width, UseColor(STDOUT_FILENO)).c_str(), stdout);
  return kExitOk;
}

}  // namespace fastgpu::cli
