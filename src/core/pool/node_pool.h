#pragma once
// NodePool: the nodes of a cluster with what is in use on them, kept in name order, and an
// index of their free capacity that placement policies search instead of visiting every node.
//
// The index is a segment tree of CapacitySummary over the nodes in name order. BestSlot()
// searches it best-first: a policy gives an upper bound of its score for a group (from the
// group's summary) and the exact score of one node; groups that cannot beat the best node
// found so far are never opened. Nodes in the same state score the same, so a summary that
// bounds a group bounds every node in it. With N nodes a change costs O(log N), and a search
// typically opens O(log N) groups.
//
// Each node also has a stamp, a 64-bit hash of everything a policy scores by (host resources,
// devices' indexes, models and memory, readiness, usage; not names, uuids or labels): nodes in
// the same state have equal stamps and a node's stamp changes whenever its state does, so a
// policy may cache a score under a stamp (FgdPolicy does), across nodes and across copies of
// the pool. (Two different states could share a stamp with probability about 2^-64 per pair;
// a cached score is then wrong, never a placement: policies check the node they choose.)
//
// A plain value: copies are independent (specs are shared, immutable). Not thread-safe, not
// even for concurrent const use: the tree is rebuilt lazily after nodes are added. References
// to nodes stay valid until the next Upsert/Insert.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/resources.h"
#include "core/pool/capacity_summary.h"
#include "core/pool/node_state.h"

namespace fastgpu::core {

class NodePool {
 public:
  static constexpr size_t kNone = static_cast<size_t>(-1);

  size_t size() const { return nodes_.size(); }
  bool empty() const { return nodes_.empty(); }
  // Nodes by slot: slot 0 is the first by name.
  const NodeState& at(size_t slot) const { return nodes_[slot]; }
  std::vector<NodeState>::const_iterator begin() const { return nodes_.begin(); }
  std::vector<NodeState>::const_iterator end() const { return nodes_.end(); }

  // The slot of the node called `name`, or kNone.
  size_t Find(std::string_view name) const;
  // The node called `name`, or nullptr.
  const NodeState* Get(std::string_view name) const;

  // Adds a node (ready, nothing used), or replaces the spec of the node of that name, which
  // keeps its readiness and what is used on the devices whose index stays. The caller has
  // validated the spec.
  void Upsert(NodeSpec spec);
  // Adds `node` as it is (usage included), replacing any node of that name.
  void Insert(NodeState node);
  void SetReady(size_t slot, bool ready);
  // Adds (+1) or removes (-1) what `p` holds on the node at `slot` (see capacity.h AddUsage).
  void AddUsage(size_t slot, const Placement& p, int sign);

  uint64_t stamp(size_t slot) const { return stamps_[slot]; }
  int64_t free_memory(size_t slot) const { return free_memory_[slot]; }
  // The bits of the device models `r` allows (every bit when it allows any model; 0 when no
  // node has any of them).
  uint64_t ModelBits(const ResourceRequest& r) const;
  // The request as summaries check it.
  RequestFilter FilterFor(const ResourceRequest& r) const;
  // The summary of every node.
  const CapacitySummary& Total() const;

  // The tree behind the index, for caches that follow it (BestNodeCache): `width()` leaves
  // (a power of two, at least size()), tree nodes 1 .. 2 * width() - 1 with node i's children
  // at 2i and 2i + 1 and slot s at leaf width() + s. tree_hash(i) identifies the states of the
  // nodes under i, in order: equal hashes, equal states (up to 64-bit collisions).
  size_t width() const;
  uint64_t tree_hash(size_t node) const { return hash_[node]; }

  // The slot with the highest score, ties to the lowest slot (the first name), or kNone when
  // no node has a score. `score(slot)` is the node's exact score, or nullopt when it cannot
  // hold the request; `bound(summary)` is an upper bound of score over every node the summary
  // covers, or nullopt when none of them can hold the request.
  template <typename Bound, typename Score>
  size_t BestSlot(const Bound& bound, const Score& score) const;

