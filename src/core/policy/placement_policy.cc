#include "core/policy/placement_policy.h"

#include <algorithm>
#include <cstdint>

#include "common/units.h"
#include "core/capacity.h"
#include "core/policy/bestfit_policy.h"
#include "core/policy/fgd_policy.h"
#include "core/policy/pack_policy.h"
#include "core/policy/random_policy.h"
#include "core/policy/spread_policy.h"

namespace fastgpu::core {
namespace {

// The registry. A new policy is one file pair plus one line here.
using Made = std::unique_ptr<PlacementPolicy>;
struct PolicyEntry {
  std::string_view name;
  Made (*make)(const PolicyOptions&);
};

WorkloadProfile ProfileOf(const PolicyOptions& o) {
  return o.workload ? *o.workload : GenericWorkloadProfile();
}

constexpr PolicyEntry kPolicies[] = {
    {FgdPolicy::kPlusName,
     [](const PolicyOptions& o) -> Made {
       return std::make_unique<FgdPolicy>(ProfileOf(o), FgdPolicy::Variant::kPlus);
     }},
    {FgdPolicy::kPaperName,
     [](const PolicyOptions& o) -> Made {
       return std::make_unique<FgdPolicy>(ProfileOf(o), FgdPolicy::Variant::kPaper);
     }},
    {BestFitPolicy::kName,
     [](const PolicyOptions&) -> Made { return std::make_unique<BestFitPolicy>(); }},
    {PackPolicy::kName, [](const PolicyOptions&) -> Made { return std::make_unique<PackPolicy>(); }},
    {SpreadPolicy::kName,
     [](const PolicyOptions&) -> Made { return std::make_unique<SpreadPolicy>(); }},
    {RandomPolicy::kName,
     [](const PolicyOptions&) -> Made { return std::make_unique<RandomPolicy>(); }},
};

constexpr std::string_view kDefaultPolicy = FgdPolicy::kPlusName;

// Why the node's devices can never hold r's GPUs, or "" when they can.
std::string GpuMisfit(const ResourceRequest& r, const NodeSpec& node) {
  std::vector<const DeviceSpec*> allowed;
  for (const DeviceSpec& d : node.devices) {
    if (ModelAllowed(r, d)) allowed.push_back(&d);
  }
  if (allowed.empty() && !r.gpu_models.empty()) return "no device of model " + ModelList(r);
  const std::string of_model = r.gpu_models.empty() ? "" : " of model " + ModelList(r);
  if (KindOf(r) == RequestKind::kWholeGpus) {
    if (allowed.size() >= static_cast<size_t>(r.gpu_count)) return "";
    return "needs " + GpuCount(r.gpu_count) + ", node has " +
           std::to_string(allowed.size()) + of_model;
  }
  if (allowed.empty()) return "needs " + FormatGpuMilli(r.gpu_milli) + " GPU, node has none";
  int64_t largest = 0;
  for (const DeviceSpec* d : allowed) {
    if (SliceOn(r, *d).memory_mib <= d->memory_mib) return "";
    largest = std::max(largest, d->memory_mib);
  }
  return "needs " + FormatGpuMilli(r.gpu_milli) + " GPU with " + FormatMiB(r.gpu_memory_mib) +
         " of memory; largest device has " + FormatMiB(largest);
}

}  // namespace

std::string_view DefaultPlacementPolicyName() { return kDefaultPolicy; }

Result<std::unique_ptr<PlacementPolicy>> MakePlacementPolicy(std::string_view name,
                                                             const PolicyOptions& options) {
  if (name.empty()) name = kDefaultPolicy;
  std::string known;
  for (const PolicyEntry& entry : kPolicies) {
    if (entry.name == name) return entry.make(options);
    known += (known.empty() ? "" : ", ") + std::string(entry.name);
  }
  return InvalidArgument("unknown placement policy '" + std::string(name) + "' (known: " +
                             known + ")",
                         "policy");
}

std::vector<std::string_view> PlacementPolicyNames() {
  std::vector<std::string_view> names;
  for (const PolicyEntry& entry : kPolicies) names.push_back(entry.name);
  return names;
}

bool FitsTotal(const QueuedJob& job, const NodeSpec& node, std::string* reason) {
  const ResourceRequest& r = job.request;
  std::string why = RequestShapeError(r);
  if (why.empty() && KindOf(r) != RequestKind::kNoGpu) why = GpuMisfit(r, node);
  if (why.empty() && r.cpu_milli > node.cpu_milli) {
    why = "needs " + FormatCpuMilli(r.cpu_milli) + ", node has " + FormatCpuMilli(node.cpu_milli);
  }
  if (why.empty() && r.memory_mib > node.memory_mib) {
    why = "needs " + FormatMiB(r.memory_mib) + " of memory, node has " +
          FormatMiB(node.memory_mib);
  }
  if (reason != nullptr) *reason = why;
  return why.empty();
}

}  // namespace fastgpu::core

namespace fastgpu::core {

bool CouldEverFit(const QueuedJob& job, const NodePool& nodes) {
  const int32_t want = std::max(1, job.request.nodes);
  int32_t found = 0;
  for (const NodeState& node : nodes) {
    if (FitsTotal(job, node.spec(), nullptr) && ++found >= want) return true;
  }
  return false;
}

}  // namespace fastgpu::core
