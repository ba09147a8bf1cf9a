#pragma once
// RunnerFixture: a ProcessRunner over a fresh data folder, running real jobs through the test
// supervisor binary (FG_TEST_SUPERVISOR), with waits that poll under a deadline; every job's
// process group is SIGKILLed at teardown. Shared by the runner and supervisor tests.

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "agent/runner/process_runner.h"
#include "fakes/temp_dir.h"

namespace fastgpu::agent::test_util {

inline constexpr const char* kPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The whole file, or "" when it cannot be read.
inline std::string ReadOrEmpty(const std::string& path) {
  auto text = ReadWholeFile(path);
  return text.ok() ? *text : "";
}

// Polls `cond` every 10 ms until it holds or `limit` passes; returns its last value.
inline bool Eventually(const std::function<bool()>& cond,
                       std::chrono::milliseconds limit = std::chrono::milliseconds(10000)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

class RunnerFixture : public ::testing::Test {
 protected:
  void TearDown() override {
    for (int pgid : groups_) ::kill(-pgid, SIGKILL);
  }

  std::unique_ptr<ProcessRunner> NewRunner(int64_t grace_ms = 10000) {
    auto runner = ProcessRunner::Create({data_dir_, {FG_TEST_SUPERVISOR}, grace_ms});
    EXPECT_TRUE(runner.ok()) << runner.error().ToString();
    return runner.ok() ? std::move(runner).value() : nullptr;
  }

  // argv with PATH as the only variable.
  static LaunchSpec Spec(std::vector<std::string> argv) {
    LaunchSpec spec;
    spec.argv = std::move(argv);
    spec.env = {{"PATH", kPath}};
    return spec;
  }

  // Polls the runner until `key` satisfies `pred`; returns its last status.
  AttemptStatus WaitUntil(ProcessRunner& runner, const AttemptKey& key,
                          const std::function<bool(const AttemptStatus&)>& pred) {
    AttemptStatus last;
    bool ok = Eventually([&] {
      for (const AttemptStatus& s : runner.Poll()) {
        if (s.key == key) last = s;
      }
      if (last.pid > 0) groups_.insert(last.pid);
      return last.key == key && pred(last);
    });
    EXPECT_TRUE(ok) << "attempt " << key.ToString() << " never reached the expected state";
    return last;
  }
  AttemptStatus WaitExited(ProcessRunner& runner, const AttemptKey& key) {
    return WaitUntil(runner, key,
                     [](const AttemptStatus& s) { return s.phase == AttemptPhase::kExited; });
  }
  AttemptStatus WaitRunning(ProcessRunner& runner, const AttemptKey& key) {
    return WaitUntil(runner, key,
                     [](const AttemptStatus& s) { return s.phase == AttemptPhase::kRunning; });
  }
  // Running, with exactly `out` on stdout so far.
  AttemptStatus WaitOutput(ProcessRunner& runner, const AttemptKey& key, const std::string& out) {
    return WaitUntil(runner, key, [&](const AttemptStatus& s) {
      return s.phase == AttemptPhase::kRunning && ReadOrEmpty(s.dir + "/stdout.log") == out;
    });
  }

  ::fastgpu::test::TempDir temp_;
  std::string data_dir_ = temp_.path();
  std::set<int> groups_;
};

}  // namespace fastgpu::agent::test_util
