#include "store/group_commit.h"

#include <pthread.h>
#include <algorithm>
#include <chrono>
#include <iterator>
#include <utility>
#include <vector>

namespace fastgpu::store {
namespace {

std::vector<double> GroupBuckets() { return {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096}; }

bool Poisoned(uint64_t epoch, uint64_t failed_epoch) { return epoch != 0 && epoch <= failed_epoch; }

}  // namespace

GroupCommitter::GroupCommitter(Store& store, Options options, metrics::Registry* metrics)
    : store_(store), options_(options) {
  if (metrics != nullptr) {
    commits_ = &metrics->GetCounter("fastgpu_store_commits_total",
                                    "Transactions committed by the store's group committer");
    failures_ = &metrics->GetCounter("fastgpu_store_commit_failures_total",
                                     "Transactions the store refused (nothing written)");
    commit_seconds_ = &metrics->GetHistogram("fastgpu_store_commit_seconds",
                                             "Time of one group commit, fsync included");
    group_batches_ =
        &metrics->GetHistogram("fastgpu_store_commit_group_size",
                               "Changes merged into one transaction", {}, GroupBuckets());
    queue_depth_ = &metrics->GetGauge("fastgpu_store_queue_depth",
                                      "Changes waiting for the next group commit");
  }
  writer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "fg-store-writer");  // for top -H, perf, benchmarks
    Loop();
  });
}

GroupCommitter::~GroupCommitter() { Stop(); }

void GroupCommitter::Queue(WriteBatch batch, uint64_t epoch, Done done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      queue_.push_back(Entry{std::move(batch), epoch, std::move(done)});
      ++queued_;
      ++eager_;
      if (queue_depth_) queue_depth_->Set(static_cast<double>(queue_.size()));
      cv_.notify_one();
      return;
    }
  }
  done(Unavailable("the store's writer has stopped"));
}

void GroupCommitter::QueueLazy(WriteBatch batch, Done done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      const auto due = std::chrono::steady_clock::now() + options_.lazy_delay;
      queue_.push_back(Entry{std::move(batch), 0, std::move(done), true, due});
      ++queued_;
      if (queue_depth_) queue_depth_->Set(static_cast<double>(queue_.size()));
      if (queue_.size() == 1) cv_.notify_one();  // the writer waits for its deadline
      return;
    }
  }
  done(Unavailable("the store's writer has stopped"));
}

bool GroupCommitter::DueLocked(std::chrono::steady_clock::time_point now) const {
  if (queue_.empty()) return false;
  if (stopping_ || eager_ > 0 || flushing_ > 0) return true;
  return queue_.front().due <= now;  // all lazy, in queue order: the first is due first
}

void GroupCommitter::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t target = queued_;
  ++flushing_;  // lazy batches queued before this are committed now
  cv_.notify_one();
  done_cv_.wait(lock, [&] { return finished_ >= target; });
  --flushing_;
}

void GroupCommitter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

