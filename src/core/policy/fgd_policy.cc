#include "core/policy/fgd_policy.h"

#include <algorithm>
#include <cmath>

#include "core/capacity.h"
#include "core/policy/fit.h"

namespace fastgpu::core {
namespace {

// The paper simulator's integer node score.
int PaperScore(double delta) {
  return static_cast<int>(100.0 / (1.0 + std::exp(delta / 1000.0)));
}

// fgd+: a whole-GPU or CPU-only request takes the first node in order whose score is within
// this much of the best (below kMultiGpuShareLimit); a slice takes the best score exactly.
constexpr int64_t kPlusTolerance = 1;

// FGD's typical tasks cover this percent of the workload's tasks.
constexpr int kPaperCoveragePct = 95;

}  // namespace

FgdPolicy::FgdPolicy(const WorkloadProfile& profile, Variant variant)
    : profile_(variant == Variant::kPaper ? TypicalShapes(profile, kPaperCoveragePct) : profile),
      variant_(variant),
      tolerance_(variant == Variant::kPlus && MultiGpuDemandShare(profile) < kMultiGpuShareLimit
                     ? kPlusTolerance
                     : 0) {}

std::string_view FgdPolicy::name() const {
  return variant_ == Variant::kPaper ? kPaperName : kPlusName;
}

const FragmentationMeter& FgdPolicy::MeterFor(const NodeState& n) const {
  auto it = meter_of_spec_.find(n.spec_ptr.get());
  if (it != meter_of_spec_.end()) return *it->second.second;
  if (meter_of_spec_.size() > 65536) meter_of_spec_.clear();
  std::vector<std::string> models;
  for (const DeviceSpec& d : n.spec().devices) models.push_back(d.model);
  auto meter = meters_.find(models);
  if (meter == meters_.end()) {
    meter = meters_.emplace(models, FragmentationMeter(profile_, models)).first;
  }
  meter_of_spec_.emplace(n.spec_ptr.get(), std::make_pair(n.spec_ptr, &meter->second));
  return meter->second;
}

int64_t FgdPolicy::Score(const NodeState& n, const ResourceRequest& r,
                         std::vector<size_t>* positions) const {
  if (!NodeUsable(r, n)) return kCannot;
  const FragmentationMeter& meter = MeterFor(n);
  const size_t count = n.spec().devices.size();
  int32_t free_buf[64];
  std::vector<int32_t> free_big;
  int32_t* free = free_buf;
  if (count > 64) {
    free_big.resize(count);
    free = free_big.data();
  }
  for (size_t pos = 0; pos < count; ++pos) free[pos] = FreeMilli(n, pos);
  const double before = meter.Measure(FreeCpu(n), free);
  const int32_t cpu_after = FreeCpu(n) - r.cpu_milli;
  std::vector<size_t> chosen;
  double delta = 0;
  switch (KindOf(r)) {
    case RequestKind::kNoGpu:
      delta = meter.Measure(cpu_after, free) - before;
      break;
    case RequestKind::kWholeGpus: {
      chosen = LowestIdleDevices(r, n);
      if (chosen.empty()) return kCannot;
      for (size_t pos : chosen) free[pos] = 0;
      delta = meter.Measure(cpu_after, free) - before;
      break;
    }
    case RequestKind::kSlice: {
      bool found = false;
      for (size_t pos : SliceDevices(r, n)) {
        // A device with the same free compute and model as one tried before gives the same
        // fragmentation: the earlier (lower index) one wins the tie anyway.
        bool seen = false;
        for (size_t prev = 0; prev < pos && !seen; ++prev) {
          seen = free[prev] == free[pos] && SliceFits(r, n, prev) &&
                 n.spec().devices[prev].model == n.spec().devices[pos].model;
        }
        if (seen) continue;
        const int32_t had = free[pos];
        free[pos] = had - r.gpu_milli;
        const double d = meter.Measure(cpu_after, free) - before;
        free[pos] = had;
        if (!found || d < delta) {  // first index on ties
          found = true;
          delta = d;
          chosen = {pos};
        }
      }
      if (!found) return kCannot;
      break;
    }
  }
  if (positions != nullptr) *positions = std::move(chosen);
  return PaperScore(delta);
}

std::optional<Placement> FgdPolicy::Place(const QueuedJob& job, const NodePool& nodes,
                                          Rng& rng) const {
  const ResourceRequest& r = job.request;
  if (!RequestShapeError(r).empty() || nodes.empty()) return std::nullopt;
  ShapeCaches::Entry& cache = *caches_.For(r, nodes.width());
  auto score = [&](size_t slot) -> std::optional<int64_t> {
    auto it = cache.by_stamp.find(nodes.stamp(slot));
    if (it == cache.by_stamp.end()) {
      it = cache.by_stamp.emplace(nodes.stamp(slot), Score(nodes.at(slot), r, nullptr)).first;
    }
    if (it->second == kCannot) return std::nullopt;
    return it->second;
  };
  size_t best = cache.best.Best(nodes, score);
  if (best == NodePool::kNone) return std::nullopt;
  if (tolerance_ > 0 && KindOf(r) != RequestKind::kSlice) {
    best = cache.best.FirstAtLeast(nodes, score, *score(best) - tolerance_);
  }
  std::vector<size_t> positions;
  const NodeState& n = nodes.at(best);
  if (Score(n, r, &positions) == kCannot) {
    // Two states shared a stamp (about 2^-64 per pair): start over with fresh caches.
    caches_ = ShapeCaches(/*warmup=*/1);
    return Place(job, nodes, rng);
  }
  return BuildPlacement(r, n, positions);
}

}  // namespace fastgpu::core
