#pragma once
// GroupCommitter: the one writer of a Store. Callers on any thread queue WriteBatches; a writer
// thread takes everything queued (up to max_group_batches), merges it into one transaction
// (Store::Commit) and then calls each batch's callback, in queue order, with the outcome. While
// one fsync is under way the next group gathers, so a busy server commits hundreds of changes
// per fsync and an idle one commits each change at once: throughput without lost durability.
//
// A bad batch (one the store refuses with something other than Unavailable) fails alone: the
// group is retried one batch per transaction to find it.
//
// Epochs. A caller whose later writes build on its earlier ones (the Controller computes each
// new record from the previous, still uncommitted, one) tags them with an epoch > 0. When a
// commit fails, every batch of that epoch or an earlier one fails too, queued or queued later,
// without being written: a write that built on a lost write must not land. The caller starts a
// new epoch when it learns of the failure. Epoch 0 batches stand alone and are never failed
// for another batch's sake.
//
// Safe for concurrent use. Callbacks run on the writer thread, one at a time.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "common/metrics.h"
#include "store/store.h"

namespace fastgpu::store {

class GroupCommitter {
 public:
  struct Options {
    size_t max_group_batches = 4096;  // batches merged into one transaction at most
    std::chrono::milliseconds lazy_delay{50};  // QueueLazy: committed within this at the latest
    // Run on the writer thread right before the first and right after the last callback of
    // each group (e.g. to take the caller's lock once per group instead of once per batch).
    std::function<void()> before_callbacks;
    std::function<void()> after_callbacks;
  };
  using Done = std::function<void(Status)>;

  // Starts the writer thread. `store` must outlive the committer. Metrics go to `metrics`
  // (fastgpu_store_*), or nowhere when it is null; it must outlive the committer.
  GroupCommitter(Store& store, Options options, metrics::Registry* metrics);
  // Stop().
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Queues `batch`. `done` is called exactly once on the writer thread after the transaction
  // that holds the batch committed (OK) or failed (the store's error, or Unavailable "an
  // earlier write failed: ..." for a batch of a failed epoch). After Stop(), `done` is called
  // at once on the calling thread with Unavailable: do not hold a lock `done` takes.
  void Queue(WriteBatch batch, uint64_t epoch, Done done);

  // Queues a batch that nobody waits for (an audit record of an answer already sent, epoch 0):
  // it rides along with the next group commit instead of costing an fsync of its own, and is
  // committed at the latest `options.lazy_delay` after it was queued (or by Flush(), Stop()).
  // On an idle server a submit then costs one commit, not two.
  void QueueLazy(WriteBatch batch, Done done);

  // Waits until every batch queued before the call has been committed or has failed and its
  // callback has returned. Must not be called from a callback.
  void Flush();

  // Commits what is queued, then ends the writer thread. Idempotent.
  void Stop();

 private:
  struct Entry {
    WriteBatch batch;
    uint64_t epoch = 0;
    Done done;
    bool lazy = false;
    std::chrono::steady_clock::time_point due{};  // lazy: committed by then
  };
  // Whether the writer should commit now: a batch someone waits for, a Flush(), Stop(), or a
  // lazy batch that is due. mu_ held.
  bool DueLocked(std::chrono::steady_clock::time_point now) const;
  void Loop();
  // Commits `group` (one transaction, or one per batch to isolate a bad one) and fills in the
  // outcome of each entry.
  void CommitGroup(std::deque<Entry>& group, std::vector<Status>& outcome);

  Store& store_;
  const Options options_;
  metrics::Counter* commits_ = nullptr;
  metrics::Counter* failures_ = nullptr;
  metrics::Histogram* commit_seconds_ = nullptr;
  metrics::Histogram* group_batches_ = nullptr;
  metrics::Gauge* queue_depth_ = nullptr;

  std::mutex mu_;
  std::condition_variable cv_;       // the writer waits for work
  std::condition_variable done_cv_;  // Flush() waits for progress
  std::deque<Entry> queue_;          // guarded by mu_
  uint64_t queued_ = 0;              // batches ever queued; guarded by mu_
  uint64_t finished_ = 0;            // batches whose callback returned; guarded by mu_
  size_t eager_ = 0;                 // queued batches that are not lazy; guarded by mu_
  int flushing_ = 0;                 // Flush() calls waiting; guarded by mu_
  bool stopping_ = false;            // guarded by mu_
  // Writer thread only:
  uint64_t failed_epoch_ = 0;  // batches of an epoch <= this fail unwritten
  Status failure_;             // why
  std::thread writer_;
};

}  // namespace fastgpu::store
