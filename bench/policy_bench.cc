// Placement decisions per second for every policy on synthetic clusters of N nodes x 8 GPUs
// with 100,000 pending jobs (an Alibaba-like mix: 0.81/0.47/0.32 slices, whole 1/2/4/8-GPU
// jobs, cpu-only tasks), and the memory of the state.
//
// BM_Place: one decision = PlacementPolicy::Place for the next pending job + binding the
// placement (ClusterState::Apply(JobBound)), timed together. The cluster starts 40 % full;
// when it passes 85 % the jobs bound since then are released and queued again (untimed), so
// the queue keeps about 100,000 jobs and the cluster stays between 40 and 85 % full.
// BM_Plan: one Scheduler::Plan over the 100,000 pending jobs (placing as many as fit).
// BM_Memory: the heap held by a ClusterState with 10,000 nodes and 1,000,000 queued jobs, and
// the process's RSS with it built (run it alone for a clean figure:
// --benchmark_filter=BM_Memory).
// Run: build/bench/policy_bench [--benchmark_filter=...]   (docs/scheduler.md)
#include <benchmark/benchmark.h>

#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "common/check.h"
#include "core/policy/placement_policy.h"
#include "core/scheduler.h"
#include "core/state.h"

namespace fastgpu::core {
namespace {

constexpr int kPending = 100000;

// Heap bytes in use (glibc), in MiB.
double HeapMiB() { return static_cast<double>(mallinfo2().uordblks) / (1024.0 * 1024.0); }

// The process's resident set (VmRSS from /proc/self/status), in MiB: what the OS holds for us,
// allocator slack and the binary included. 0 when it cannot be read.
double RssMiB() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  double kib = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "VmRSS:", 6) == 0) kib = std::strtod(line + 6, nullptr);
  }
  std::fclose(f);
  return kib / 1024.0;
}

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

QueuedJob PendingJob(int64_t id) {
  QueuedJob job;
  job.id = id;
  job.tenant = id % 3 == 0 ? "research" : "default";
  job.submit_ms = id;
  job.request = Mixed(static_cast<uint64_t>(id) * 7919);
  return job;
}

ClusterState MakeCluster(int nodes, int pending) {
  ClusterState state;
  for (int n = 0; n < nodes; ++n) {
    NodeSpec spec;
    spec.name = "node-" + std::to_string(100000 + n);
    spec.cpu_milli = 96000;
    spec.memory_mib = 512 * 1024;
    for (int d = 0; d < 8; ++d) {
      spec.devices.push_back({d, "GPU-" + std::to_string(n) + "-" + std::to_string(d) +
                                     "-0000-0000-0000-000000000000",
                              "A100-80GB", 81920});
    }
    FG_CHECK(state.Apply(NodeUpserted{spec}).ok());
  }
  for (int j = 1; j <= pending; ++j) FG_CHECK(state.Apply(JobQueued{PendingJob(j)}).ok());
  return state;
}

int64_t UsedMilli(const ClusterState& state) {
  int64_t used = 0;
  for (const NodeState& n : state.nodes()) {
    for (const Slice& s : n.used) used += s.milli;
  }
  return used;
}

void BM_Place(benchmark::State& st, const char* policy_name) {
  const int nodes = static_cast<int>(st.range(0));
  const double heap0 = HeapMiB();
  ClusterState state = MakeCluster(nodes, kPending);
  const double heap1 = HeapMiB();
  auto policy = MakePlacementPolicy(policy_name);
  FG_CHECK(policy.ok());
  Rng rng(1);
  const int64_t capacity = int64_t{nodes} * 8000;
  int64_t used = 0;
  std::vector<JobId> since_reset;  // bound after the 40 % mark
  std::vector<JobId> order;
  for (const auto& [id, job] : state.queued()) order.push_back(id);
  size_t next = 0;
  auto decide = [&]() -> bool {  // one decision on the next still-queued job
    for (;;) {
      const JobId id = order[next++ % order.size()];
      auto it = state.queued().find(id);
      if (it == state.queued().end()) continue;
      std::optional<Placement> p = (*policy)->Place(it->second, state.nodes(), rng);
      if (!p) return false;
      for (const DeviceGrant& g : p->devices) used += g.slice.milli;
      FG_CHECK(state.Apply(JobBound{id, std::move(*p), 0}).ok());
      since_reset.push_back(id);
      return true;
    }
  };
  while (used * 10 < capacity * 4) decide();
  since_reset.clear();
  const int64_t base_used = UsedMilli(state);
  int64_t decisions = 0, placed = 0;
  for (auto _ : st) {
    placed += decide() ? 1 : 0;
    ++decisions;
    if (used * 100 > capacity * 85) {
      st.PauseTiming();
      for (JobId id : since_reset) {
        FG_CHECK(state.Apply(JobReleased{id}).ok());
        FG_CHECK(state.Apply(JobQueued{PendingJob(id)}).ok());
      }
      since_reset.clear();
      used = base_used;
      st.ResumeTiming();
    }
  }
  st.counters["decisions/s"] =
      benchmark::Counter(static_cast<double>(decisions), benchmark::Counter::kIsRate);
  st.counters["placed_pct"] = 100.0 * static_cast<double>(placed) / static_cast<double>(decisions);
  st.counters["state_MiB"] = heap1 - heap0;
}

void BM_Plan(benchmark::State& st, const char* policy_name) {
  const int nodes = static_cast<int>(st.range(0));
  const ClusterState state = MakeCluster(nodes, kPending);
  auto policy = MakePlacementPolicy(policy_name);
  FG_CHECK(policy.ok());
  Scheduler scheduler(std::move(*policy));
  Rng rng(1);
  int64_t placed = 0, decisions = 0;
  for (auto _ : st) {
    const std::vector<Decision> out = scheduler.Plan(state, Instant{0}, rng);
    decisions += static_cast<int64_t>(out.size());
    for (const Decision& d : out) placed += d.verdict == Verdict::kPlaced ? 1 : 0;
  }
  st.counters["decisions/s"] =
      benchmark::Counter(static_cast<double>(decisions), benchmark::Counter::kIsRate);
  st.counters["placed_per_plan"] = static_cast<double>(placed) / static_cast<double>(st.iterations());
}

void BM_Memory(benchmark::State& st) {
  const int nodes = static_cast<int>(st.range(0));
  const int queued = static_cast<int>(st.range(1));
  for (auto _ : st) {
    const double heap0 = HeapMiB();
    const double rss0 = RssMiB();
    const ClusterState state = MakeCluster(nodes, queued);
    st.counters["state_MiB"] = HeapMiB() - heap0;
    st.counters["rss_MiB"] = RssMiB();  // the whole process, with the state built
    st.counters["rss_growth_MiB"] = RssMiB() - rss0;
    benchmark::DoNotOptimize(state.queued().size());
  }
}

#define FG_POLICY_BENCH(label, name)                                               \
  BENCHMARK_CAPTURE(BM_Place, label, name)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond)
FG_POLICY_BENCH(bestfit, "bestfit");
FG_POLICY_BENCH(spread, "spread");
FG_POLICY_BENCH(pack, "pack");
FG_POLICY_BENCH(random, "random");
FG_POLICY_BENCH(fgd, "fgd");
FG_POLICY_BENCH(fgd_plus, "fgd+");
BENCHMARK_CAPTURE(BM_Plan, bestfit, "bestfit")->Arg(10000)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_Plan, fgd_plus, "fgd+")->Arg(10000)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_Memory)->Args({10000, 1000000})->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace fastgpu::core

BENCHMARK_MAIN();
