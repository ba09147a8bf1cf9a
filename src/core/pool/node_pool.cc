#include "core/pool/node_pool.h"

#include <algorithm>
#include <utility>

#include "core/capacity.h"

namespace fastgpu::core {
namespace {

constexpr int kOtherModelsBit = 63;  // models past the 63rd share one bit: never pruned apart

// FNV-1a style mixing of 64-bit words and strings; only equality of stamps matters.
class Hasher {
 public:
  void Add(uint64_t v) {
    h_ ^= v + 0x9e3779b97f4a7c15ULL + (h_ << 6) + (h_ >> 2);
    h_ *= 0x100000001b3ULL;
  }
  void Add(std::string_view s) {
    Add(s.size());
    for (char c : s) Add(static_cast<uint64_t>(static_cast<unsigned char>(c)));
  }
  uint64_t value() const { return h_ | 1; }  // never 0: 0 marks "no stamp" in caches

 private:
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

// Names, uuids and labels are left out: no policy scores by them (ties go by slot), so two
// nodes that differ only there get the same stamp and may share a cached score.
uint64_t HashSpec(const NodeSpec& spec) {
  Hasher h;
  h.Add(static_cast<uint64_t>(spec.cpu_milli));
  h.Add(static_cast<uint64_t>(spec.memory_mib));
  for (const DeviceSpec& d : spec.devices) {
    h.Add(static_cast<uint64_t>(d.index));
    h.Add(d.model);
    h.Add(static_cast<uint64_t>(d.memory_mib));
    h.Add(d.healthy ? 1 : 2);  // health changes what the device offers: caches must see it
  }
  return h.value();
}

uint64_t HashUsage(uint64_t spec_hash, const NodeState& n) {
  Hasher h;
  h.Add(spec_hash);
  h.Add(n.ready ? 1 : 2);
  h.Add(static_cast<uint64_t>(n.used_cpu_milli));
  h.Add(static_cast<uint64_t>(n.used_memory_mib));
  for (const Slice& s : n.used) {
    h.Add(static_cast<uint64_t>(s.milli));
    h.Add(static_cast<uint64_t>(s.memory_mib));
  }
  return h.value();
}

// The hash of a tree node from its children's (order matters).
uint64_t Combine(uint64_t left, uint64_t right) {
  Hasher h;
  h.Add(left);
  h.Add(right);
  return h.value();
}

constexpr uint64_t kEmptyLeafHash = 1;  // a leaf past the last slot

}  // namespace

size_t NodePool::Find(std::string_view name) const {
  auto it = std::lower_bound(nodes_.begin(), nodes_.end(), name,
                             [](const NodeState& n, std::string_view v) { return n.spec().name < v; });
  if (it == nodes_.end() || it->spec().name != name) return kNone;
  return static_cast<size_t>(it - nodes_.begin());
}

const NodeState* NodePool::Get(std::string_view name) const {
  const size_t slot = Find(name);
  return slot == kNone ? nullptr : &nodes_[slot];
}

void NodePool::Upsert(NodeSpec spec) {
  const size_t slot = Find(spec.name);
  if (slot == kNone) {
    Insert(NodeState(std::move(spec)));
    return;
  }
  nodes_[slot].ReplaceSpec(std::move(spec));
  spec_hash_[slot] = HashSpec(nodes_[slot].spec());
  node_models_[slot] = NodeModels(nodes_[slot].spec());
  Refresh(slot);
}

void NodePool::Insert(NodeState node) {
  size_t slot = Find(node.spec().name);
  if (slot == kNone) {
    auto it = std::lower_bound(
        nodes_.begin(), nodes_.end(), node.spec().name,
        [](const NodeState& n, const std::string& v) { return n.spec().name < v; });
    slot = static_cast<size_t>(it - nodes_.begin());
    const auto at = static_cast<std::ptrdiff_t>(slot);
    nodes_.insert(it, NodeState());
    spec_hash_.insert(spec_hash_.begin() + at, 0);
    node_models_.insert(node_models_.begin() + at, 0);
    stamps_.insert(stamps_.begin() + at, 0);
    free_memory_.insert(free_memory_.begin() + at, 0);
    leaves_.insert(leaves_.begin() + at, CapacitySummary{});
    tree_dirty_ = true;  // slots after this one moved
  }
  nodes_[slot] = std::move(node);
  spec_hash_[slot] = HashSpec(nodes_[slot].spec());
  node_models_[slot] = NodeModels(nodes_[slot].spec());
  Refresh(slot);
}

void NodePool::SetReady(size_t slot, bool ready) {
  if (nodes_[slot].ready == ready) return;
  nodes_[slot].ready = ready;
  Refresh(slot);
}

void NodePool::AddUsage(size_t slot, const Placement& p, int sign) {
  core::AddUsage(p, sign, nodes_[slot]);
  Refresh(slot);
}

uint64_t NodePool::ModelBits(const ResourceRequest& r) const {
  if (r.gpu_models.empty()) return ~uint64_t{0};
  uint64_t bits = 0;
  for (const std::string& m : r.gpu_models) {
    auto it = model_ids_.find(m);
    if (it != model_ids_.end()) bits |= uint64_t{1} << it->second;
  }
  return bits;
}

RequestFilter NodePool::FilterFor(const ResourceRequest& r) const {
  RequestFilter f;
  f.cpu_milli = r.cpu_milli;
  f.memory_mib = r.memory_mib;
  switch (KindOf(r)) {
    case RequestKind::kNoGpu:
      break;
    case RequestKind::kWholeGpus:
      f.idle_devices = r.gpu_count;
      f.models = ModelBits(r);
      break;
    case RequestKind::kSlice:
      f.device_milli = r.gpu_milli;
      f.device_memory = r.gpu_memory_mib;
      f.models = ModelBits(r);
      break;
  }
  f.level = LevelOf(KindOf(r), r.gpu_count, r.gpu_milli);
  return f;
}

const CapacitySummary& NodePool::Total() const {
  static const CapacitySummary kNothing;
  if (nodes_.empty()) return kNothing;
  if (tree_dirty_) Rebuild();
  return tree_[1];
}

uint64_t NodePool::NodeModels(const NodeSpec& spec) {
  uint64_t bits = 0;
  for (const DeviceSpec& d : spec.devices) {
    auto it = model_ids_.find(d.model);
    if (it == model_ids_.end()) {
      const int id = std::min<int>(static_cast<int>(model_ids_.size()), kOtherModelsBit);
      it = model_ids_.emplace(d.model, id).first;
    }
    bits |= uint64_t{1} << it->second;
  }
  return bits;
}

void NodePool::Refresh(size_t slot) {
  const NodeState& n = nodes_[slot];
  stamps_[slot] = HashUsage(spec_hash_[slot], n);
  free_memory_[slot] = n.ready ? FreeHostMemory(n) : -1;
  leaves_[slot] = SummarizeNode(n, node_models_[slot]);
  if (tree_dirty_) return;
  size_t i = width_ + slot;
  tree_[i] = leaves_[slot];
  hash_[i] = stamps_[slot];
  for (i /= 2; i >= 1; i /= 2) {
    CapacitySummary s = tree_[2 * i];
    s.Merge(tree_[2 * i + 1]);
    tree_[i] = s;
    hash_[i] = Combine(hash_[2 * i], hash_[2 * i + 1]);
  }
}

size_t NodePool::width() const {
  if (tree_dirty_) Rebuild();
  return width_;
}

void NodePool::Rebuild() const {
  width_ = 1;
  while (width_ < nodes_.size()) width_ *= 2;
  tree_.assign(2 * width_, CapacitySummary{});
  hash_.assign(2 * width_, kEmptyLeafHash);
  const auto first_leaf = static_cast<std::ptrdiff_t>(width_);
  std::copy(leaves_.begin(), leaves_.end(), tree_.begin() + first_leaf);
  std::copy(stamps_.begin(), stamps_.end(), hash_.begin() + first_leaf);
  for (size_t i = width_ - 1; i >= 1; --i) {
    tree_[i] = tree_[2 * i];
    tree_[i].Merge(tree_[2 * i + 1]);
    hash_[i] = Combine(hash_[2 * i], hash_[2 * i + 1]);
  }
  tree_dirty_ = false;
}

bool NodePool::Before(const HeapEntry& a, const HeapEntry& b) {
  // std heaps put the greatest on top: greater = higher bound, then lower start.
  if (a.bound != b.bound) return a.bound < b.bound;
  return a.start > b.start;
}

}  // namespace fastgpu::core
