// The agent's loops against an in-memory server on loopback, running real jobs through the
// test supervisor binary.
#include "agent/agent.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

#include "fake_agent_server.h"
#include "fakes/temp_dir.h"
#include "runner_fixture.h"

namespace fastgpu::agent {
namespace {

using std::chrono::milliseconds;

using test_util::Eventually;

DesiredAttempt Job(core::JobId job, std::vector<std::string> argv) {
  DesiredAttempt a;
  a.key = {job, 1};
  a.argv = std::move(argv);
  return a;
}

class AgentTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (agent_) agent_->Stop();
  }
  AgentOptions Options() {
    AgentOptions o;
    o.server_url = server_.url();
    o.data_dir = data_dir_;
    o.name = "node-a";
    o.simulate = "2xA100-80GB";
    o.join_token = "tok";
    o.kill_grace_ms = 2000;
    o.supervisor_command = {FG_TEST_SUPERVISOR};
    return o;
  }
  void StartAgent(AgentOptions o) {
    auto agent = AgentHandle::Start(o);
    ASSERT_TRUE(agent.ok()) << agent.error().ToString();
    agent_ = std::move(agent).value();
  }
  // The last report entry about `key` in state `state`, if any.
  std::optional<FakeAgentServer::Received> Find(const AttemptKey& key, const std::string& state) {
    std::optional<FakeAgentServer::Received> found;
    for (const auto& r : server_.reports()) {
      if (r.key == key && r.state == state) found = r;
    }
    return found;
  }

  FakeAgentServer server_{"tok"};
  ::fastgpu::test::TempDir temp_;
  std::string data_dir_ = temp_.path();
  std::unique_ptr<AgentHandle> agent_;
};

