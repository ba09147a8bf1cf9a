// Callbacks run without the controller's mutex, and concurrent callers do not corrupt state.
#include <atomic>
#include <thread>

#include "control/controller_fixture.h"

namespace fastgpu::control::testing {
namespace {

TEST_F(ControllerTest, CallbacksMayCallBackIntoTheController) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 2)).ok());
  const int64_t version = Desired("n1").version;
  int polls = 0;
  std::function<void(Result<DesiredSet>)> again = [&](Result<DesiredSet> r) {
    ASSERT_TRUE(r.ok());
    if (++polls < 3) controller_->WatchDesired("n1", r->version, 30000, again);
  };
  controller_->WatchDesired("n1", version, 30000, again);
  MustSubmit(GpuJob(1));
  MustSubmit(GpuJob(1));
  EXPECT_EQ(polls, 2);

  core::JobId id = Desired("n1").attempts[0].job;
  int seen = 0;
  ASSERT_TRUE(controller_
                  ->FollowLog(Admin(), id, LogStream::kStdout, 0,
                              [&](std::string_view, bool) {
                                ++seen;
                                return controller_->GetJob(Admin(), id).ok();
                              })
                  .ok());
  ASSERT_TRUE(controller_->AppendLog("n1", id, 1, LogStream::kStdout, 0, "x", nullptr).ok());
  ASSERT_TRUE(controller_->Report("n1", {Exited(id, 1, 0)}).ok());
  EXPECT_EQ(seen, 2);  // the byte, then the end
}

TEST_F(ControllerTest, ConcurrentSubmittersAndAnAgentRunEveryJobOnce) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 4)).ok());
  constexpr int kThreads = 3;
  constexpr int kJobsEach = 30;
  std::vector<std::thread> submitters;
  for (int t = 0; t < kThreads; ++t) {
    submitters.emplace_back([&] {
      for (int i = 0; i < kJobsEach; ++i) {
        auto r = controller_->Submit(Admin(), GpuJob(1));
        EXPECT_TRUE(r.ok());
      }
    });
  }
  std::set<core::JobId> finished;
  while (finished.size() < kThreads * kJobsEach) {
    DesiredSet set = Desired("n1");
    ASSERT_LE(set.attempts.size(), 4u);  // never more than the node's GPUs
    std::vector<AttemptReport> reports;
    for (const DesiredAttempt& a : set.attempts) {
      ASSERT_EQ(a.attempt, 1);
      reports.push_back(Exited(a.job, a.attempt, 0));
    }
    auto acks = controller_->Report("n1", reports);
    ASSERT_TRUE(acks.ok());
    for (const AttemptKey& k : *acks) {
      EXPECT_TRUE(finished.insert(k.job).second) << "job " << k.job << " ran twice";
    }
    if (reports.empty()) std::this_thread::yield();
  }
  for (std::thread& t : submitters) t.join();
  store::JobFilter filter;
  filter.states = {core::JobState::kSucceeded};
  filter.limit = 1000;
  auto page = controller_->ListJobs(Admin(), filter);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->jobs.size(), static_cast<size_t>(kThreads * kJobsEach));
  EXPECT_EQ(controller_->Pool().summary.idle_gpus, 4);
}

}  // namespace
}  // namespace fastgpu::control::testing
