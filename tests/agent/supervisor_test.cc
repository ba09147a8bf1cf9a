// The supervisor's limits and isolation, with real processes through the test supervisor:
// time limits, the job's own stop signal, capped logs, the job's user, its private folders,
// its private /tmp, and the kill of every process of a stopped job. Tests that need root (or a
// kernel feature) say why they skip.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "agent/cgroup/cgroup.h"
#include "agent/isolation.h"
#include "agent/runner/log_files.h"
#include "agent/runner/process_runner.h"
#include "fakes/temp_dir.h"
#include "runner_fixture.h"

namespace fastgpu::agent {
namespace {

using std::chrono::milliseconds;
using test_util::Eventually;
using test_util::ReadOrEmpty;
constexpr int64_t kJobUid = 2000000321;  // no passwd entry: a per-tenant uid as the agent makes

bool Alive(pid_t pid) { return ::kill(pid, 0) == 0; }

class SupervisorTest : public test_util::RunnerFixture {
 protected:
  void SetUp() override {
    // Job users must be able to walk down to their folders (mkdtemp makes 0700).
    ::chmod(temp_.path().c_str(), 0711);
  }
  static bool CanMakeCgroups() {
    auto h = cgroup::Detect();
    if (!h.ok()) return false;
    auto g = cgroup::Create(*h, "fastgpu-test-sup/probe-" + std::to_string(::getpid()), {});
    if (!g.ok()) return false;
    cgroup::Remove(*g).IgnoreError();
    for (const std::string& root : {h->memory, h->cpu, h->pids}) {
      if (!root.empty()) ::rmdir((root + "/fastgpu-test-sup").c_str());
    }
    return true;
  }
};

TEST_F(SupervisorTest, TimeLimitStopsTheJobAndSaysSo) {
  auto runner = NewRunner();
  LaunchSpec spec = Spec({"sleep", "30"});
  spec.time_limit_ms = 300;
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(runner->Start({1, 1}, spec).ok());
  AttemptStatus s = WaitExited(*runner, {1, 1});
  EXPECT_GE(std::chrono::steady_clock::now() - t0, milliseconds(300));
  EXPECT_EQ(s.exit.signal, SIGTERM);
  EXPECT_TRUE(s.exit.timed_out);
}

TEST_F(SupervisorTest, TimeLimitEscalatesToSigkillAfterTheGrace) {
  auto runner = NewRunner(/*grace_ms=*/300);
  LaunchSpec spec = Spec({"sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"});
  spec.time_limit_ms = 200;
  ASSERT_TRUE(runner->Start({2, 1}, spec).ok());
  AttemptStatus s = WaitExited(*runner, {2, 1});
  EXPECT_EQ(s.exit.signal, SIGKILL);
  EXPECT_TRUE(s.exit.timed_out);
}

TEST_F(SupervisorTest, StopSendsTheSignalTheJobChose) {
  auto runner = NewRunner();
  LaunchSpec spec = Spec({"sh", "-c",
                          "trap 'echo checkpointed; exit 42' USR1; echo ready; "
                          "while :; do sleep 0.05; done"});
  spec.stop_signal = SIGUSR1;
  ASSERT_TRUE(runner->Start({3, 1}, spec).ok());
  WaitOutput(*runner, {3, 1}, "ready\n");
  ASSERT_TRUE(runner->Signal({3, 1}, SIGTERM).ok());  // a stop: cancel or preemption
  AttemptStatus s = WaitExited(*runner, {3, 1});
  EXPECT_EQ(s.exit.exit_code, 42);
  EXPECT_FALSE(s.exit.timed_out);
  EXPECT_EQ(ReadOrEmpty(s.dir + "/stdout.log"), "ready\ncheckpointed\n");
}

TEST_F(SupervisorTest, LogsAreCappedOnTheNode) {
  auto runner = NewRunner();
  LaunchSpec spec = Spec({"sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' x; echo; echo end"});
  spec.log_max_bytes = 64 * 1024;
  ASSERT_TRUE(runner->Start({4, 1}, spec).ok());
  AttemptStatus s = WaitExited(*runner, {4, 1});
  EXPECT_EQ(s.exit.exit_code, 0);
  uintmax_t kept = std::filesystem::file_size(s.dir + "/stdout.log") +
                   std::filesystem::file_size(s.dir + "/stdout.log.1");
  EXPECT_LE(kept, 64u * 1024);
  auto tail = ReadLog(s.dir, "stdout", 1000000, 100);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(tail->end, 1000005);  // every byte counted, the newest kept
  EXPECT_EQ(tail->bytes, "\nend\n");
}

// The job child runs on a stack of its own until it execs: a script without "#!" goes through
// /bin/sh, and execvpe copies the whole argv onto that stack to do so.
TEST_F(SupervisorTest, AScriptWithoutAShebangGetsAllItsArguments) {
  std::string script = temp_.File("no-shebang");
  std::ofstream(script) << "echo \"$# ${50000}\"\n";
  ::chmod(script.c_str(), 0755);
  std::vector<std::string> argv{script};
  for (int i = 1; i <= 50000; ++i) argv.push_back(std::to_string(i));
  auto runner = NewRunner();
  ASSERT_TRUE(runner->Start({10, 1}, Spec(argv)).ok());
  AttemptStatus s = WaitExited(*runner, {10, 1});
  EXPECT_EQ(s.exit.exit_code, 0) << s.exit.error;
  EXPECT_EQ(ReadOrEmpty(s.dir + "/stdout.log"), "50000 50000\n");
}

TEST_F(SupervisorTest, StopLeavesNoProcessBehindEvenInAnotherSession) {
  if (!CanMakeCgroups()) GTEST_SKIP() << "this process cannot create cgroups";
  auto runner = NewRunner(/*grace_ms=*/300);
  std::string pidfile = temp_.File("grandchild.pid");
  LaunchSpec spec = Spec({"sh", "-c",
                          "trap '' TERM; setsid sh -c 'trap \"\" TERM; echo $$ > " + pidfile +
                              "; exec sleep 60' & echo ready; while :; do sleep 0.05; done"});
  spec.cgroup = "fastgpu-test-sup/" + std::to_string(::getpid()) + "-5";
  ASSERT_TRUE(runner->Start({5, 1}, spec).ok());
  WaitOutput(*runner, {5, 1}, "ready\n");
  ASSERT_TRUE(Eventually([&] { return !ReadOrEmpty(pidfile).empty(); }));
  pid_t grandchild = std::stoi(ReadOrEmpty(pidfile));
  groups_.insert(grandchild);
  ASSERT_TRUE(Alive(grandchild));
  ASSERT_TRUE(runner->Signal({5, 1}, SIGTERM).ok());
  AttemptStatus s = WaitExited(*runner, {5, 1});
  EXPECT_EQ(s.exit.signal, SIGKILL);
  EXPECT_TRUE(Eventually([&] { return !Alive(grandchild); }))
      << "the grandchild in its own session survived the stop";
  auto h = cgroup::Detect();
  ASSERT_TRUE(h.ok());
  ::rmdir((h->memory + "/fastgpu-test-sup").c_str());
  ::rmdir((h->cpu + "/fastgpu-test-sup").c_str());
  if (!h->pids.empty()) ::rmdir((h->pids + "/fastgpu-test-sup").c_str());
}

// The attempt's group goes with the job; the agent's folder above it stays for the next job
// (the agent removes it when it stops): an empty memory group is 0.15 ms to make again.
TEST_F(SupervisorTest, TheGroupGoesAndTheAgentsFolderStays) {
  if (!CanMakeCgroups()) GTEST_SKIP() << "this process cannot create cgroups";
  auto runner = NewRunner();
  const std::string parent = "fastgpu-test-sup/" + std::to_string(::getpid()) + "-parent";
  LaunchSpec spec = Spec({"true"});
  spec.cgroup = parent + "/6-1";
  ASSERT_TRUE(runner->Start({6, 1}, spec).ok());
  AttemptStatus s = WaitExited(*runner, {6, 1});
  EXPECT_EQ(s.exit.exit_code, 0);
  EXPECT_EQ(s.exit.warning, "");
  auto h = cgroup::Detect();
  ASSERT_TRUE(h.ok());
  EXPECT_FALSE(std::filesystem::exists(h->memory + "/" + spec.cgroup));
  EXPECT_FALSE(std::filesystem::exists(h->cpu + "/" + spec.cgroup));
  EXPECT_TRUE(std::filesystem::exists(h->memory + "/" + parent));
  EXPECT_TRUE(std::filesystem::exists(h->cpu + "/" + parent));
  if (!h->pids.empty()) {
    EXPECT_FALSE(std::filesystem::exists(h->pids + "/" + parent));
  }
  EXPECT_TRUE(cgroup::Remove(cgroup::Existing(*h, parent)).ok());
  for (const std::string& root : {h->memory, h->cpu}) {
    EXPECT_FALSE(std::filesystem::exists(root + "/" + parent));
    ::rmdir((root + "/fastgpu-test-sup").c_str());
  }
}

// Root only: the job's user, its private folders and, where the kernel allows, its own /tmp,
// /dev/shm and /proc view.
class JobUserTest : public SupervisorTest {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "switching users needs root";
    SupervisorTest::SetUp();
  }
  LaunchSpec UserSpec(const AttemptKey& key, const std::string& script) {
    LaunchSpec spec = Spec({"sh", "-c", script});
    spec.uid = kJobUid;
    spec.gid = kJobUid;
    spec.job_dir = temp_.path() + "/attempts/" + key.ToString() + "/job";
    spec.env["TMPDIR"] = spec.job_dir + "/tmp";
    return spec;
  }
  // Runs `script` as the job user in a cgroup of its own (so that no process of it can be
  // left) to its end; the exit must be 0.
  AttemptStatus RunInGroup(ProcessRunner& runner, const AttemptKey& key, const std::string& script,
                           LaunchSpec* spec_out = nullptr) {
    LaunchSpec spec = UserSpec(key, script);
    spec.cgroup = "fastgpu-test-sup/" + std::to_string(::getpid()) + "-" + key.ToString();
    EXPECT_TRUE(runner.Start(key, spec).ok());
    AttemptStatus s = WaitExited(runner, key);
    EXPECT_EQ(s.exit.exit_code, 0) << s.exit.error << ReadOrEmpty(s.dir + "/stderr.log");
    if (spec_out != nullptr) *spec_out = spec;
    return s;
  }
};

TEST_F(JobUserTest, RunsAsItsUserInFoldersOnlyThatUserMayEnter) {
  auto runner = NewRunner();
  LaunchSpec spec = UserSpec({6, 1},
                             "id -u; id -g; id -G; pwd; stat -c %a:%u . \"$TMPDIR\" ..; "
                             "touch \"$TMPDIR\"/scratch && echo wrote");
  ASSERT_TRUE(runner->Start({6, 1}, spec).ok());
  AttemptStatus s = WaitExited(*runner, {6, 1});
  ASSERT_EQ(s.exit.exit_code, 0) << s.exit.error << ReadOrEmpty(s.dir + "/stderr.log");
  const std::string uid = std::to_string(kJobUid);
  EXPECT_EQ(ReadOrEmpty(s.dir + "/stdout.log"), uid + "\n" + uid + "\n" + uid + "\n" +
                                                    spec.job_dir + "/work\n700:" + uid +
                                                    "\n700:" + uid + "\n700:" + uid + "\nwrote\n");
  // The logs: the agent's, readable by the job's group; the private folder is gone.
  struct stat st;
  ASSERT_EQ(::stat((s.dir + "/stdout.log").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(st.st_gid, static_cast<gid_t>(kJobUid));
  EXPECT_FALSE(std::filesystem::exists(spec.job_dir));
}

TEST_F(JobUserTest, KeepsTheFolderWhenAsked) {
  auto runner = NewRunner();
  LaunchSpec spec = UserSpec({7, 1}, "echo result > out.txt; ln -s / escape");
  spec.keep_job_dir = true;
  ASSERT_TRUE(runner->Start({7, 1}, spec).ok());
  AttemptStatus s = WaitExited(*runner, {7, 1});
  ASSERT_EQ(s.exit.exit_code, 0) << ReadOrEmpty(s.dir + "/stderr.log");
  EXPECT_EQ(ReadOrEmpty(spec.job_dir + "/work/out.txt"), "result\n");
}

TEST_F(JobUserTest, CleanupNeverFollowsTheJobsLinks) {
  auto runner = NewRunner();
  std::string precious = temp_.File("precious");
  std::ofstream(precious) << "keep me";
  LaunchSpec spec =
      UserSpec({8, 1}, "ln -s " + temp_.path() + " link; ln -s " + precious + " file");
  ASSERT_TRUE(runner->Start({8, 1}, spec).ok());
  AttemptStatus s = WaitExited(*runner, {8, 1});
  ASSERT_EQ(s.exit.exit_code, 0) << ReadOrEmpty(s.dir + "/stderr.log");
  EXPECT_FALSE(std::filesystem::exists(spec.job_dir));
  EXPECT_EQ(ReadOrEmpty(precious), "keep me");
}

// An emptied folder is kept for the next job of the same user: it starts in the same folder,
// which holds nothing of the first.
TEST_F(JobUserTest, ReusesTheEmptiedFolderForTheNextJobOfTheSameUser) {
  if (!CanMakeCgroups()) GTEST_SKIP() << "this process cannot create cgroups";
  auto runner = NewRunner();
  LaunchSpec first;
  AttemptStatus a = RunInGroup(*runner, {21, 1},
                               "echo secret > out.txt; mkdir -p deep/er; touch \"$TMPDIR\"/t; "
                               "ln -s / escape; stat -c %i ..",
                               &first);
  EXPECT_TRUE(a.exit.warning.empty()) << a.exit.warning;
  EXPECT_FALSE(std::filesystem::exists(first.job_dir));
  AttemptStatus b = RunInGroup(*runner, {22, 1},
                               "cd .. && find . -mindepth 1 | sort && stat -c %i . && "
                               "stat -c %a:%u . work tmp");
  const std::string owned = "700:" + std::to_string(kJobUid) + "\n";
  EXPECT_EQ(ReadOrEmpty(b.dir + "/stdout.log"),
            "./tmp\n./work\n" + ReadOrEmpty(a.dir + "/stdout.log") + owned + owned + owned);
}

// A job that swaps its tmp/ for a link to a folder of root's: its folder is deleted, not reused,
// and nothing the link points to is re-owned.
TEST_F(JobUserTest, AFolderWithALinkInPlaceOfTmpIsNotReused) {
  if (!CanMakeCgroups()) GTEST_SKIP() << "this process cannot create cgroups";
  auto runner = NewRunner();
  const std::string victim = temp_.File("victim");
  ASSERT_EQ(::mkdir(victim.c_str(), 0755), 0);
  RunInGroup(*runner, {23, 1}, "cd .. && rmdir tmp && ln -s " + victim + " tmp");
  AttemptStatus b = RunInGroup(*runner, {24, 1}, "cd .. && find . -mindepth 1 | sort");
  EXPECT_EQ(ReadOrEmpty(b.dir + "/stdout.log"), "./tmp\n./work\n");
  struct stat st;
  ASSERT_EQ(::lstat(victim.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(st.st_mode & 0777, 0755u);
}

TEST_F(JobUserTest, PrivateTmpShmAndProc) {
  bool mount_ns = false;
  NodeIsolation probed = ProbeIsolation({"fastgpu-test-sup", "none", true, "", true}, &mount_ns);
  if (!mount_ns) GTEST_SKIP() << "no mount namespace here: " << probed.private_tmp;
  std::string host_file = "/tmp/fg-host-visible-" + std::to_string(::getpid());
  std::ofstream(host_file) << "x";
  auto runner = NewRunner();
  // The attempt folder lies under /tmp here: its workdir must stay reachable all the same.
  LaunchSpec spec =
      UserSpec({9, 1}, "test -e " + host_file +
                           " && echo host-tmp-visible || echo host-tmp-hidden; "
                           "echo mine > /tmp/fg-private-mine-" + std::to_string(::getpid()) +
                           "; echo shm > /dev/shm/mine-" +
                           std::to_string(::getpid()) +
                           "; "
                           "pwd; test -e /proc/1 && echo sees-pid-1 || echo no-pid-1; "
                           "test -e /proc/self/status && echo sees-self");
  spec.private_tmp = true;
  spec.env["TMPDIR"] = "/tmp";
  ASSERT_TRUE(runner->Start({9, 1}, spec).ok());
  AttemptStatus s = WaitExited(*runner, {9, 1});
  ::unlink(host_file.c_str());
  ASSERT_EQ(s.exit.exit_code, 0) << s.exit.error << ReadOrEmpty(s.dir + "/stderr.log");
  EXPECT_EQ(ReadOrEmpty(s.dir + "/stdout.log"),
            "host-tmp-hidden\n" + spec.job_dir + "/work\nno-pid-1\nsees-self\n");
  // A name of this process's own: the host's /tmp is shared with other people's files.
  EXPECT_FALSE(std::filesystem::exists("/tmp/fg-private-mine-" + std::to_string(::getpid())));
  EXPECT_FALSE(std::filesystem::exists("/dev/shm/mine-" + std::to_string(::getpid())));
}

}  // namespace
}  // namespace fastgpu::agent
