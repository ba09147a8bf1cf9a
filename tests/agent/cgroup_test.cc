#include "agent/cgroup/cgroup.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <vector>
#include <string>
#include <thread>

#include "agent/cgroup/cgroup_files.h"
#include "fakes/temp_dir.h"

namespace fastgpu::agent::cgroup {
namespace {

using ::fastgpu::test::TempDir;

void Write(const std::string& path, const std::string& text) {
  ASSERT_TRUE(MakeDirs(path.substr(0, path.rfind('/'))).ok());
  std::ofstream(path) << text;
}

std::string Read(const std::string& path) {
  auto r = ReadFile(path);
  return r.ok() ? *r : "<missing>";
}

TEST(CgroupDetect, V1WhenUnifiedHasNoControllers) {
  // Like this machine: v1 memory/cpu/pids, a unified mount without controllers.
  TempDir t;
  Write(t.File("proc"), "4:memory:/api/x\n2:cpu,cpuacct:/\n8:pids:/\n0::/\n");
  Write(t.File("fs/memory/api/x/cgroup.procs"), "");
  Write(t.File("fs/memory/cgroup.procs"), "");
  Write(t.File("fs/cpu,cpuacct/cgroup.procs"), "");
  Write(t.File("fs/pids/cgroup.procs"), "");
  Write(t.File("fs/unified/cgroup.controllers"), "");
  auto h = Detect(t.File("proc"), t.File("fs"));
  ASSERT_TRUE(h.ok()) << h.error().ToString();
  EXPECT_EQ(h->mode, Mode::kV1);
  EXPECT_EQ(h->memory, t.File("fs/memory/api/x"));
  EXPECT_EQ(h->cpu, t.File("fs/cpu,cpuacct"));
  EXPECT_EQ(h->pids, t.File("fs/pids"));
}

TEST(CgroupDetect, V2WhenOurCgroupOffersMemoryAndCpu) {
  TempDir t;
  Write(t.File("proc"), "0::/system.slice/fastgpu.service\n");
  Write(t.File("fs/cgroup.controllers"), "cpuset cpu io memory pids\n");
  Write(t.File("fs/system.slice/fastgpu.service/cgroup.controllers"), "cpu memory pids\n");
  auto h = Detect(t.File("proc"), t.File("fs"));
  ASSERT_TRUE(h.ok()) << h.error().ToString();
  EXPECT_EQ(h->mode, Mode::kV2);
  EXPECT_EQ(h->v2_base, t.File("fs/system.slice/fastgpu.service"));
}

TEST(CgroupDetect, NothingUsableIsUnavailable) {
  TempDir t;
  Write(t.File("proc"), "0::/\n");
  Write(t.File("fs/cgroup.controllers"), "io\n");
  auto h = Detect(t.File("proc"), t.File("fs"));
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.error().code(), StatusCode::kUnavailable);
}

TEST(CgroupCreate, V2WritesLimitsAndEnablesControllers) {
  // A scratch tree stands in for the kernel: this checks which files get which values.
  TempDir t;
  Hierarchy h;
  h.mode = Mode::kV2;
  h.v2_base = t.path();
  Limits limits{.cpu_milli = 1500, .memory_bytes = 1 << 30, .pids_max = 512};
  auto g = Create(h, "fastgpu/12-1", limits);
  ASSERT_TRUE(g.ok()) << g.error().ToString();
  std::string dir = t.File("fastgpu/12-1");
  EXPECT_EQ(g->dirs, std::vector<std::string>{dir});
  EXPECT_EQ(Read(dir + "/memory.max"), "1073741824");
  EXPECT_EQ(Read(dir + "/cpu.max"), "150000 100000");  // 1.5 cores of a 100 ms period
  EXPECT_EQ(Read(dir + "/pids.max"), "512");
  EXPECT_EQ(Read(t.File("cgroup.subtree_control")), "+memory +cpu +pids");
  EXPECT_EQ(Read(t.File("fastgpu/cgroup.subtree_control")), "+memory +cpu +pids");
}

TEST(CgroupCreate, V1MakesAPidsGroupOnlyForAPidsLimit) {
  TempDir t;
  Hierarchy h;
  h.mode = Mode::kV1;
  h.memory = t.File("memory");
  h.cpu = t.File("cpu");
  h.pids = t.File("pids");
  auto plain = Create(h, "fastgpu/a/1-1", {.cpu_milli = 500, .memory_bytes = 1 << 20});
  ASSERT_TRUE(plain.ok()) << plain.error().ToString();
  EXPECT_EQ(plain->dirs, (std::vector<std::string>{t.File("memory/fastgpu/a/1-1"),
                                                   t.File("cpu/fastgpu/a/1-1")}));
  EXPECT_FALSE(std::filesystem::exists(t.File("pids/fastgpu/a/1-1")));
  EXPECT_EQ(Read(t.File("memory/fastgpu/a/1-1/memory.limit_in_bytes")), "1048576");
  EXPECT_EQ(Read(t.File("cpu/fastgpu/a/1-1/cpu.cfs_quota_us")), "50000");

  auto limited = Create(h, "fastgpu/a/2-1", {.pids_max = 64});
  ASSERT_TRUE(limited.ok()) << limited.error().ToString();
  ASSERT_EQ(limited->dirs.size(), 3u);
  EXPECT_EQ(limited->dirs[2], t.File("pids/fastgpu/a/2-1"));
  EXPECT_EQ(Read(t.File("pids/fastgpu/a/2-1/pids.max")), "64");
}

TEST(CgroupCreate, RejectsNamesThatEscape) {
  Hierarchy h;
  EXPECT_EQ(Create(h, "../x", {}).error().field(), "name");
  EXPECT_EQ(Create(h, "/abs", {}).error().field(), "name");
}

// The rest runs on the kernel's own hierarchy when this process may create groups (root).
class RealCgroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto h = Detect();
    if (!h.ok()) GTEST_SKIP() << "no cgroup hierarchy here: " << h.error().ToString();
    hierarchy_ = *h;
    name_ = "fastgpu-test/" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    auto probe = Create(hierarchy_, name_, {});
    if (!probe.ok()) GTEST_SKIP() << "cannot create cgroups here: " << probe.error().ToString();
    Remove(*probe).IgnoreError();
  }
  void TearDown() override {
    if (group_) {
      KillAll(*group_).IgnoreError();
      Remove(*group_).IgnoreError();
    }
    // The shared parent goes once the last test's group is gone (rmdir fails while not empty).
    for (const std::string& root : {hierarchy_.memory, hierarchy_.cpu, hierarchy_.pids}) {
      if (!root.empty()) ::rmdir((root + "/fastgpu-test").c_str());
    }
  }
  // Forks a child that joins the group and execs argv; returns its pid.
  pid_t Spawn(const std::vector<const char*>& argv) {
    pid_t pid = ::fork();
    if (pid == 0) {
      if (!JoinSelf(*group_).ok()) _exit(120);
      std::vector<char*> args;
      for (const char* a : argv) args.push_back(const_cast<char*>(a));
      args.push_back(nullptr);
      ::execvp(args[0], args.data());
      _exit(127);
    }
    return pid;
  }

  Hierarchy hierarchy_;
  std::string name_;
  std::optional<Group> group_;
};

