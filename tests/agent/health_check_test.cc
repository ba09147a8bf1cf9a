// The node's health check command: verdicts, reasons, timeouts, and the periodic loop.
#include "agent/health_check.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "fakes/temp_dir.h"

namespace fastgpu::agent {
namespace {

TEST(HealthCheck, ExitZeroIsHealthy) {
  EXPECT_EQ(HealthCheck::RunOnce("true", 5000), (NodeHealth{true, ""}));
}

TEST(HealthCheck, FailureSaysWhyWithTheLastLine) {
  NodeHealth h = HealthCheck::RunOnce("echo checking; echo 'disk /data is full' >&2; exit 3", 5000);
  EXPECT_FALSE(h.healthy);
  EXPECT_EQ(h.message, "health check failed (exit code 3): disk /data is full");
}

TEST(HealthCheck, HangingCommandTimesOut) {
  auto t0 = std::chrono::steady_clock::now();
  NodeHealth h = HealthCheck::RunOnce("sleep 30", 200);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_FALSE(h.healthy);
  EXPECT_EQ(h.message, "health check timed out after 0 s");
}

TEST(HealthCheck, RunsWithACleanEnvironment) {
  ::setenv("FG_AGENT_SECRET_FOR_TEST", "hunter2", 1);
  NodeHealth h = HealthCheck::RunOnce("test -z \"$FG_AGENT_SECRET_FOR_TEST\"", 5000);
  ::unsetenv("FG_AGENT_SECRET_FOR_TEST");
  EXPECT_TRUE(h.healthy) << h.message;
}

TEST(HealthCheck, LoopFollowsTheCommand) {
  ::fastgpu::test::TempDir t;
  std::string flag = t.File("broken");
  HealthCheck check("test ! -e " + flag + " || { echo broken; exit 1; }", 50, 5000);
  auto until = [&](bool healthy) {
    for (int i = 0; i < 500; ++i) {
      if (check.Current().healthy == healthy) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  };
  EXPECT_TRUE(until(true));
  std::ofstream(flag) << "";
  ASSERT_TRUE(until(false));
  EXPECT_EQ(check.Current().message, "health check failed (exit code 1): broken");
  ::unlink(flag.c_str());
  EXPECT_TRUE(until(true));
  check.Stop();
}

TEST(HealthCheck, NoCommandIsAlwaysHealthy) {
  HealthCheck check("", 10, 10);
  EXPECT_TRUE(check.Current().healthy);
}

}  // namespace
}  // namespace fastgpu::agent
