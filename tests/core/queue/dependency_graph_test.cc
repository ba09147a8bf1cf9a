// Job dependencies (submit --after ok:ID / any:ID): who waits, who is released, who can never
// run, and how that cascades. Expected outcomes are written out beside each step.
#include "core/queue/dependency_graph.h"

#include <gtest/gtest.h>

namespace fastgpu::core {
namespace {

using Change = DependencyGraph::Change;
constexpr DependencyKind kOk = DependencyKind::kOk;
constexpr DependencyKind kAny = DependencyKind::kAny;

Change Released(JobId id) { return Change{id, false, ""}; }
Change Doomed(JobId id, std::string reason) { return Change{id, true, std::move(reason)}; }

TEST(DependencyGraphTest, OkWaitsUntilItsJobSucceeded) {
  DependencyGraph g;
  g.Add(2, {{kOk, 1}}, {{1}});
  // Expected: 2 waits for 1, and says so.
  EXPECT_TRUE(g.Contains(2));
  EXPECT_EQ(g.Hold(2), "waiting for job 1 to succeed");
  EXPECT_EQ(g.Unmet(2), (std::vector<Dependency>{{kOk, 1}}));
  // A job nobody waits for changes nothing.
  EXPECT_TRUE(g.Ended(7, JobState::kFailed, "exit code 1").empty());
  // Expected: 1 succeeded -> 2 is released and leaves the graph.
  EXPECT_EQ(g.Ended(1, JobState::kSucceeded, ""), std::vector<Change>{Released(2)});
  EXPECT_FALSE(g.Contains(2));
  EXPECT_EQ(g.Hold(2), "");
  // Idempotent: telling it again changes nothing.
  EXPECT_TRUE(g.Ended(1, JobState::kSucceeded, "").empty());
}

TEST(DependencyGraphTest, OkOnAFailedJobDoomsTheWaiterUntilRemoved) {
  DependencyGraph g;
  g.Add(2, {{kOk, 1}}, {{1}});
  // Expected: 1 failed -> 2 can never run; it stays (held) until the controller ended it.
  EXPECT_EQ(g.Ended(1, JobState::kFailed, "exit code 3"),
            std::vector<Change>{Doomed(2, "dependency 1 failed (exit code 3)")});
  EXPECT_EQ(g.Hold(2), "can never run: dependency 1 failed (exit code 3)");
  EXPECT_EQ(g.Doomed(), std::vector<Change>{Doomed(2, "dependency 1 failed (exit code 3)")});
  g.Remove(2);
  EXPECT_FALSE(g.Contains(2));
  EXPECT_TRUE(g.Doomed().empty());
}

TEST(DependencyGraphTest, AnyIsReleasedByEveryEnd) {
  for (JobState end : {JobState::kSucceeded, JobState::kFailed, JobState::kCancelled}) {
    DependencyGraph g;
    g.Add(2, {{kAny, 1}}, {{1}});
    EXPECT_EQ(g.Hold(2), "waiting for job 1 to end");
    // Expected: released whether 1 succeeded, failed or was cancelled.
    EXPECT_EQ(g.Ended(1, end, "why"), std::vector<Change>{Released(2)}) << JobStateName(end);
  }
}

TEST(DependencyGraphTest, CancelledOkDependencyDooms) {
  DependencyGraph g;
  g.Add(2, {{kOk, 1}}, {{1}});
  EXPECT_EQ(g.Ended(1, JobState::kCancelled, "cancelled by user"),
            std::vector<Change>{Doomed(2, "dependency 1 was cancelled")});
}

TEST(DependencyGraphTest, SeveralDependenciesReleaseOnlyWhenAllAreMet) {
  DependencyGraph g;
  g.Add(5, {{kOk, 1}, {kOk, 2}, {kAny, 3}}, {{1}, {2}, {3}});
  EXPECT_EQ(g.Hold(5), "waiting for job 1 to succeed, job 2 to succeed, job 3 to end");
  // Expected: each end takes one off the list; the last one releases 5.
  EXPECT_TRUE(g.Ended(2, JobState::kSucceeded, "").empty());
  EXPECT_EQ(g.Hold(5), "waiting for job 1 to succeed, job 3 to end");
  EXPECT_TRUE(g.Ended(3, JobState::kFailed, "exit code 1").empty());  // any: met
  EXPECT_EQ(g.Unmet(5), (std::vector<Dependency>{{kOk, 1}}));
  EXPECT_EQ(g.Ended(1, JobState::kSucceeded, ""), std::vector<Change>{Released(5)});
}

TEST(DependencyGraphTest, OneFailureAmongSeveralDooms) {
  DependencyGraph g;
  g.Add(5, {{kAny, 1}, {kOk, 2}}, {{1}, {2}});
  EXPECT_EQ(g.Ended(2, JobState::kFailed, "killed by signal 9"),
            std::vector<Change>{Doomed(5, "dependency 2 failed (killed by signal 9)")});
  // Expected: once doomed, later ends decide nothing more.
  EXPECT_TRUE(g.Ended(1, JobState::kSucceeded, "").empty());
  EXPECT_TRUE(g.Contains(5));
}

TEST(DependencyGraphTest, ManyWaitersOfOneJobAreDecidedInIdOrder) {
  DependencyGraph g;
  g.Add(4, {{kOk, 1}}, {{1}});
  g.Add(3, {{kAny, 1}}, {{1}});
  g.Add(2, {{kOk, 1}}, {{1}});
  // Expected: 1 failed -> 2 and 4 (ok) doomed, 3 (any) released; by id.
  EXPECT_EQ(g.Ended(1, JobState::kFailed, "node lost"),
            (std::vector<Change>{Doomed(2, "dependency 1 failed (node lost)"), Released(3),
                                 Doomed(4, "dependency 1 failed (node lost)")}));
}

TEST(DependencyGraphTest, CascadeThroughAChain) {
  // 1 <- ok 2 <- ok 3 <- any 4: the controller ends 2 when told, which dooms 3, whose end
  // releases 4 (any).
  DependencyGraph g;
  g.Add(2, {{kOk, 1}}, {{1}});
  g.Add(3, {{kOk, 2}}, {{2}});
  g.Add(4, {{kAny, 3}}, {{3}});
  EXPECT_EQ(g.Ended(1, JobState::kFailed, "exit code 1"),
            std::vector<Change>{Doomed(2, "dependency 1 failed (exit code 1)")});
  g.Remove(2);  // the controller cancelled 2 ...
  EXPECT_EQ(g.Ended(2, JobState::kCancelled, "dependency 1 failed (exit code 1)"),
            std::vector<Change>{Doomed(3, "dependency 2 was cancelled")});  // ... which dooms 3
  g.Remove(3);
  EXPECT_EQ(g.Ended(3, JobState::kCancelled, "dependency 2 was cancelled"),
            std::vector<Change>{Released(4)});  // and any:3 runs after 3 ended
}

TEST(DependencyGraphTest, AnArrayDependencyWaitsForEveryTask) {
  DependencyGraph g;
  // Array 10 has tasks 10, 11, 12.
  g.Add(20, {{kOk, 10}}, {{10, 11, 12}});
  g.Add(21, {{kAny, 10}}, {{10, 11, 12}});
  EXPECT_EQ(g.Hold(20), "waiting for array 10 to succeed (3 of 3 tasks left)");
  EXPECT_TRUE(g.Ended(10, JobState::kSucceeded, "").empty());
  EXPECT_TRUE(g.Ended(12, JobState::kSucceeded, "").empty());
  EXPECT_EQ(g.Hold(20), "waiting for array 10 to succeed (1 of 3 tasks left)");
  // Expected: the last task failed -> ok:10 never met, any:10 met.
  EXPECT_EQ(g.Ended(11, JobState::kFailed, "exit code 2"),
            (std::vector<Change>{Doomed(20, "dependency 10 (an array): its task 11 failed "
                                            "(exit code 2)"),
                                 Released(21)}));
}

TEST(DependencyGraphTest, AnArrayThatAllSucceededReleases) {
  DependencyGraph g;
  g.Add(20, {{kOk, 10}}, {{10, 11}});
  EXPECT_TRUE(g.Ended(11, JobState::kSucceeded, "").empty());
  EXPECT_EQ(g.Ended(10, JobState::kSucceeded, ""), std::vector<Change>{Released(20)});
}

TEST(DependencyGraphTest, RemovedWaitersAreForgotten) {
  DependencyGraph g;
  g.Add(2, {{kOk, 1}}, {{1}});
  g.Remove(2);  // e.g. cancelled by its user while waiting
  EXPECT_TRUE(g.Ended(1, JobState::kFailed, "exit code 1").empty());
  EXPECT_EQ(g.Hold(2), "");
}

}  // namespace
}  // namespace fastgpu::core
