#include "sim/fill.h"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>
#include <utility>

#include "common/check.h"
#include "common/rng.h"
#include "core/policy/placement_policy.h"
#include "core/state.h"

namespace fastgpu::sim {
namespace {

template <typename T>
void Shuffle(std::vector<T>& v, Rng& rng) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.Uniform(i)]);
}

int64_t GpuMilli(const core::ResourceRequest& r) {
  return r.gpu_count > 0 ? static_cast<int64_t>(r.gpu_count) * r.gpu_milli : 0;
}

// Renames the nodes "NNNN-<name>" with a seeded permutation of 0..n-1.
std::vector<core::NodeSpec> SeededNodes(const std::vector<core::NodeSpec>& nodes, Rng& rng) {
  std::vector<size_t> perm(nodes.size());
  for (size_t i = 0; i < perm.size(); ++i) perm[i] = i;
  Shuffle(perm, rng);
  std::vector<core::NodeSpec> out = nodes;
  for (size_t i = 0; i < out.size(); ++i) {
    char prefix[16];
    std::snprintf(prefix, sizeof(prefix), "%05zu-", perm[i]);
    out[i].name = prefix + out[i].name;
  }
  return out;
}

}  // namespace

int64_t CapacityMilli(const std::vector<core::NodeSpec>& nodes) {
  int64_t total = 0;
  for (const core::NodeSpec& n : nodes) {
    total += static_cast<int64_t>(n.devices.size()) * core::kWholeGpuMilli;
  }
  return total;
}

std::vector<core::ResourceRequest> SeededTasks(const FillInput& input, uint64_t seed) {
  Rng rng(seed);
  std::vector<core::ResourceRequest> tasks = input.tasks;
  Shuffle(tasks, rng);
  if (input.tasks.empty()) return tasks;
  // Clones until the next clone's per-GPU milli would pass the target (the simulator's quirk:
  // a final multi-GPU clone may overshoot).
  const auto target = static_cast<int64_t>(input.inflate * CapacityMilli(input.nodes));
  int64_t requested = 0;
  for (const core::ResourceRequest& r : tasks) requested += GpuMilli(r);
  while (true) {
    const core::ResourceRequest& clone = input.tasks[rng.Uniform(input.tasks.size())];
    const int64_t per_gpu = clone.gpu_count > 0 ? clone.gpu_milli : 0;
    if (requested + per_gpu > target) break;
    tasks.push_back(clone);
    requested += GpuMilli(clone);
  }
  return tasks;
}

Result<FillRun> RunFill(const FillInput& input, const std::string& policy_name, uint64_t seed) {
  const int64_t capacity = CapacityMilli(input.nodes);
  if (capacity == 0) return InvalidArgument("the cluster has no GPUs", "nodes");
  core::PolicyOptions options;
  options.workload = input.workload;
  FG_ASSIGN_OR_RETURN(auto policy, core::MakePlacementPolicy(policy_name, options));
  const std::vector<core::ResourceRequest> tasks = SeededTasks(input, seed);
  Rng rng(seed ^ 0x5eedULL);
  core::ClusterState state;
  for (core::NodeSpec& spec : SeededNodes(input.nodes, rng)) {
    FG_RETURN_IF_ERROR(state.Apply(core::NodeUpserted{std::move(spec)}));
  }
  FillRun run{policy_name, seed, {}, static_cast<int64_t>(tasks.size()), 0};
  std::vector<double> sum;
  std::vector<int64_t> count;
  int64_t arrived = 0, used = 0;
  core::JobId id = 0;
  for (const core::ResourceRequest& r : tasks) {
    arrived += GpuMilli(r);
    core::QueuedJob job;
    job.id = ++id;
    job.request = r;
    if (std::optional<core::Placement> p = policy->Place(job, state.nodes(), rng)) {
      FG_CHECK(state.Apply(core::JobQueued{job}).ok());
      FG_CHECK(state.Apply(core::JobBound{id, *p}).ok());
      for (const core::DeviceGrant& g : p->devices) used += g.slice.milli;
      ++run.placed;
    }
    const auto bucket = static_cast<size_t>((arrived * 100 + capacity / 2) / capacity);
    if (bucket >= sum.size()) {
      sum.resize(bucket + 1, 0);
      count.resize(bucket + 1, 0);
    }
    sum[bucket] += 100.0 * static_cast<double>(used) / static_cast<double>(capacity);
    ++count[bucket];
  }
  run.alloc_pct.resize(sum.size(), 0);
  for (size_t b = 0; b < sum.size(); ++b) {
    run.alloc_pct[b] = count[b] > 0 ? sum[b] / static_cast<double>(count[b])
                                    : (b > 0 ? run.alloc_pct[b - 1] : 0);
  }
  return run;
}

Result<std::vector<FillRun>> RunFills(const FillInput& input,
                                      const std::vector<std::string>& policies,
                                      const std::vector<uint64_t>& seeds, int threads) {
  const size_t jobs = policies.size() * seeds.size();
  std::vector<Result<FillRun>> results(jobs, InvalidArgument("not run"));
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t j = next++; j < jobs; j = next++) {
      results[j] = RunFill(input, policies[j / seeds.size()], seeds[j % seeds.size()]);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads && static_cast<size_t>(t) < jobs; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  std::vector<FillRun> out;
  for (Result<FillRun>& r : results) {
    if (!r.ok()) return r.error();
    out.push_back(std::move(r).value());
  }
  return out;
}

}  // namespace fastgpu::sim
