// The supervisor and the runner with real processes (sh, env, sleep). Waits poll with a
// deadline; nothing relies on a fixed sleep.
#include "agent/runner/process_runner.h"
#include "agent/cgroup/cgroup.h"
#include "fakes/temp_dir.h"
#include "runner_fixture.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

namespace fastgpu::agent {
namespace {

using std::chrono::milliseconds;
using test_util::Eventually;
using test_util::kPath;
using test_util::ReadOrEmpty;

bool GroupGone(int pgid) { return ::kill(-pgid, 0) != 0 && errno == ESRCH; }

using RunnerTest = test_util::RunnerFixture;

TEST_F(RunnerTest, RecordsExitCode) {
  auto runner = NewRunner();
  ASSERT_TRUE(runner->Start({1, 1}, Spec({"sh", "-c", "exit 3"})).ok());
  AttemptStatus s = WaitExited(*runner, {1, 1});
  EXPECT_EQ(s.exit.exit_code, 3);
  EXPECT_FALSE(s.exit.signal.has_value());
  EXPECT_EQ(s.exit.error, "");
  EXPECT_GT(s.exit.started_ms, 0);
  EXPECT_GE(s.exit.finished_ms, s.exit.started_ms);
}

// The start reported while the job runs is the one its exit record keeps (just before the
// fork), so the metered interval covers the job's whole run: a job that sleeps 300 ms never
// comes out shorter, however late the supervisor wrote the pid file.
TEST_F(RunnerTest, StartWhileRunningIsTheExitRecordsAndCoversTheRun) {
  auto runner = NewRunner();
  const std::string go = data_dir_ + "/go";
  ASSERT_TRUE(runner->Start({1, 1}, Spec({"sh", "-c",
                                          "while [ ! -f " + go + " ]; do sleep 0.01; done; "
                                          "sleep 0.3"})).ok());
  AttemptStatus running = WaitRunning(*runner, {1, 1});
  ASSERT_GT(running.started_ms, 0);
  std::ofstream(go).put('x');
  AttemptStatus s = WaitExited(*runner, {1, 1});
  EXPECT_EQ(s.exit.exit_code, 0);
  EXPECT_EQ(s.started_ms, running.started_ms);
  EXPECT_EQ(s.exit.started_ms, running.started_ms);
  EXPECT_GE(s.exit.finished_ms - s.exit.started_ms, 300);
}

TEST_F(RunnerTest, RecordsKillingSignal) {
  auto runner = NewRunner();
  ASSERT_TRUE(runner->Start({1, 1}, Spec({"sh", "-c", "kill -KILL $$"})).ok());
  AttemptStatus s = WaitExited(*runner, {1, 1});
  EXPECT_EQ(s.exit.signal, SIGKILL);
  EXPECT_FALSE(s.exit.exit_code.has_value());
}

TEST_F(RunnerTest, CapturesStdoutAndStderr) {
  auto runner = NewRunner();
  ASSERT_TRUE(runner->Start({2, 1}, Spec({"sh", "-c", "echo out; echo err >&2; cat"})).ok());
  AttemptStatus s = WaitExited(*runner, {2, 1});
  EXPECT_EQ(s.exit.exit_code, 0);  // stdin is /dev/null: cat ends at once
  EXPECT_EQ(ReadOrEmpty(s.dir + "/stdout.log"), "out\n");
  EXPECT_EQ(ReadOrEmpty(s.dir + "/stderr.log"), "err\n");
}

TEST_F(RunnerTest, EnvironmentIsExactlyTheSpecs) {
  ::setenv("FG_AGENT_SECRET", "hunter2", 1);
  auto runner = NewRunner();
  LaunchSpec spec = Spec({"env"});
  spec.env["A"] = "B C";
  ASSERT_TRUE(runner->Start({3, 1}, spec).ok());
  AttemptStatus s = WaitExited(*runner, {3, 1});
  ::unsetenv("FG_AGENT_SECRET");
  std::set<std::string> lines;
  std::istringstream in(ReadOrEmpty(s.dir + "/stdout.log"));
  for (std::string line; std::getline(in, line);) lines.insert(line);
  EXPECT_EQ(lines, (std::set<std::string>{std::string("PATH=") + kPath, "A=B C"}));
}

TEST_F(RunnerTest, DefaultWorkdirIsAFreshFolderAndAGivenOneIsUsed) {
  auto runner = NewRunner();
  ASSERT_TRUE(runner->Start({4, 1}, Spec({"pwd"})).ok());
  LaunchSpec in_tmp = Spec({"pwd"});
  in_tmp.workdir = data_dir_;
  ASSERT_TRUE(runner->Start({4, 2}, in_tmp).ok());
  AttemptStatus a = WaitExited(*runner, {4, 1});
  AttemptStatus b = WaitExited(*runner, {4, 2});
  EXPECT_EQ(ReadOrEmpty(a.dir + "/stdout.log"), a.dir + "/job/work\n");
  EXPECT_EQ(ReadOrEmpty(b.dir + "/stdout.log"), data_dir_ + "\n");
  // The private folder goes with the attempt; a given workdir is the user's and stays.
  EXPECT_FALSE(std::filesystem::exists(a.dir + "/job"));
  EXPECT_TRUE(std::filesystem::is_directory(data_dir_));
}

TEST_F(RunnerTest, MissingBinaryGivesExecError) {
  auto runner = NewRunner();
  ASSERT_TRUE(runner->Start({5, 1}, Spec({"nosuchcmd-fastgpu"})).ok());
  AttemptStatus s = WaitExited(*runner, {5, 1});
  EXPECT_EQ(s.exit.error, "exec 'nosuchcmd-fastgpu': No such file or directory");
  EXPECT_EQ(s.exit.exit_code, 127);
}

TEST_F(RunnerTest, MissingWorkdirGivesChdirError) {
  auto runner = NewRunner();
  LaunchSpec spec = Spec({"true"});
  spec.workdir = "/nonexistent-fastgpu";
  ASSERT_TRUE(runner->Start({5, 2}, spec).ok());
  AttemptStatus s = WaitExited(*runner, {5, 2});
  EXPECT_EQ(s.exit.error, "chdir '/nonexistent-fastgpu': No such file or directory");
}

TEST_F(RunnerTest, NeverStartsTheSameAttemptTwice) {
  auto runner = NewRunner();
  ASSERT_TRUE(runner->Start({6, 1}, Spec({"true"})).ok());
  EXPECT_EQ(runner->Start({6, 1}, Spec({"true"})).code(), StatusCode::kAlreadyExists);
  WaitExited(*runner, {6, 1});
  ASSERT_TRUE(runner->Forget({6, 1}).ok());
  // Forgotten (acked) attempts keep their folder, so even a new runner will not rerun them.
  EXPECT_EQ(NewRunner()->Start({6, 1}, Spec({"true"})).code(), StatusCode::kAlreadyExists);
}

TEST_F(RunnerTest, SigtermForwardedToTheJob) {
  auto runner = NewRunner();
  ASSERT_TRUE(runner->Start({7, 1}, Spec({"sleep", "30"})).ok());
  AttemptStatus running = WaitRunning(*runner, {7, 1});
  ASSERT_TRUE(runner->Signal({7, 1}, SIGTERM).ok());
  AttemptStatus s = WaitExited(*runner, {7, 1});
  EXPECT_EQ(s.exit.signal, SIGTERM);
  EXPECT_TRUE(Eventually([&] { return GroupGone(running.pid); }));
}

TEST_F(RunnerTest, EscalatesToSigkillAfterGrace) {
  auto runner = NewRunner(/*grace_ms=*/300);
  // `ready` is printed once the trap is set, so the SIGTERM cannot arrive before it.
  ASSERT_TRUE(runner->Start({8, 1}, Spec({"sh", "-c", "trap '' TERM; echo ready; sleep 30"})).ok());
  AttemptStatus running = WaitUntil(*runner, {8, 1}, [](const AttemptStatus& s) {
    return s.phase == AttemptPhase::kRunning && ReadOrEmpty(s.dir + "/stdout.log") == "ready\n";
  });
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(runner->Signal({8, 1}, SIGTERM).ok());
  AttemptStatus s = WaitExited(*runner, {8, 1});
  EXPECT_GE(std::chrono::steady_clock::now() - t0, milliseconds(300));
  EXPECT_EQ(s.exit.signal, SIGKILL);
  EXPECT_TRUE(s.stopping);
  EXPECT_TRUE(Eventually([&] { return GroupGone(running.pid); }))
      << "the job's process group (sleep included) should be gone";
}

TEST_F(RunnerTest, StragglersOfTheGroupAreKilledWhenTheJobEnds) {
  auto runner = NewRunner();
  ASSERT_TRUE(runner->Start({9, 1}, Spec({"sh", "-c", "sleep 30 & echo started"})).ok());
  AttemptStatus s = WaitExited(*runner, {9, 1});
  EXPECT_EQ(s.exit.exit_code, 0);
  ASSERT_GT(s.pid, 0);
  EXPECT_TRUE(Eventually([&] { return GroupGone(s.pid); }));
}

TEST_F(RunnerTest, NewRunnerReadoptsRunningAndExitedAttempts) {
  int running_pid = 0;
  {
    auto first = NewRunner();
    ASSERT_TRUE(first->Start({10, 1}, Spec({"sleep", "30"})).ok());
    ASSERT_TRUE(first->Start({11, 1}, Spec({"sh", "-c", "exit 5"})).ok());
    running_pid = WaitRunning(*first, {10, 1}).pid;
    WaitExited(*first, {11, 1});
  }  // the agent "dies"; the jobs do not
  auto second = NewRunner(/*grace_ms=*/10000);
  std::vector<AttemptStatus> seen = second->Poll();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].key, (AttemptKey{10, 1}));
  EXPECT_EQ(seen[0].phase, AttemptPhase::kRunning);
  EXPECT_EQ(seen[0].pid, running_pid);
  EXPECT_GT(seen[0].started_ms, 0);
  EXPECT_EQ(seen[1].key, (AttemptKey{11, 1}));
  EXPECT_EQ(seen[1].phase, AttemptPhase::kExited);
  EXPECT_EQ(seen[1].exit.exit_code, 5);

