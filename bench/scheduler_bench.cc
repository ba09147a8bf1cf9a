// Scheduler v0 throughput on synthetic clusters: one Plan() over a queue against N nodes of
// 8 GPUs each. Run: build/bench/scheduler_bench
#include <benchmark/benchmark.h>

#include <string>

#include "common/check.h"
#include "core/scheduler.h"
#include "core/state.h"

namespace fastgpu::core {
namespace {

ClusterState MakeCluster(int nodes, int queued) {
  ClusterState state;
  for (int n = 0; n < nodes; ++n) {
    NodeSpec spec;
    spec.name = "node-" + std::to_string(n);
    spec.cpu_milli = 64000;
    spec.memory_mib = 512 * 1024;
    for (int d = 0; d < 8; ++d) {
      spec.devices.push_back({d, spec.name + "-gpu" + std::to_string(d), "A100-80GB", 81920});
    }
    FG_CHECK(state.Apply(NodeUpserted{spec}).ok());
  }
  for (int j = 1; j <= queued; ++j) {
    QueuedJob job;
    job.id = j;
    job.submit_ms = j;
    job.priority = j % 3;
    // A mix like the Alibaba trace's: mostly fractions, some whole GPUs.
    job.request.gpu_count = (j % 5 == 0) ? 1 + j % 4 : 1;
    job.request.gpu_milli = (j % 5 == 0) ? kWholeGpuMilli : 100 * (1 + j % 9);
    FG_CHECK(state.Apply(JobQueued{job}).ok());
  }
  return state;
}

void BM_Plan(benchmark::State& st) {
  ClusterState state = MakeCluster(static_cast<int>(st.range(0)), static_cast<int>(st.range(1)));
  auto policy = MakePlacementPolicy("bestfit");
  FG_CHECK(policy.ok());
  Scheduler scheduler(std::move(*policy));
  Rng rng(1);
  for (auto _ : st) {
    auto decisions = scheduler.Plan(state, Instant{0}, rng);
    benchmark::DoNotOptimize(decisions);
  }
  st.counters["jobs/s"] =
      benchmark::Counter(static_cast<double>(st.range(1)) * st.iterations(),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Plan)->Args({16, 100})->Args({128, 1000})->Args({1000, 10000})->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace fastgpu::core

BENCHMARK_MAIN();