void GroupCommitter::Loop() {
  while (true) {
    std::deque<Entry> group;
    {
      std::unique_lock<std::mutex> lock(mu_);
      while (!DueLocked(std::chrono::steady_clock::now())) {
        if (stopping_) return;  // stopping, and everything was written
        if (queue_.empty()) {
          cv_.wait(lock);
        } else {
          cv_.wait_until(lock, queue_.front().due);  // only lazy batches: wait for the first
        }
      }
      const size_t n = std::min(queue_.size(), options_.max_group_batches);
      for (size_t i = 0; i < n; ++i) {
        if (!queue_.front().lazy) --eager_;
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      if (queue_depth_) queue_depth_->Set(static_cast<double>(queue_.size()));
    }
    std::vector<Status> outcome(group.size());
    CommitGroup(group, outcome);
    if (options_.before_callbacks) options_.before_callbacks();
    for (size_t i = 0; i < group.size(); ++i) group[i].done(std::move(outcome[i]));
    if (options_.after_callbacks) options_.after_callbacks();
    {
      std::lock_guard<std::mutex> lock(mu_);
      finished_ += group.size();
    }
    done_cv_.notify_all();
  }
}

namespace {

// How many writes of each kind one batch put into a merged batch, to split it back.
struct Span {
  size_t jobs = 0, events = 0, nodes = 0, keys = 0, audit = 0, meta = 0;
  int64_t expire = 0;
};

Span SpanOf(const WriteBatch& b) {
  Span s;
  s.jobs = b.jobs.size();
  s.events = b.events.size();
  s.nodes = b.nodes.size();
  s.keys = b.idempotency_keys.size();
  s.audit = b.audit.size();
  s.meta = b.meta.size();
  s.expire = b.expire_idempotency_before_ms;
  return s;
}

template <typename T>
std::vector<T> Take(std::vector<T>& from, size_t& at, size_t n) {
  std::vector<T> out(std::make_move_iterator(from.begin() + at),
                     std::make_move_iterator(from.begin() + at + n));
  at += n;
  return out;
}

// Undoes the merge of batches with these spans.
std::vector<WriteBatch> Split(WriteBatch merged, const std::vector<Span>& spans) {
  std::vector<WriteBatch> out;
  Span at;
  for (const Span& s : spans) {
    WriteBatch b;
    b.jobs = Take(merged.jobs, at.jobs, s.jobs);
    b.events = Take(merged.events, at.events, s.events);
    b.nodes = Take(merged.nodes, at.nodes, s.nodes);
    b.idempotency_keys = Take(merged.idempotency_keys, at.keys, s.keys);
    b.audit = Take(merged.audit, at.audit, s.audit);
    b.meta = Take(merged.meta, at.meta, s.meta);
    b.expire_idempotency_before_ms = s.expire;
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace

void GroupCommitter::CommitGroup(std::deque<Entry>& group, std::vector<Status>& outcome) {
  // Batches of a failed epoch fail unwritten; the others go into one transaction.
  WriteBatch merged;
  std::vector<size_t> live;
  std::vector<Span> spans;
  uint64_t max_epoch = 0;
  for (size_t i = 0; i < group.size(); ++i) {
    if (Poisoned(group[i].epoch, failed_epoch_)) {
      outcome[i] = Unavailable("an earlier write failed: " + failure_.message());
      continue;
    }
    live.push_back(i);
    max_epoch = std::max(max_epoch, group[i].epoch);
    spans.push_back(SpanOf(group[i].batch));
    merged.Append(std::move(group[i].batch));
  }
  if (live.empty()) return;
  const auto start = std::chrono::steady_clock::now();
  Status status = store_.Commit(merged);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (commit_seconds_) commit_seconds_->Observe(seconds);
  if (group_batches_) group_batches_->Observe(static_cast<double>(live.size()));
  if (status.ok()) {
    if (commits_) commits_->Inc();
    return;  // every outcome is already OK
  }
  if (failures_) failures_->Inc();
  if (live.size() > 1 && status.code() != StatusCode::kUnavailable) {
    // One bad batch: find it, let the others land. Epochs still apply in order.
    std::vector<WriteBatch> batches = Split(std::move(merged), spans);
    for (size_t k = 0; k < live.size(); ++k) {
      const size_t i = live[k];
      if (Poisoned(group[i].epoch, failed_epoch_)) {
        outcome[i] = Unavailable("an earlier write failed: " + failure_.message());
        continue;
      }
      outcome[i] = store_.Commit(batches[k]);
      if (!outcome[i].ok() && group[i].epoch != 0) {
        failed_epoch_ = std::max(failed_epoch_, group[i].epoch);
        failure_ = outcome[i];
      }
    }
    return;
  }
  for (size_t i : live) outcome[i] = status;
  if (max_epoch != 0) {
    failed_epoch_ = std::max(failed_epoch_, max_epoch);
    failure_ = status;
  }
}

}  // namespace fastgpu::store
