#include "core/policy/fgd_policy.h"

#include <cmath>
#include <tuple>

#include "core/capacity.h"
#include "core/policy/fit.h"
#include "core/policy/fragmentation.h"

namespace fastgpu::core {
namespace {

std::vector<int32_t> FreeMilliOf(const NodeState& n) {
  std::vector<int32_t> out(n.spec.devices.size());
  for (size_t pos = 0; pos < out.size(); ++pos) out[pos] = FreeMilli(n, pos);
  return out;
}

// The paper simulator's integer node score.
int PaperScore(double delta) {
  return static_cast<int>(100.0 / (1.0 + std::exp(delta / 1000.0)));
}

// fgd+ buckets the paper's 0..100 score by this step: near-equal gradients become ties that
// go to the first node in order, which packs (see docs/scheduler.md).
constexpr int kPlusScoreStep = 2;

}  // namespace

FgdPolicy::FgdPolicy(WorkloadProfile profile, Variant variant)
    : profile_(std::move(profile)), variant_(variant) {}

std::string_view FgdPolicy::name() const {
  return variant_ == Variant::kPaper ? kPaperName : kPlusName;
}

int FgdPolicy::ShapeId(const ResourceRequest& r) const {
  auto key = std::make_pair(ShapeOf(r), r.gpu_memory_mib);
  auto [it, inserted] = shape_ids_.emplace(std::move(key), static_cast<int>(shape_ids_.size()));
  return it->second;
}

FgdPolicy::Eval FgdPolicy::Evaluate(const NodeState& node, double before,
                                    const ResourceRequest& r) const {
  Eval e;
  std::vector<int32_t> free = FreeMilliOf(node);
  const int32_t cpu_after = FreeCpu(node) - r.cpu_milli;
  switch (KindOf(r)) {
    case RequestKind::kNoGpu:
      e.feasible = true;
      e.delta = NodeFragmentation(node.spec, cpu_after, free, profile_) - before;
      return e;
    case RequestKind::kWholeGpus:
      e.positions = LowestIdleDevices(r, node);
      if (e.positions.empty()) return e;
      for (size_t pos : e.positions) free[pos] = 0;
      e.feasible = true;
      e.delta = NodeFragmentation(node.spec, cpu_after, free, profile_) - before;
      return e;
    case RequestKind::kSlice:
      break;
  }
  for (size_t pos : SliceDevices(r, node)) {
    const int32_t had = free[pos];
    free[pos] = had - r.gpu_milli;
    const double delta = NodeFragmentation(node.spec, cpu_after, free, profile_) - before;
    free[pos] = had;
    if (!e.feasible || delta < e.delta) {  // first index on ties
      e.feasible = true;
      e.delta = delta;
      e.positions = {pos};
    }
  }
  return e;
}

const FgdPolicy::Eval& FgdPolicy::EvalFor(const NodeState& node, int shape_id,
                                          const ResourceRequest& r) const {
  NodeMemo& m = memo_[node.spec.name];
  if (m.used != node.used || m.used_cpu_milli != node.used_cpu_milli ||
      m.cpu_milli != node.spec.cpu_milli || m.devices != node.spec.devices || m.evals.empty()) {
    m.used = node.used;
    m.used_cpu_milli = node.used_cpu_milli;
    m.cpu_milli = node.spec.cpu_milli;
    m.devices = node.spec.devices;
    m.before = NodeFragmentation(node.spec, FreeCpu(node), FreeMilliOf(node), profile_);
    m.evals.clear();
  }
  for (const auto& [id, eval] : m.evals) {
    if (id == shape_id) return eval;
  }
  m.evals.emplace_back(shape_id, Evaluate(node, m.before, r));
  return m.evals.back().second;
}

std::optional<Placement> FgdPolicy::Place(const QueuedJob& job,
                                          const std::map<std::string, NodeState>& nodes,
                                          Rng& /*rng*/) const {
  const ResourceRequest& r = job.request;
  if (!RequestShapeError(r).empty()) return std::nullopt;
  if (memo_.size() > 2 * nodes.size() + 64) memo_.clear();
  const int shape_id = ShapeId(r);
  const NodeState* best = nullptr;
  const Eval* best_eval = nullptr;
  int best_score = 0;
  for (const auto& [name, node] : nodes) {  // by name: first wins ties
    if (!NodeUsable(r, node)) continue;
    const Eval& e = EvalFor(node, shape_id, r);
    if (!e.feasible) continue;
    // fgd+ compares the paper's score at half its resolution (kPlusScoreStep).
    const int step = variant_ == Variant::kPaper ? 1 : kPlusScoreStep;
    const int score = PaperScore(e.delta) / step;
    const bool better = best == nullptr || score > best_score;
    if (better) best_score = score;
    if (better) {
      best = &node;
      best_eval = &e;
    }
  }
  if (best == nullptr) return std::nullopt;
  return BuildPlacement(r, *best, best_eval->positions);
}

}  // namespace fastgpu::core
