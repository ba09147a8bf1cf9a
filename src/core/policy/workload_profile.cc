#include "core/policy/workload_profile.h"

#include <algorithm>
#include <map>

namespace fastgpu::core {

TaskShape ShapeOf(const ResourceRequest& r) {
  TaskShape s;
  s.cpu_milli = r.cpu_milli;
  if (r.gpu_count <= 0) return s;
  s.gpu_count = r.gpu_count;
  s.gpu_milli = r.gpu_milli;
  s.gpu_models = r.gpu_models;
  return s;
}

WorkloadProfile BuildWorkloadProfile(const std::vector<ResourceRequest>& tasks,
                                     int coverage_pct) {
  if (tasks.empty()) return GenericWorkloadProfile();
  std::map<TaskShape, int64_t> counts;
  for (const ResourceRequest& r : tasks) ++counts[ShapeOf(r)];
  std::vector<std::pair<TaskShape, int64_t>> ranked(counts.begin(), counts.end());
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  const int64_t total = static_cast<int64_t>(tasks.size());
  WorkloadProfile profile;
  int64_t covered = 0;
  for (const auto& [shape, count] : ranked) {
    if (covered * 100 >= total * coverage_pct) break;
    covered += count;
    profile.shapes.push_back(WeightedShape{shape, static_cast<double>(count)});
  }
  for (WeightedShape& w : profile.shapes) w.probability /= static_cast<double>(covered);
  return profile;
}

WorkloadProfile GenericWorkloadProfile() {
  WorkloadProfile p;
  auto add = [&p](int32_t count, int32_t milli, double prob) {
    p.shapes.push_back(WeightedShape{TaskShape{0, count, milli, {}}, prob});
  };
  add(1, 1000, 0.30);
  add(2, 1000, 0.10);
  add(4, 1000, 0.08);
  add(8, 1000, 0.07);
  add(1, 250, 0.15);
  add(1, 500, 0.20);
  add(1, 750, 0.10);
  return p;
}

}  // namespace fastgpu::core
