#include "core/policy/fragmentation.h"

#include <algorithm>

namespace fastgpu::core {
namespace {

bool Allowed(const TaskShape& m, const std::string& model) {
  return m.gpu_models.empty() ||
         std::find(m.gpu_models.begin(), m.gpu_models.end(), model) != m.gpu_models.end();
}

}  // namespace

double NodeFragmentation(const NodeSpec& spec, int32_t cpu_free,
                         const std::vector<int32_t>& free_milli, const WorkloadProfile& profile) {
  std::vector<std::string> models;
  for (const DeviceSpec& d : spec.devices) models.push_back(d.model);
  return FragmentationMeter(profile, models).Measure(cpu_free, free_milli.data());
}

FragmentationMeter::FragmentationMeter(const WorkloadProfile& profile,
                                       const std::vector<std::string>& models)
    : devices_(models.size()) {
  terms_.reserve(profile.shapes.size());
  for (const WeightedShape& w : profile.shapes) {
    Term t{w.shape.cpu_milli, w.shape.gpu_count, w.shape.gpu_milli, w.probability, {}};
    t.allowed.resize(models.size());
    for (size_t i = 0; i < models.size(); ++i) t.allowed[i] = Allowed(w.shape, models[i]);
    terms_.push_back(std::move(t));
  }
}

double FragmentationMeter::Measure(int32_t cpu_free, const int32_t* free_milli) const {
  int64_t idle_total = 0;
  for (size_t i = 0; i < devices_; ++i) idle_total += free_milli[i];
  if (idle_total == 0) return 0;
  double frag = 0;
  for (const Term& t : terms_) {
    int64_t f = idle_total;
    if (t.gpu_count > 0 && t.cpu_milli <= cpu_free) {
      int32_t serving = 0;
      int64_t stranded = 0;
      for (size_t i = 0; i < devices_; ++i) {
        if (free_milli[i] >= t.gpu_milli && t.allowed[i]) {
          ++serving;
        } else {
          stranded += free_milli[i];
        }
      }
      if (serving >= t.gpu_count) f = stranded;
    }
    frag += t.probability * static_cast<double>(f);
  }
  return frag;
}

}  // namespace fastgpu::core