  // The adopted attempt can still be stopped, and its end is recorded by its supervisor.
  ASSERT_TRUE(second->Signal({10, 1}, SIGTERM).ok());
  AttemptStatus stopped = WaitExited(*second, {10, 1});
  EXPECT_EQ(stopped.exit.signal, SIGTERM);

  // Acked attempts are not adopted again.
  ASSERT_TRUE(second->Forget({11, 1}).ok());
  EXPECT_EQ(second->Forget({11, 1}).code(), StatusCode::kNotFound);
  auto third = NewRunner();
  std::vector<AttemptKey> tracked = third->Tracked();
  EXPECT_EQ(tracked, (std::vector<AttemptKey>{{10, 1}}));
}

// "PPid" of /proc/PID/status; 0 when unreadable.
pid_t ParentOf(pid_t pid) {
  std::istringstream in(ReadOrEmpty("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("PPid:", 0) == 0) return static_cast<pid_t>(std::atoi(line.c_str() + 5));
  }
  return 0;
}

std::string CwdOf(pid_t pid) {
  std::error_code ec;
  return std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/cwd", ec).string();
}

pid_t SupervisorOf(const AttemptStatus& s) {
  return static_cast<pid_t>(std::atoi(ReadOrEmpty(s.dir + "/supervisor.pid").c_str()));
}

TEST_F(RunnerTest, SupervisorsAreForkedByOneLauncher) {
  auto runner = NewRunner();
  ASSERT_TRUE(runner->Start({20, 1}, Spec({"sleep", "30"})).ok());
  ASSERT_TRUE(runner->Start({21, 1}, Spec({"sleep", "30"})).ok());
  AttemptStatus a = WaitRunning(*runner, {20, 1});
  AttemptStatus b = WaitRunning(*runner, {21, 1});
  const pid_t launcher = ParentOf(SupervisorOf(a));
  EXPECT_NE(launcher, ::getpid());  // not exec'd by the runner
  EXPECT_EQ(ParentOf(launcher), ::getpid());
  EXPECT_EQ(ParentOf(SupervisorOf(b)), launcher);
  EXPECT_EQ(CwdOf(SupervisorOf(a)), a.dir);  // how an adopting runner knows it
  EXPECT_EQ(ReadOrEmpty("/proc/" + std::to_string(launcher) + "/cmdline"),
            std::string(FG_TEST_SUPERVISOR) + '\0' + "--launcher" + '\0');
  ASSERT_TRUE(runner->Signal({20, 1}, SIGTERM).ok());
  ASSERT_TRUE(runner->Signal({21, 1}, SIGTERM).ok());
  EXPECT_EQ(WaitExited(*runner, {20, 1}).exit.signal, SIGTERM);
  EXPECT_EQ(WaitExited(*runner, {21, 1}).exit.signal, SIGTERM);
  // The launcher reaps them: no zombie is left under it.
  EXPECT_TRUE(Eventually([&] { return ::kill(SupervisorOf(a), 0) != 0; }));
}

TEST_F(RunnerTest, ALauncherThatDiedIsReplaced) {
  auto runner = NewRunner();
  ASSERT_TRUE(runner->Start({22, 1}, Spec({"sleep", "30"})).ok());
  AttemptStatus first = WaitRunning(*runner, {22, 1});
  const pid_t launcher = ParentOf(SupervisorOf(first));
  ASSERT_GT(launcher, 0);
  ASSERT_EQ(::kill(launcher, SIGKILL), 0);
  ASSERT_TRUE(Eventually([&] { return ParentOf(launcher) != ::getpid() ||
                                      ReadOrEmpty("/proc/" + std::to_string(launcher) + "/stat")
                                              .find(") Z") != std::string::npos; }));
  ASSERT_TRUE(runner->Start({23, 1}, Spec({"sh", "-c", "exit 7"})).ok());
  EXPECT_EQ(WaitExited(*runner, {23, 1}).exit.exit_code, 7);
  // The first job's supervisor lost its parent, not its job.
  EXPECT_EQ(WaitRunning(*runner, {22, 1}).pid, first.pid);
  ASSERT_TRUE(runner->Signal({22, 1}, SIGTERM).ok());
  EXPECT_EQ(WaitExited(*runner, {22, 1}).exit.signal, SIGTERM);
}

// A stop of an adopted attempt still goes through its supervisor (so the job gets the signal it
// chose), which the new runner recognises by its working folder.
TEST_F(RunnerTest, AnAdoptedLaunchedSupervisorStopsTheJobItsWay) {
  LaunchSpec spec = Spec({"sh", "-c",
                          "trap 'echo checkpointed; exit 42' USR1; echo ready; "
                          "while :; do sleep 0.05; done"});
  spec.stop_signal = SIGUSR1;
  {
    auto first = NewRunner();
    ASSERT_TRUE(first->Start({24, 1}, spec).ok());
    WaitOutput(*first, {24, 1}, "ready\n");
  }
  auto second = NewRunner();
  ASSERT_TRUE(second->Signal({24, 1}, SIGTERM).ok());
  AttemptStatus s = WaitExited(*second, {24, 1});
  EXPECT_EQ(s.exit.exit_code, 42);
  EXPECT_EQ(ReadOrEmpty(s.dir + "/stdout.log"), "ready\ncheckpointed\n");
}

TEST_F(RunnerTest, WithoutTheLauncherEachSupervisorIsExecd) {
  RunnerOptions options{data_dir_, {FG_TEST_SUPERVISOR}, 10000};
  options.use_launcher = false;
  auto runner = ProcessRunner::Create(options);
  ASSERT_TRUE(runner.ok());
  ASSERT_TRUE((*runner)->Start({25, 1}, Spec({"sleep", "30"})).ok());
  AttemptStatus s = WaitRunning(**runner, {25, 1});
  EXPECT_EQ(ParentOf(SupervisorOf(s)), ::getpid());
  EXPECT_EQ(ReadOrEmpty("/proc/" + std::to_string(SupervisorOf(s)) + "/cmdline"),
            std::string(FG_TEST_SUPERVISOR) + '\0' + s.dir + '\0');
  ASSERT_TRUE((*runner)->Signal({25, 1}, SIGTERM).ok());
  EXPECT_EQ(WaitExited(**runner, {25, 1}).exit.signal, SIGTERM);
}

TEST_F(RunnerTest, ForgetRefusesARunningAttempt) {
  auto runner = NewRunner();
  ASSERT_TRUE(runner->Start({12, 1}, Spec({"sleep", "30"})).ok());
  WaitRunning(*runner, {12, 1});
  EXPECT_EQ(runner->Forget({12, 1}).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(runner->Signal({12, 1}, SIGKILL).ok());
  EXPECT_EQ(WaitExited(*runner, {12, 1}).exit.signal, SIGKILL);
}

TEST_F(RunnerTest, BrokenSupervisorCommandIsReportedAsAnError) {
  auto runner = ProcessRunner::Create({data_dir_, {"/nonexistent/supervisor"}, 1000});
  ASSERT_TRUE(runner.ok());
  // posix_spawn reports the failed exec itself: Start fails, and the attempt is tracked as
  // exited with that error, so that it is reported.
  Status started = (*runner)->Start({13, 1}, Spec({"true"}));
  EXPECT_EQ(started.code(), StatusCode::kInternal) << started.ToString();
  AttemptStatus s = WaitExited(**runner, {13, 1});
  EXPECT_NE(s.exit.error.find("/nonexistent/supervisor"), std::string::npos) << s.exit.error;
}

TEST(Supervisor, UnreadableSpecWritesAnExitError) {
  ::fastgpu::test::TempDir temp;
  const std::string& dir = temp.path();
  ASSERT_TRUE(WriteFileAtomic(dir + "/spec.json", "{not json").ok());
  pid_t pid = 0;
  const char* argv[] = {FG_TEST_SUPERVISOR, dir.c_str(), nullptr};
  ASSERT_EQ(::posix_spawn(&pid, argv[0], nullptr, nullptr, const_cast<char**>(argv), environ), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_EQ(WEXITSTATUS(status), 1);
  auto record = DecodeExitRecord(ReadOrEmpty(dir + "/exit.json"));
  ASSERT_TRUE(record.ok()) << record.error().ToString();
  EXPECT_NE(record->error.find("spec.json"), std::string::npos) << record->error;
}

}  // namespace
}  // namespace fastgpu::agent

namespace fastgpu::agent {
namespace {

// A job over its memory limit is killed by the kernel and its exit says so; a setsid'ed
// grandchild (which left the job's process group) is killed with the cgroup.
TEST_F(RunnerTest, JobOverItsMemoryLimitIsReportedOomKilled) {
  auto hierarchy = cgroup::Detect();
  if (!hierarchy.ok()) GTEST_SKIP() << hierarchy.error().ToString();
  std::string name = "fastgpu-test-runner/" + std::to_string(::getpid());
  auto probe = cgroup::Create(*hierarchy, name, {});
  if (!probe.ok()) GTEST_SKIP() << "cannot create cgroups here: " << probe.error().ToString();
  ASSERT_TRUE(cgroup::Remove(*probe).ok());

  auto runner = NewRunner();
  LaunchSpec spec = Spec({"python3", "-c", "b = bytearray(512 << 20); b[::4096] = b'x' * len(b[::4096])"});
  spec.cgroup = name;
  spec.memory_mib = 64;
  ASSERT_TRUE(runner->Start({21, 1}, spec).ok());
  AttemptStatus s = WaitExited(*runner, {21, 1});
  EXPECT_TRUE(s.exit.oom_killed);
  EXPECT_EQ(s.exit.signal, SIGKILL);
  EXPECT_EQ(s.exit.warning, "");
  for (const std::string& root : {hierarchy->memory, hierarchy->cpu, hierarchy->pids}) {
    if (!root.empty()) ::rmdir((root + "/fastgpu-test-runner").c_str());
  }
}

}  // namespace
}  // namespace fastgpu::agent
