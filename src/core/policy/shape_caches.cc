#include "core/policy/shape_caches.h"

#include <algorithm>
#include <tuple>

namespace fastgpu::core {
namespace {

constexpr size_t kMaxSeen = 1 << 16;

auto Tie(const ResourceRequest& r) {
  return std::tie(r.gpu_count, r.gpu_milli, r.gpu_memory_mib, r.cpu_milli, r.memory_mib,
                  r.gpu_models, r.nodes);
}

}  // namespace

bool ShapeCaches::Less::operator()(const ResourceRequest& a, const ResourceRequest& b) const {
  return Tie(a) < Tie(b);
}

bool ShapeCaches::KeyLess::operator()(const Key& a, const Key& b) const {
  if (a.second != b.second) return a.second < b.second;
  return Less()(a.first, b.first);
}

ShapeCaches::Entry* ShapeCaches::For(const ResourceRequest& r, size_t width) {
  Key key{r, width};
  auto it = shapes_.find(key);
  if (it == shapes_.end()) {
    if (warmup_ > 1) {
      if (seen_.size() >= kMaxSeen) seen_.clear();
      if (++seen_[r] < warmup_) return nullptr;
    }
    const size_t need = 2 * width;
    while (!shapes_.empty() && entries_ + need > budget_) {
      auto oldest = std::min_element(shapes_.begin(), shapes_.end(), [](const auto& a, const auto& b) {
        return a.second.last_used < b.second.last_used;
      });
      entries_ -= std::min(entries_, 2 * oldest->first.second);
      shapes_.erase(oldest);
    }
    it = shapes_.emplace(std::move(key), Entry{}).first;
    entries_ += need;
  }
  Entry& e = it->second;
  e.last_used = ++uses_;
  if (e.by_stamp.size() > 4 * width + 1024) e.by_stamp.clear();
  return &e;
}

}  // namespace fastgpu::core