// A forked child joins through JoinSelf (v1: `tasks`, "0"): the group lists it in every
// hierarchy, and killing the group's processes ends it.
TEST_F(RealCgroupTest, AForkedChildJoinsItselfInEveryHierarchy) {
  auto g = Create(hierarchy_, name_, {.cpu_milli = 500, .memory_bytes = 64 << 20});
  ASSERT_TRUE(g.ok()) << g.error().ToString();
  group_ = *g;
  pid_t pid = Spawn({"sleep", "30"});
  ASSERT_GT(pid, 0);
  bool listed = false;
  for (int i = 0; i < 500 && !listed; ++i) {
    listed = true;
    for (const std::string& dir : group_->dirs) {
      auto procs = ReadFile(dir + "/cgroup.procs");
      listed = listed && procs.ok() && procs->find(std::to_string(pid) + "\n") != std::string::npos;
    }
    if (!listed) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(listed) << "the child is not in every hierarchy of the group";
  ASSERT_TRUE(KillAll(*group_).ok());
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status));
}

TEST_F(RealCgroupTest, MemoryHogIsOomKilledAndReportedSo) {
  auto g = Create(hierarchy_, name_, {.memory_bytes = 64 << 20});
  ASSERT_TRUE(g.ok()) << g.error().ToString();
  group_ = *g;
  EXPECT_EQ(OomKilled(*group_).value(), false);
  pid_t pid = Spawn({"python3", "-c", "b = bytearray(512 << 20); b[::4096] = b'x' * len(b[::4096])"});
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_TRUE(OomKilled(*group_).value());
}

TEST_F(RealCgroupTest, CpuQuotaIsWritten) {
  auto g = Create(hierarchy_, name_, {.cpu_milli = 500});
  ASSERT_TRUE(g.ok()) << g.error().ToString();
  group_ = *g;
  if (hierarchy_.mode == Mode::kV1) {
    EXPECT_EQ(Read(hierarchy_.cpu + "/" + name_ + "/cpu.cfs_quota_us"), "50000\n");
  } else {
    EXPECT_EQ(Read(group_->dirs[0] + "/cpu.max"), "50000 100000\n");
  }
}

TEST_F(RealCgroupTest, KillAllLeavesNoProcessBehindEvenIgnoringSigterm) {
  auto g = Create(hierarchy_, name_, {});
  ASSERT_TRUE(g.ok()) << g.error().ToString();
  group_ = *g;
  // A shell that ignores SIGTERM, with a grandchild in a new session of its own.
  pid_t pid = Spawn({"sh", "-c", "trap '' TERM; setsid sleep 60 & sleep 60"});
  for (int i = 0; i < 200 && Processes(*group_).value().size() < 3; ++i) ::usleep(10000);
  EXPECT_GE(Processes(*group_).value().size(), 3u);
  ASSERT_TRUE(KillAll(*group_).ok());
  EXPECT_TRUE(Processes(*group_).value().empty());
  ::waitpid(pid, nullptr, 0);
  EXPECT_TRUE(Remove(*group_).ok());
  group_.reset();
}

}  // namespace
}  // namespace fastgpu::agent::cgroup
