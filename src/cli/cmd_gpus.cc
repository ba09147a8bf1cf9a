// `fastgpu gpus`: every device of the pool drawn as a bar of its slices by tenant, and a
// summary line.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "cli/cmd.h"
#include "cli/cmd_common.h"
#include "cli/term.h"
#include "cli/views.h"

namespace fastgpu::cli {

int GpusCommand(const GlobalFlags& globals, bool json) {
  std::unique_ptr<ApiClient> client = Connect(globals);
  if (client == nullptr) return kExitError;
  Result<Pool> pool = client->GetPool();
  if (!pool.ok()) return ReportError(pool.error());
  if (json) {
    std::printf("%s\n", pool->json.c_str());
    return kExitOk;
  }
  int width = GetTerminalSize(STDOUT_FILENO).columns;
  std::fputs(RenderPoolBars(*pool, width, UseColor(STDOUT_FILENO)).c_str(), stdout);
  std::printf("%s\n", PoolSummaryLine(pool->summary).c_str());
  return kExitOk;
}

}  // namespace fastgpu::cli
