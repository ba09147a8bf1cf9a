// GroupCommitter over a real SQLite store wrapped in a decorator that counts transactions, can
// hold one open (so that others queue behind it) and can fail them.
#include "store/group_commit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <vector>

#include "fakes/controlled_store.h"

namespace fastgpu::store {
namespace {

using ::fastgpu::test::ControlledStore;

WriteBatch JobBatch(core::JobId id) {
  WriteBatch batch;
  core::JobRecord job;
  job.id = id;
  job.spec.name = "j" + std::to_string(id);
  job.spec.argv = {"true"};
  batch.jobs = {job};
  return batch;
}

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto inner = OpenSqliteStore(":memory:");
    ASSERT_TRUE(inner.ok());
    store_ = std::make_unique<ControlledStore>(std::move(*inner));
    committer_ = std::make_unique<GroupCommitter>(*store_, GroupCommitter::Options{}, &metrics_);
  }
  // Queues a batch for job `id`; the returned future holds its outcome.
  std::future<Status> Queue(core::JobId id, uint64_t epoch, WriteBatch batch = {}) {
    auto promise = std::make_shared<std::promise<Status>>();
    std::future<Status> future = promise->get_future();
    if (batch.empty()) batch = JobBatch(id);
    committer_->Queue(std::move(batch), epoch, [promise](Status st) { promise->set_value(st); });
    return future;
  }

  metrics::Registry metrics_;
  std::unique_ptr<ControlledStore> store_;
  std::unique_ptr<GroupCommitter> committer_;
};

TEST_F(GroupCommitTest, BatchesQueuedDuringACommitShareTheNextTransaction) {
  store_->Hold();
  auto first = Queue(1, 0);
  store_->WaitForCommits(1);  // the writer is inside the first transaction
  std::vector<std::future<Status>> rest;
  for (core::JobId id = 2; id <= 50; ++id) rest.push_back(Queue(id, 0));
  store_->Release();
  EXPECT_TRUE(first.get().ok());
  for (auto& f : rest) EXPECT_TRUE(f.get().ok());
  EXPECT_EQ(store_->commits(), 2);  // 49 batches, one transaction
  EXPECT_EQ(store_->ListJobs({.limit = 100})->size(), 50u);
  const std::string text = metrics_.Render();
  EXPECT_NE(text.find("fastgpu_store_commits_total 2"), std::string::npos) << text;
}

TEST_F(GroupCommitTest, CallbacksRunInQueueOrderAfterTheCommit) {
  std::vector<int> order;
  std::mutex mu;
  for (int i = 1; i <= 20; ++i) {
    committer_->Queue(JobBatch(i), 0, [&, i](Status st) {
      EXPECT_TRUE(st.ok());
      EXPECT_TRUE(store_->GetJob(i).ok()) << "callback before the commit of job " << i;
      std::lock_guard<std::mutex> lock(mu);
      order.push_back(i);
    });
  }
  committer_->Flush();
  std::vector<int> expected;
  for (int i = 1; i <= 20; ++i) expected.push_back(i);
  EXPECT_EQ(order, expected);
}

TEST_F(GroupCommitTest, AFailedCommitFailsItsEpochUntilANewOneStarts) {
  store_->SetFail(true);
  auto failed = Queue(1, 1);
  EXPECT_EQ(failed.get().code(), StatusCode::kUnavailable);
  store_->SetFail(false);
  // Still epoch 1: built on the lost write, so it must not land.
  auto same_epoch = Queue(2, 1);
  Status st = same_epoch.get();
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("an earlier write failed"), std::string::npos) << st.message();
  auto independent = Queue(3, 0);
  auto next_epoch = Queue(4, 2);
  EXPECT_TRUE(independent.get().ok());
  EXPECT_TRUE(next_epoch.get().ok());
  EXPECT_FALSE(store_->GetJob(1).ok());
  EXPECT_FALSE(store_->GetJob(2).ok());
  EXPECT_TRUE(store_->GetJob(3).ok());
  EXPECT_TRUE(store_->GetJob(4).ok());
}

