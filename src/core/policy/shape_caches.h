#pragma once
// ShapeCaches: a policy's BestNodeCaches, one per request shape (the whole ResourceRequest)
// and pool width, within a memory budget (least recently used shapes are dropped first).
// A shape gets a cache from its `warmup`-th query on: building one scores every node once, so
// a shape asked for only once is cheaper to answer by a search of the pool's index.
// Each entry also has a memo of scores by node stamp, for policies whose score is costly
// (nodes in the same state score the same). Not thread-safe.

#include <cstddef>
#include <cstdint>
#include <map>
#include <unordered_map>
#include <utility>

#include "core/model/resources.h"
#include "core/pool/best_node_cache.h"

namespace fastgpu::core {

class ShapeCaches {
 public:
  struct Entry {
    BestNodeCache best;
    std::unordered_map<uint64_t, int64_t> by_stamp;  // the policy's own memo; bounded here
    uint64_t last_used = 0;
  };

  // `budget` bounds the BestNodeCache entries kept over all shapes.
  explicit ShapeCaches(int warmup = 2, size_t budget = size_t{2} << 20)
      : warmup_(warmup), budget_(budget) {}

  // The entry of `r` on pools of `width` leaves, or nullptr while `r` has been asked for
  // fewer than `warmup` times. Pointers stay valid until the next call.
  Entry* For(const ResourceRequest& r, size_t width);

 private:
  struct Less {
    bool operator()(const ResourceRequest& a, const ResourceRequest& b) const;
  };
  using Key = std::pair<ResourceRequest, size_t>;
  struct KeyLess {
    bool operator()(const Key& a, const Key& b) const;
  };

  int warmup_;
  size_t budget_;
  size_t entries_ = 0;  // BestNodeCache entries of every shape, as of their last use
  uint64_t uses_ = 0;
  std::map<Key, Entry, KeyLess> shapes_;
  std::map<ResourceRequest, int, Less> seen_;  // queries of shapes without an entry yet
};

// The best slot for `r`: from its cache once the shape is warm, else by a best-first search of
// the pool's index with `bound` (see NodePool::BestSlot). Both give the same answer.
template <typename Bound, typename Score>
size_t CachedBestSlot(ShapeCaches& caches, const ResourceRequest& r, const NodePool& nodes,
                      const Bound& bound, const Score& score) {
  ShapeCaches::Entry* cached = caches.For(r, nodes.width());
  return cached != nullptr ? cached->best.Best(nodes, score) : nodes.BestSlot(bound, score);
}

}  // namespace fastgpu::core
