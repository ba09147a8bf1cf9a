// `fastgpu gpus`: every device of the pool with its free share, and a summary line.
#include <cstdio>
#include <string>

#include "cli/cmd.h"
#include "cli/cmd_common.h"
#include "cli/format.h"
#include "common/units.h"

namespace fastgpu::cli {
namespace {

std::string Jobs(const Gpu& gpu) {
  std::string out;
  for (const GpuAllocation& a : gpu.allocations) {
    out += (out.empty() ? "" : ",") + std::to_string(a.job);
  }
  return out.empty() ? "-" : out;
}

// 750 milli -> "75%", 125 -> "12.5%".
std::string Percent(int64_t milli) { return FormatMilli(milli * 100) + "%"; }

std::string Summary(const PoolSummary& s) {
  return std::to_string(s.nodes) + (s.nodes == 1 ? " node, " : " nodes, ") +
         std::to_string(s.gpus) + (s.gpus == 1 ? " GPU" : " GPUs") + " (" +
         std::to_string(s.idle_gpus) + " idle); free compute " + FormatMilli(s.free_milli) +
         " of " + FormatMilli(s.total_milli) + " GPUs; free memory " +
         FormatMiB(s.free_memory_mib) + " of " + FormatMiB(s.total_memory_mib) + "; " +
         std::to_string(s.pending_jobs) + " pending " + (s.pending_jobs == 1 ? "job" : "jobs");
}

}  // namespace

int GpusCommand(const GlobalFlags& globals, bool json) {
  std::unique_ptr<ApiClient> client = Connect(globals);
  if (client == nullptr) return kExitError;
  Result<Pool> pool = client->GetPool();
  if (!pool.ok()) return ReportError(pool.error());
  if (json) {
    std::printf("%s\n", pool->json.c_str());
    return kExitOk;
  }
  Table table({"NODE", "IDX", "MODEL", "MEMORY", "FREE-MEM", "FREE-COMPUTE", "JOBS"});
  for (const Gpu& gpu : pool->gpus) {
    std::string node = gpu.node + (gpu.node_ready ? "" : " (not ready)");
    table.AddRow({node, std::to_string(gpu.index), gpu.model, FormatMiB(gpu.memory_mib),
                  FormatMiB(gpu.free_memory_mib), Percent(gpu.free_milli), Jobs(gpu)});
  }
  std::fputs(table.Render().c_str(), stdout);
  std::printf("%s\n", Summary(pool->summary).c_str());
  return kExitOk;
}

}  // namespace fastgpu::cli
