#include "core/policy/fragmentation.h"

#include <algorithm>

namespace fastgpu::core {
namespace {

bool Allowed(const TaskShape& m, const DeviceSpec& d) {
  return m.gpu_models.empty() ||
         std::find(m.gpu_models.begin(), m.gpu_models.end(), d.model) != m.gpu_models.end();
}

}  // namespace

double NodeFragmentation(const NodeSpec& spec, int32_t cpu_free,
                         const std::vector<int32_t>& free_milli, const WorkloadProfile& profile) {
  int64_t idle_total = 0;
  for (int32_t f : free_milli) idle_total += f;
  if (idle_total == 0) return 0;
  double frag = 0;
  for (const WeightedShape& w : profile.shapes) {
    const TaskShape& m = w.shape;
    int64_t f = idle_total;
    if (m.gpu_count > 0 && m.cpu_milli <= cpu_free) {
      int32_t serving = 0;
      int64_t stranded = 0;
      for (size_t i = 0; i < free_milli.size(); ++i) {
        if (free_milli[i] >= m.gpu_milli && Allowed(m, spec.devices[i])) {
          ++serving;
        } else {
          stranded += free_milli[i];
        }
      }
      if (serving >= m.gpu_count) f = stranded;
    }
    frag += w.probability * static_cast<double>(f);
  }
  return frag;
}

}  // namespace fastgpu::core