  // Calls fn(slot) in slot order for every node whose own summary passes `admit` and for
  // which every group above it passes `admit` too (so `admit` must hold for a group whenever
  // it holds for a node of it, as MayHost does).
  template <typename Admit, typename Fn>
  void ForEach(const Admit& admit, const Fn& fn) const;

  bool operator==(const NodePool& other) const { return nodes_ == other.nodes_; }

 private:
  struct HeapEntry {
    int64_t bound;
    size_t start;  // first slot the entry covers
    size_t node;   // tree index
  };

  void Refresh(size_t slot);  // recomputes stamp, summary (and tree path) of one node
  void Rebuild() const;       // lays the tree out again
  uint64_t NodeModels(const NodeSpec& spec);
  static bool Before(const HeapEntry& a, const HeapEntry& b);  // heap order: worse first

  std::vector<NodeState> nodes_;        // name order
  std::vector<uint64_t> spec_hash_;     // per slot: hash of the spec
  std::vector<uint64_t> node_models_;   // per slot: OR of the devices' model bits
  std::vector<uint64_t> stamps_;        // per slot
  std::vector<int64_t> free_memory_;    // per slot: free host memory
  std::vector<CapacitySummary> leaves_; // per slot
  std::map<std::string, int, std::less<>> model_ids_;  // model -> bit number (63 = the rest)

  mutable bool tree_dirty_ = true;
  mutable size_t width_ = 0;                     // leaves in the tree: a power of two
  mutable std::vector<CapacitySummary> tree_;    // 1-based heap layout, 2 * width_
  mutable std::vector<uint64_t> hash_;           // same layout: stamps and their combinations
};

template <typename Bound, typename Score>
size_t NodePool::BestSlot(const Bound& bound, const Score& score) const {
  if (nodes_.empty()) return kNone;
  if (tree_dirty_) Rebuild();
  std::optional<int64_t> top = bound(tree_[1]);
  if (!top) return kNone;
  std::vector<HeapEntry> heap;
  heap.reserve(64);
  heap.push_back(HeapEntry{*top, 0, 1});
  size_t best = kNone;
  int64_t best_score = 0;
  // Whether a group with this bound, starting at `start`, can still beat the best.
  auto may_beat = [&](int64_t b, size_t start) {
    return best == kNone || b > best_score || (b == best_score && start < best);
  };
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), Before);
    const HeapEntry e = heap.back();
    heap.pop_back();
    if (!may_beat(e.bound, e.start)) break;
    if (e.node >= width_) {  // a leaf
      const size_t slot = e.node - width_;
      if (slot >= nodes_.size()) continue;
      std::optional<int64_t> s = score(slot);
      if (s && may_beat(*s, slot)) {
        best = slot;
        best_score = *s;
      }
      continue;
    }
    const size_t half = (width_ >> (63 - __builtin_clzll(e.node))) / 2;  // child width
    for (size_t child = 2 * e.node, start = e.start; child <= 2 * e.node + 1;
         ++child, start += half) {
      std::optional<int64_t> b = bound(tree_[child]);
      if (!b || !may_beat(*b, start)) continue;
      heap.push_back(HeapEntry{*b, start, child});
      std::push_heap(heap.begin(), heap.end(), Before);
    }
  }
  return best;
}

template <typename Admit, typename Fn>
void NodePool::ForEach(const Admit& admit, const Fn& fn) const {
  if (nodes_.empty()) return;
  if (tree_dirty_) Rebuild();
  size_t stack[64];
  size_t depth = 0;
  stack[depth++] = 1;
  while (depth > 0) {
    const size_t node = stack[--depth];
    if (!admit(tree_[node])) continue;
    if (node >= width_) {
      if (node - width_ < nodes_.size()) fn(node - width_);
      continue;
    }
    stack[depth++] = 2 * node + 1;  // right after left
    stack[depth++] = 2 * node;
  }
}

}  // namespace fastgpu::core
