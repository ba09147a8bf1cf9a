#include "core/queue/queue_sorter.h"

#include <algorithm>
#include <functional>
#include <map>
#include <string>

namespace fastgpu::core {
namespace {

class FifoPass final : public QueuePass {
 public:
  explicit FifoPass(const ClusterState& state) : order_(state.QueueOrder()) {}
  const QueuedJob* Next() override { return next_ < order_.size() ? order_[next_++] : nullptr; }

 private:
  std::vector<const QueuedJob*> order_;
  size_t next_ = 0;
};

class FifoSorter final : public QueueSorter {
 public:
  std::string_view name() const override { return "fifo"; }
  std::unique_ptr<QueuePass> Start(const ClusterState& state, const TenantUsage&,
                                   const QueueOptions&) const override {
    return std::make_unique<FifoPass>(state);
  }
};

class DrfPass final : public QueuePass {
 public:
  DrfPass(const ClusterState& state, const TenantUsage& usage, const QueueOptions& options)
      : usage_(usage), options_(options) {
    for (const auto& [id, job] : state.queued()) levels_[job.priority][job.tenant].jobs.push_back(&job);
    for (auto& [priority, tenants] : levels_) {
      for (auto& [tenant, queue] : tenants) {
        std::sort(queue.jobs.begin(), queue.jobs.end(), [](const QueuedJob* a, const QueuedJob* b) {
          return a->submit_ms != b->submit_ms ? a->submit_ms < b->submit_ms : a->id < b->id;
        });
      }
    }
    level_ = levels_.begin();
  }

  const QueuedJob* Next() override {
    for (; level_ != levels_.end(); ++level_) {
      TenantQueue* best = nullptr;
      const std::string* best_name = nullptr;
      for (auto& [tenant, queue] : level_->second) {
        if (queue.next == queue.jobs.size()) continue;
        if (best == nullptr || Before(tenant, *best_name)) {
          best = &queue;
          best_name = &tenant;
        }
      }
      if (best != nullptr) return best->jobs[best->next++];
    }
    return nullptr;
  }

 private:
  struct TenantQueue {
    std::vector<const QueuedJob*> jobs;
    size_t next = 0;
  };

  // Whether tenant `a` goes before `b` (b is the best so far, so names tie towards b < a).
  bool Before(const std::string& a, const std::string& b) const {
    const bool a_below = usage_.BelowGuarantee(a, options_);
    const bool b_below = usage_.BelowGuarantee(b, options_);
    if (a_below != b_below) return a_below;
    return usage_.LowerShare(a, b, options_);
  }

  const TenantUsage& usage_;
  const QueueOptions& options_;
  std::map<int32_t, std::map<std::string, TenantQueue>, std::greater<>> levels_;
  decltype(levels_)::iterator level_;
};

class DrfSorter final : public QueueSorter {
 public:
  std::string_view name() const override { return "drf"; }
  std::unique_ptr<QueuePass> Start(const ClusterState& state, const TenantUsage& usage,
                                   const QueueOptions& options) const override {
    return std::make_unique<DrfPass>(state, usage, options);
  }
};

}  // namespace

Result<std::unique_ptr<QueueSorter>> MakeQueueSorter(std::string_view name) {
  if (name.empty() || name == "drf") return std::unique_ptr<QueueSorter>(new DrfSorter());
  if (name == "fifo") return std::unique_ptr<QueueSorter>(new FifoSorter());
  return InvalidArgument("unknown queue sorter '" + std::string(name) + "' (known: drf, fifo)",
                         "sorter");
}

}  // namespace fastgpu::core
