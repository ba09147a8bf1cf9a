// NodePool and its index: name order, stamps, summaries, and that the searches (BestSlot,
// ForEach, BestNodeCache) give exactly what a scan of every node gives, on random workloads
// and across copies of a pool.

#include "core/pool/node_pool.h"

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/rng.h"
#include "core/capacity.h"
#include "core/cluster_builder.h"
#include "core/policy/fit.h"
#include "core/pool/best_node_cache.h"

namespace fastgpu::core {
namespace {

using test_util::GpuNode;
using test_util::kGiB;

Placement SliceOnDevice(const NodeState& n, size_t pos, int32_t milli, int32_t cpu) {
  Placement p;
  p.node = n.spec().name;
  p.cpu_milli = cpu;
  p.devices.push_back(DeviceGrant{n.spec().devices[pos].index, n.spec().devices[pos].uuid,
                                  Slice{milli, n.spec().devices[pos].memory_mib * milli / 1000}});
  return p;
}

// A pool of `count` nodes of 1, 2, 4 or 8 GPUs with random usage and readiness.
NodePool RandomPool(int count, Rng& rng) {
  NodePool pool;
  for (int i = 0; i < count; ++i) {
    const int gpus = 1 << rng.Uniform(4);
    pool.Upsert(GpuNode("n" + std::to_string(rng.Uniform(100000)), gpus, 80 * kGiB,
                        rng.Uniform(3) == 0 ? "L4" : "A100-80GB"));
  }
  for (int k = 0; k < 4 * count; ++k) {
    const size_t slot = rng.Uniform(pool.size());
    const NodeState& n = pool.at(slot);
    const size_t pos = rng.Uniform(n.spec().devices.size());
    const int32_t milli = static_cast<int32_t>(50 * (1 + rng.Uniform(10)));
    if (FreeMilli(n, pos) >= milli && FreeCpu(n) >= 2000) {
      pool.AddUsage(slot, SliceOnDevice(n, pos, milli, 2000), +1);
    }
    if (rng.Uniform(20) == 0) pool.SetReady(slot, !pool.at(slot).ready);
  }
  return pool;
}

ResourceRequest RandomRequest(Rng& rng) {
  ResourceRequest r;
  r.cpu_milli = static_cast<int32_t>(1000 * rng.Uniform(40));
  switch (rng.Uniform(3)) {
    case 0:
      r.gpu_count = 1 << rng.Uniform(4);
      break;
    case 1:
      r.gpu_count = 1;
      r.gpu_milli = static_cast<int32_t>(50 * (1 + rng.Uniform(19)));
      break;
    default:
      break;
  }
  if (rng.Uniform(4) == 0) r.gpu_models = {"L4"};
  return r;
}

// A score that depends on the node's state only: free GPU compute (prefer the fullest).
std::optional<int64_t> TestScore(const NodePool& pool, const ResourceRequest& r, size_t slot) {
  const NodeState& n = pool.at(slot);
  if (!CanHost(r, n)) return std::nullopt;
  return -FreeGpuMilli(n) / 100;  // coarse on purpose: many ties
}

size_t ScanBest(const NodePool& pool, const ResourceRequest& r) {
  size_t best = NodePool::kNone;
  int64_t best_score = 0;
  for (size_t slot = 0; slot < pool.size(); ++slot) {
    std::optional<int64_t> s = TestScore(pool, r, slot);
    if (s && (best == NodePool::kNone || *s > best_score)) {
      best = slot;
      best_score = *s;
    }
  }
  return best;
}

TEST(NodePoolTest, KeepsNameOrderAndFinds) {
  NodePool pool;
  for (const char* name : {"c", "a", "d", "b"}) pool.Upsert(GpuNode(name, 1));
  ASSERT_EQ(pool.size(), 4u);
  EXPECT_EQ(pool.at(0).spec().name, "a");
  EXPECT_EQ(pool.at(3).spec().name, "d");
  EXPECT_EQ(pool.Find("c"), 2u);
  EXPECT_EQ(pool.Find("zz"), NodePool::kNone);
  EXPECT_EQ(pool.Get("zz"), nullptr);
  EXPECT_EQ(pool.Get("b")->spec().name, "b");
}

TEST(NodePoolTest, StampsFollowStateNotNames) {
  NodePool pool;
  pool.Upsert(GpuNode("a", 2));
  pool.Upsert(GpuNode("b", 2));
  pool.Upsert(GpuNode("c", 4));
  // Same devices and nothing used: same stamp, whatever the name and uuids.
  EXPECT_EQ(pool.stamp(0), pool.stamp(1));
  EXPECT_NE(pool.stamp(0), pool.stamp(2));
  const uint64_t before = pool.stamp(0);
  const Placement p = SliceOnDevice(pool.at(0), 1, 250, 1000);
  pool.AddUsage(0, p, +1);
  EXPECT_NE(pool.stamp(0), before);
  pool.AddUsage(0, p, -1);
  EXPECT_EQ(pool.stamp(0), before);
  pool.SetReady(0, false);
  EXPECT_NE(pool.stamp(0), before);
}

TEST(NodePoolTest, UpsertKeepsUsageOfDevicesThatStay) {
  NodePool pool;
  pool.Upsert(GpuNode("a", 2));
  pool.AddUsage(0, SliceOnDevice(pool.at(0), 1, 500, 3000), +1);
  pool.SetReady(0, false);
  NodeSpec bigger = GpuNode("a", 4);
  pool.Upsert(bigger);
  EXPECT_EQ(pool.at(0).used.size(), 4u);
  EXPECT_EQ(pool.at(0).used[1].milli, 500);
  EXPECT_EQ(pool.at(0).used_cpu_milli, 3000);
  EXPECT_FALSE(pool.at(0).ready);  // readiness is the caller's (ClusterState sets it)
}

// Summaries only ever rule out groups that really hold no node for the request.
TEST(NodePoolTest, SummaryOfTheWholePoolAdmitsEveryFeasibleRequest) {
  Rng rng(7);
  for (int round = 0; round < 20; ++round) {
    NodePool pool = RandomPool(40, rng);
    for (int q = 0; q < 50; ++q) {
      const ResourceRequest r = RandomRequest(rng);
      bool any = false;
      for (const NodeState& n : pool) any = any || CanHost(r, n);
      if (any) {
        EXPECT_TRUE(MayHost(pool.Total(), pool.FilterFor(r)));
      }
    }
  }
}

// BestSlot with a loose bound and ForEach must give what a scan of every node gives.
TEST(NodePoolTest, SearchesMatchAScanOfEveryNode) {
  Rng rng(11);
  for (int round = 0; round < 30; ++round) {
    NodePool pool = RandomPool(1 + static_cast<int>(rng.Uniform(70)), rng);
    for (int q = 0; q < 40; ++q) {
      const ResourceRequest r = RandomRequest(rng);
      const RequestFilter f = pool.FilterFor(r);
      const size_t found = pool.BestSlot(
          [&](const CapacitySummary& s) -> std::optional<int64_t> {
            if (!MayHost(s, f)) return std::nullopt;
            return 0;  // every node scores <= 0
          },
          [&](size_t slot) { return TestScore(pool, r, slot); });
      EXPECT_EQ(found, ScanBest(pool, r));
      std::vector<size_t> listed, expected;
      pool.ForEach([&](const CapacitySummary& s) { return MayHost(s, f); },
                   [&](size_t slot) {
                     if (CanHost(r, pool.at(slot))) listed.push_back(slot);
                   });
      for (size_t slot = 0; slot < pool.size(); ++slot) {
        if (CanHost(r, pool.at(slot))) expected.push_back(slot);
      }
      EXPECT_EQ(listed, expected);
    }
  }
}

// A copy of `pool` with a 100-milli slice more on a random device, when it has room.
NodePool WithOneMoreSlice(const NodePool& pool, Rng& rng) {
  NodePool copy = pool;
  const size_t slot = rng.Uniform(copy.size());
  const NodeState& n = copy.at(slot);
  const size_t pos = rng.Uniform(n.spec().devices.size());
  if (FreeMilli(n, pos) >= 100 && FreeCpu(n) >= 1000) {
    copy.AddUsage(slot, SliceOnDevice(n, pos, 100, 1000), +1);
  }
  return copy;
}

// One cache follows a pool as it changes, and serves a copy that went another way.
TEST(BestNodeCacheTest, FollowsChangesAndCopies) {
  Rng rng(5);
  NodePool pool = RandomPool(60, rng);
  const ResourceRequest r = RandomRequest(rng);
  BestNodeCache cache;
  int scored = 0;
  auto score = [&](const NodePool& p) {
    return [&](size_t slot) {
      ++scored;
      return TestScore(p, r, slot);
    };
  };
  EXPECT_EQ(cache.Best(pool, score(pool)), ScanBest(pool, r));
  EXPECT_EQ(scored, 60);  // the first call scores every node once
  scored = 0;
  EXPECT_EQ(cache.Best(pool, score(pool)), ScanBest(pool, r));
  EXPECT_EQ(scored, 0);  // nothing changed, nothing scored
  for (int step = 0; step < 200; ++step) {
    const NodePool copy = WithOneMoreSlice(pool, rng);
    scored = 0;
    EXPECT_EQ(cache.Best(copy, score(copy)), ScanBest(copy, r)) << step;
    EXPECT_LE(scored, 1);  // one node changed: at most it is scored again
    if (rng.Uniform(2) == 0) pool = copy;  // sometimes keep the change, sometimes not
    EXPECT_EQ(cache.Best(pool, score(pool)), ScanBest(pool, r)) << step;
  }
}

// FirstAtLeast is the lowest slot a scan finds with a score >= the threshold, as the pool and
// its copies change.
TEST(BestNodeCacheTest, FirstAtLeastIsTheFirstSlotAtTheThreshold) {
  Rng rng(9);
  NodePool pool = RandomPool(80, rng);
  ResourceRequest r = RandomRequest(rng);
  while (ScanBest(pool, r) == NodePool::kNone) r = RandomRequest(rng);
  BestNodeCache cache;
  auto score = [&](const NodePool& p) {
    return [&](size_t slot) { return TestScore(p, r, slot); };
  };
  int checked = 0;
  auto scan_first = [&](const NodePool& p, int64_t threshold) {
    for (size_t slot = 0; slot < p.size(); ++slot) {
      std::optional<int64_t> s = TestScore(p, r, slot);
      if (s && *s >= threshold) return slot;
    }
    return NodePool::kNone;
  };
  for (int step = 0; step < 200; ++step) {
    const NodePool copy = WithOneMoreSlice(pool, rng);
    const size_t best = cache.Best(copy, score(copy));
    if (best == NodePool::kNone) continue;
    ++checked;
    const int64_t top = *TestScore(copy, r, best);
    for (int64_t below : {0, 1, 3, 1000}) {
      EXPECT_EQ(cache.FirstAtLeast(copy, score(copy), top - below), scan_first(copy, top - below))
          << step << " " << below;
    }
    EXPECT_EQ(cache.FirstAtLeast(copy, score(copy), top + 1), NodePool::kNone);
    if (rng.Uniform(2) == 0) pool = copy;
  }
  EXPECT_GT(checked, 150);
}

}  // namespace
}  // namespace fastgpu::core
