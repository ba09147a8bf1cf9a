// Placement decisions per second for every policy on synthetic clusters of N nodes x 8 GPUs
// with 100,000 pending jobs (an Alibaba-like mix: 0.81/0.47/0.32 slices, whole 1/2/4/8-GPU
// jobs, cpu-only tasks). Each decision is bound (ClusterState::Apply) so the cluster evolves;
// when it is 85 % full it is reset (untimed) to the 40 %-full snapshot. Reports placements/s
// and the heap memory of the state with the 100,000 jobs queued.
// Run: build/bench/policy_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <malloc.h>

#include <cstdio>
#include <string>
#include <vector>

#include "common/check.h"
#include "core/policy/placement_policy.h"
#include "core/state.h"

namespace fastgpu::core {
namespace {

constexpr int kPending = 100000;

// Heap bytes in use (glibc), in MiB.
double HeapMiB() { return static_cast<double>(mallinfo2().uordblks) / (1024.0 * 1024.0); }

ResourceRequest Mixed(uint64_t i) {
  ResourceRequest r;
  r.cpu_milli = 4000 + static_cast<int32_t>(i % 4) * 2000;
  r.memory_mib = 16384;
  const uint64_t k = i % 20;
  if (k < 3) return r.gpu_count = 0, r;  // cpu only
  r.gpu_count = 1;
  if (k < 7) r.gpu_milli = 810;
  else if (k < 10) r.gpu_milli = 470;
  else if (k < 12) r.gpu_milli = 320;
  else if (k == 17) r.gpu_count = 2;
  else if (k == 18) r.gpu_count = 4;
  else if (k == 19) r.gpu_count = 8, r.cpu_milli = 32000;
  return r;
}

ClusterState MakeCluster(int nodes) {
  ClusterState state;
  for (int n = 0; n < nodes; ++n) {
    NodeSpec spec;
    spec.name = "node-" + std::to_string(100000 + n);
    spec.cpu_milli = 96000;
    spec.memory_mib = 512 * 1024;
    for (int d = 0; d < 8; ++d) {
      spec.devices.push_back({d, spec.name + "-gpu" + std::to_string(d), "A100-80GB", 81920});
    }
    FG_CHECK(state.Apply(NodeUpserted{spec}).ok());
  }
  return state;
}

void BM_Place(benchmark::State& st, const char* policy_name) {
  const int nodes = static_cast<int>(st.range(0));
  const double rss0 = HeapMiB();
  ClusterState state = MakeCluster(nodes);
  std::vector<QueuedJob> pending(kPending);
  for (int j = 0; j < kPending; ++j) {
    pending[j].id = j + 1;
    pending[j].request = Mixed(static_cast<uint64_t>(j) * 7919);
    FG_CHECK(state.Apply(JobQueued{pending[j]}).ok());
  }
  const double rss1 = HeapMiB();
  auto policy = MakePlacementPolicy(policy_name);
  FG_CHECK(policy.ok());
  Rng rng(1);
  const int64_t capacity = int64_t{nodes} * 8000;
  int64_t used = 0;
  size_t next = 0;
  // Fill to 40 % untimed, keep that snapshot.
  auto place_one = [&](bool bind) {
    const QueuedJob& job = pending[next++ % kPending];
    std::optional<Placement> p = (*policy)->Place(job, state.nodes(), rng);
    if (p && bind && state.queued().count(job.id) > 0) {
      FG_CHECK(state.Apply(JobBound{job.id, *p}).ok());
      for (const DeviceGrant& g : p->devices) used += g.slice.milli;
    }
    return p.has_value();
  };
  while (used * 10 < capacity * 4) place_one(true);
  const ClusterState snapshot = state;
  const int64_t snapshot_used = used;
  int64_t placed = 0;
  for (auto _ : st) {
    if (!place_one(true) || used * 100 > capacity * 85) {
      st.PauseTiming();
      state = snapshot;
      used = snapshot_used;
      st.ResumeTiming();
    }
    ++placed;
  }
  st.counters["placements/s"] =
      benchmark::Counter(static_cast<double>(placed), benchmark::Counter::kIsRate);
  st.counters["state_MiB"] = rss1 - rss0;
}

BENCHMARK_CAPTURE(BM_Place, bestfit, "bestfit")->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Place, spread, "spread")->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Place, pack, "pack")->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Place, random, "random")->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Place, fgd, "fgd")->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Place, fgd_plus, "fgd+")->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace fastgpu::core

BENCHMARK_MAIN();
