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
  const double total = static_cast<double>(tasks.size());
  WorkloadProfile all;
  for (const auto& [shape, count] : ranked) {
    all.shapes.push_back(WeightedShape{shape, static_cast<double>(count) / total, count});
  }
  return coverage_pct >= 100 ? all : TypicalShapes(all, coverage_pct);
}

WorkloadProfile TypicalShapes(const WorkloadProfile& profile, int coverage_pct) {
  const std::vector<WeightedShape>& shapes = profile.shapes;
  const bool counted = !shapes.empty() && std::all_of(shapes.begin(), shapes.end(),
                                                      [](const auto& w) { return w.count > 0; });
  // Counts are exact in a double, so the counted cut is integer arithmetic.
  auto weight = [&](size_t i) {
    return counted ? static_cast<double>(shapes[i].count) : shapes[i].probability;
  };
  std::vector<size_t> order(shapes.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return weight(a) > weight(b); });
  double total = 0;
  for (size_t i = 0; i < shapes.size(); ++i) total += weight(i);
  std::vector<bool> kept(shapes.size(), false);
  size_t kept_count = 0;
  double covered = 0;
  for (size_t i : order) {
    if (covered * 100 >= total * coverage_pct) break;
    covered += weight(i);
    kept[i] = true;
    ++kept_count;
  }
  if (kept_count == shapes.size()) return profile;
  WorkloadProfile typical;
  for (size_t i = 0; i < shapes.size(); ++i) {
    if (!kept[i]) continue;
    typical.shapes.push_back(shapes[i]);
    typical.shapes.back().probability = weight(i) / covered;
  }
  return typical;
}

double MultiGpuDemandShare(const WorkloadProfile& profile) {
  double all = 0;
  double multi = 0;
  for (const WeightedShape& w : profile.shapes) {
    const double demand = w.probability * w.shape.gpu_count * w.shape.gpu_milli;
    all += demand;
    if (w.shape.gpu_count >= 2) multi += demand;
  }
  return all > 0 ? multi / all : 0;
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
