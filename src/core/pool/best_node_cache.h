#pragma once
// BestNodeCache: for one request, the node with the highest score in a NodePool, kept up to
// date cheaply. It mirrors the pool's tree: for every tree node it keeps the best (score,
// slot) below it and the pool's tree_hash for which that was computed. Best() walks down only
// where the hashes differ, so after k nodes changed it scores O(k log N) nodes instead of N.
// Because the hashes identify states, not pools, one cache serves copies of a pool (a Plan's
// scratch copy, the state it came from) and unrelated pools of the same width alike.
//
// The score must be a function of the node's state only (spec, readiness, usage: what the
// stamp covers) and of things fixed for the cache's lifetime (the request, the policy's
// options). Not thread-safe.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "core/pool/node_pool.h"

namespace fastgpu::core {

class BestNodeCache {
 public:
  // The slot with the highest score(slot) (an std::optional<int64_t>; nullopt: the node
  // cannot hold the request), ties to the lowest slot; NodePool::kNone when no node has one.
  template <typename Score>
  size_t Best(const NodePool& pool, const Score& score);

  // The lowest slot whose score is at least `threshold`; NodePool::kNone when none is. Walks
  // down the tree by the best score of each half, so it costs O(log N) after Best().
  template <typename Score>
  size_t FirstAtLeast(const NodePool& pool, const Score& score, int64_t threshold);

  // Tree nodes kept (24 bytes each).
  size_t entries() const { return nodes_.size(); }

 private:
  static constexpr int64_t kNoScore = std::numeric_limits<int64_t>::min();
  template <typename Score>
  void Sync(const NodePool& pool, size_t node, const Score& score);

  // One per tree node, together so that a visit touches one cache line.
  struct Node {
    uint64_t hash = 0;  // the pool's tree_hash this was computed for; 0: never
    int64_t score = kNoScore;
    size_t slot = NodePool::kNone;
  };
  size_t width_ = 0;
  std::vector<Node> nodes_;
};

template <typename Score>
size_t BestNodeCache::Best(const NodePool& pool, const Score& score) {
  if (pool.empty()) return NodePool::kNone;
  const size_t width = pool.width();
  if (width != width_) {
    width_ = width;
    nodes_.assign(2 * width, Node{});
  }
  Sync(pool, 1, score);
  return nodes_[1].score == kNoScore ? NodePool::kNone : nodes_[1].slot;
}

template <typename Score>
size_t BestNodeCache::FirstAtLeast(const NodePool& pool, const Score& score, int64_t threshold) {
  if (Best(pool, score) == NodePool::kNone || nodes_[1].score < threshold) return NodePool::kNone;
  size_t node = 1;
  while (node < width_) {
    const size_t left = 2 * node;
    Sync(pool, left, score);  // already in sync after Best(): a no-op
    node = nodes_[left].score >= threshold ? left : left + 1;
    Sync(pool, node, score);
  }
  return node - width_;
}

template <typename Score>
void BestNodeCache::Sync(const NodePool& pool, size_t node, const Score& score) {
  const uint64_t want = pool.tree_hash(node);
  if (nodes_[node].hash == want) return;
  if (node >= width_) {
    const size_t slot = node - width_;
    std::optional<int64_t> s;
    if (slot < pool.size()) s = score(slot);
    nodes_[node] = Node{want, s ? *s : kNoScore, s ? slot : NodePool::kNone};
    return;
  }
  const size_t left = 2 * node;
  Sync(pool, left, score);
  Sync(pool, left + 1, score);
  const Node& from = nodes_[left].score >= nodes_[left + 1].score ? nodes_[left] : nodes_[left + 1];
  nodes_[node] = Node{want, from.score, from.slot};  // left wins ties
}

}  // namespace fastgpu::core