TEST_F(GroupCommitTest, ABadBatchFailsAloneAndTheOthersLand) {
  store_->Hold();
  auto first = Queue(1, 0);
  store_->WaitForCommits(1);
  auto good = Queue(2, 0);
  WriteBatch bad = JobBatch(3);
  bad.jobs[0].id = 0;  // refused by the store: InvalidArgument
  auto refused = Queue(3, 0, bad);
  auto good_too = Queue(4, 0);
  store_->Release();
  EXPECT_TRUE(first.get().ok());
  EXPECT_TRUE(good.get().ok());
  EXPECT_EQ(refused.get().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(good_too.get().ok());
  EXPECT_TRUE(store_->GetJob(2).ok());
  EXPECT_TRUE(store_->GetJob(4).ok());
}

TEST_F(GroupCommitTest, StopCommitsWhatIsQueuedThenRefuses) {
  store_->Hold();
  auto first = Queue(1, 0);
  store_->WaitForCommits(1);
  auto queued = Queue(2, 0);
  std::thread stopper([&] { committer_->Stop(); });
  store_->Release();
  stopper.join();
  EXPECT_TRUE(first.get().ok());
  EXPECT_TRUE(queued.get().ok());
  auto late = Queue(3, 0);
  EXPECT_EQ(late.get().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(store_->GetJob(3).ok());
}

// A committer whose lazy batches would wait an hour: only other commits, Flush() and Stop()
// can write them.
class LazyGroupCommitTest : public GroupCommitTest {
 protected:
  void SetUp() override {
    GroupCommitTest::SetUp();
    GroupCommitter::Options options;
    options.lazy_delay = std::chrono::hours(1);
    committer_ = std::make_unique<GroupCommitter>(*store_, options, nullptr);
  }
  std::future<Status> QueueLazy(core::JobId id) {
    auto promise = std::make_shared<std::promise<Status>>();
    std::future<Status> future = promise->get_future();
    committer_->QueueLazy(JobBatch(id), [promise](Status st) { promise->set_value(st); });
    return future;
  }
};

TEST_F(LazyGroupCommitTest, ALazyBatchRidesWithTheNextCommit) {
  auto lazy = QueueLazy(1);
  EXPECT_EQ(lazy.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  EXPECT_EQ(store_->commits(), 0);  // nothing is written for it alone
  auto eager = Queue(2, 0);
  EXPECT_TRUE(eager.get().ok());
  EXPECT_TRUE(lazy.get().ok());
  EXPECT_EQ(store_->commits(), 1);  // both in one transaction
  EXPECT_TRUE(store_->GetJob(1).ok());
}

TEST_F(LazyGroupCommitTest, FlushAndStopCommitLazyBatches) {
  auto first = QueueLazy(1);
  committer_->Flush();
  EXPECT_EQ(first.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  EXPECT_TRUE(first.get().ok());
  auto second = QueueLazy(2);
  committer_->Stop();
  EXPECT_TRUE(second.get().ok());
  EXPECT_TRUE(store_->GetJob(2).ok());
  EXPECT_EQ(store_->commits(), 2);
}

TEST(LazyGroupCommitDelayTest, ALazyBatchAloneIsCommittedAfterTheDelay) {
  auto inner = OpenSqliteStore(":memory:");
  ASSERT_TRUE(inner.ok());
  GroupCommitter::Options options;
  options.lazy_delay = std::chrono::milliseconds(20);
  GroupCommitter committer(**inner, options, nullptr);
  std::promise<Status> done;
  const auto queued = std::chrono::steady_clock::now();
  committer.QueueLazy(JobBatch(1), [&done](Status st) { done.set_value(st); });
  EXPECT_TRUE(done.get_future().get().ok());  // without any other commit or Flush()
  EXPECT_GE(std::chrono::steady_clock::now() - queued, std::chrono::milliseconds(20));
  EXPECT_TRUE((*inner)->GetJob(1).ok());
}

}  // namespace
}  // namespace fastgpu::store
