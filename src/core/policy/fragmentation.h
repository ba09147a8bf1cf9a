#pragma once
// The fragmentation measure of FGD (ATC '23, pkg/utils/frag.go), generalised to nodes whose
// devices may differ in model. For one node and a workload profile:
//   F_n = sum over typical tasks m of p_m * f_n(m), where
//   f_n(m) = all idle GPU milli of n      if m asks for no GPU, or m cannot run on n now
//                                          (cpu, or too few devices of an allowed model with
//                                          m's per-GPU milli free);
//          = the idle milli of the devices that cannot serve m (wrong model, or less free
//            than m's per-GPU milli)       otherwise.
// Memory is in no term, as in FGD. Pure; doubles are scores only.

#include <cstdint>
#include <string>
#include <vector>

#include "core/model/resources.h"
#include "core/policy/workload_profile.h"

namespace fastgpu::core {

// `free_milli[i]` is the free compute of spec.devices[i]; `cpu_free` the node's free cpu.
// For one evaluation; a FragmentationMeter does the per-model work once for many.
double NodeFragmentation(const NodeSpec& spec, int32_t cpu_free,
                         const std::vector<int32_t>& free_milli, const WorkloadProfile& profile);

// F_n for nodes whose devices have given models, with which profile shapes each device may
// serve worked out once. Immutable after construction; safe for concurrent use.
class FragmentationMeter {
 public:
  // `models[i]` is the model of device i.
  FragmentationMeter(const WorkloadProfile& profile, const std::vector<std::string>& models);
  // `free_milli` has one entry per device.
  double Measure(int32_t cpu_free, const int32_t* free_milli) const;
  size_t devices() const { return devices_; }

 private:
  struct Term {
    int32_t cpu_milli;
    int32_t gpu_count;
    int32_t gpu_milli;
    double probability;
    std::vector<bool> allowed;  // per device
  };
  std::vector<Term> terms_;
  size_t devices_;
};

}  // namespace fastgpu::core