TEST_F(AgentTest, BadSimulateSpecFailsStart) {
  AgentOptions o = Options();
  o.simulate = "4xA100";
  auto agent = AgentHandle::Start(o);
  ASSERT_FALSE(agent.ok());
  EXPECT_EQ(agent.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(agent.error().field(), "simulate");
}

TEST_F(AgentTest, BadServerUrlFailsStart) {
  AgentOptions o = Options();
  o.server_url = "127.0.0.1:8080";
  auto agent = AgentHandle::Start(o);
  ASSERT_FALSE(agent.ok());
  EXPECT_EQ(agent.error().field(), "server");
}

TEST_F(AgentTest, RegistersWithSimulatedGpus) {
  StartAgent(Options());
  EXPECT_EQ(agent_->name(), "node-a");
  EXPECT_EQ(agent_->gpu_count(), 2);
  EXPECT_TRUE(agent_->simulated());
  EXPECT_TRUE(Eventually([&] { return server_.registrations() == 1; }));
  // Heartbeats: empty reports keep coming (every 300 ms from this server's reply).
  EXPECT_TRUE(Eventually([&] { return server_.report_count() >= 2; }));
  // The node's status (isolation, health) comes with the registration already, the same as
  // in the reports that follow.
  EXPECT_NE(server_.registered_status().find("\"isolates_tenants\""), std::string::npos)
      << server_.registered_status();
  EXPECT_EQ(server_.registered_status(), server_.node_status());
}

TEST_F(AgentTest, RunsAJobShipsItsLogsThenReportsItsEnd) {
  StartAgent(Options());
  server_.SetDesired("node-a", {Job(1, {"sh", "-c", "echo hello; echo oops >&2; exit 3"})});
  ASSERT_TRUE(Eventually([&] { return Find({1, 1}, "exited").has_value(); }));
  auto exited = *Find({1, 1}, "exited");
  EXPECT_EQ(exited.exit_code, 3);
  EXPECT_EQ(exited.error, "");
  // The end was reported only after every log byte had arrived.
  EXPECT_EQ(exited.stdout_size, 6u);
  EXPECT_EQ(exited.stderr_size, 5u);
  EXPECT_EQ(server_.log({1, 1}, "stdout"), "hello\n");
  EXPECT_EQ(server_.log({1, 1}, "stderr"), "oops\n");
  // Acked: the agent forgets it, and never starts it again although it is still desired.
  int reports_then = static_cast<int>(server_.reports().size());
  int count_then = server_.report_count();
  ASSERT_TRUE(Eventually([&] { return server_.report_count() >= count_then + 2; }));  // heartbeats
  auto all = server_.reports();
  for (size_t i = static_cast<size_t>(reports_then); i < all.size(); ++i) {
    EXPECT_NE(all[i].key, (AttemptKey{1, 1})) << "reported again after the ack";
  }
}

TEST_F(AgentTest, ReportsAnExecFailure) {
  StartAgent(Options());
  server_.SetDesired("node-a", {Job(2, {"nosuchcmd-fastgpu"})});
  ASSERT_TRUE(Eventually([&] { return Find({2, 1}, "exited").has_value(); }));
  EXPECT_EQ(Find({2, 1}, "exited")->error, "exec 'nosuchcmd-fastgpu': No such file or directory");
}

TEST_F(AgentTest, StopsWhatIsNoLongerDesired) {
  StartAgent(Options());
  server_.SetDesired("node-a", {Job(3, {"sleep", "30"})});
  ASSERT_TRUE(Eventually([&] { return Find({3, 1}, "running").has_value(); }));
  server_.SetDesired("node-a", {});
  ASSERT_TRUE(Eventually([&] { return Find({3, 1}, "exited").has_value(); }));
  EXPECT_EQ(Find({3, 1}, "exited")->signal, 15);
}

TEST_F(AgentTest, RegistersAgainWhenTheServerForgetsTheNode) {
  StartAgent(Options());
  ASSERT_TRUE(Eventually([&] { return server_.registrations() == 1; }));
  server_.ForgetNodes();
  EXPECT_TRUE(Eventually([&] { return server_.registrations() >= 2; }));
}

TEST_F(AgentTest, WrongTokenKeepsRetryingAndStopsPromptly) {
  AgentOptions o = Options();
  o.join_token = "wrong";
  StartAgent(o);
  ASSERT_TRUE(Eventually([&] { return server_.rejected() >= 2; }));  // it retried
  EXPECT_EQ(server_.registrations(), 0);
  auto t0 = std::chrono::steady_clock::now();
  agent_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, milliseconds(1500));
}

TEST_F(AgentTest, StopInterruptsTheLongPoll) {
  StartAgent(Options());
  ASSERT_TRUE(Eventually([&] { return server_.report_count() >= 1; }));
  std::this_thread::sleep_for(milliseconds(100));  // the watcher is now inside its long poll
  auto t0 = std::chrono::steady_clock::now();
  agent_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, milliseconds(1500));
}

TEST_F(AgentTest, JobsOutliveTheAgentAndAreReadopted) {
  StartAgent(Options());
  server_.SetDesired("node-a", {Job(4, {"sleep", "30"})});
  ASSERT_TRUE(Eventually([&] { return Find({4, 1}, "running").has_value(); }));
  int pid = Find({4, 1}, "running")->pid;
  ASSERT_GT(pid, 0);
  agent_->Stop();
  agent_.reset();
  StartAgent(Options());  // same data folder: the job is re-adopted, not restarted
  int before = static_cast<int>(server_.reports().size());
  ASSERT_TRUE(Eventually([&] {
    auto all = server_.reports();
    for (size_t i = static_cast<size_t>(before); i < all.size(); ++i) {
      if (all[i].key == AttemptKey{4, 1} && all[i].state == "running") {
        EXPECT_EQ(all[i].pid, pid) << "the same process, not a restart";
        return true;
      }
    }
    return false;
  }));
  server_.SetDesired("node-a", {});
  ASSERT_TRUE(Eventually([&] { return Find({4, 1}, "exited").has_value(); }));
}

}  // namespace
}  // namespace fastgpu::agent
