#include "agent/reconciler.h"

#include <gtest/gtest.h>

namespace fastgpu::agent {
namespace {

DesiredAttempt Attempt(core::JobId job, int32_t attempt) {
  DesiredAttempt a;
  a.key = {job, attempt};
  a.argv = {"echo", "hi"};
  return a;
}

std::vector<AttemptKey> Keys(const std::vector<DesiredAttempt>& v) {
  std::vector<AttemptKey> out;
  for (const auto& a : v) out.push_back(a.key);
  return out;
}

TEST(Reconcile, StartsWhatWasNeverStarted) {
  auto plan = Reconcile({Attempt(1, 1), Attempt(2, 1)}, {}, {});
  EXPECT_EQ(Keys(plan.start), (std::vector<AttemptKey>{{1, 1}, {2, 1}}));
  EXPECT_TRUE(plan.stop.empty());
}

TEST(Reconcile, NeverStartsTheSameAttemptTwice) {
  // 1-1 ran and exited already (started, not running): listed again, it is not restarted.
  auto plan = Reconcile({Attempt(1, 1), Attempt(1, 2)}, {{1, 1}}, {});
  EXPECT_EQ(Keys(plan.start), (std::vector<AttemptKey>{{1, 2}}));
}

TEST(Reconcile, DuplicatesInTheDesiredListStartOnce) {
  auto plan = Reconcile({Attempt(3, 1), Attempt(3, 1)}, {}, {});
  EXPECT_EQ(plan.start.size(), 1u);
}

TEST(Reconcile, StopsRunningAttemptsNoLongerDesired) {
  auto plan = Reconcile({Attempt(1, 1)}, {{1, 1}, {2, 1}, {3, 1}}, {{1, 1}, {3, 1}});
  EXPECT_TRUE(plan.start.empty());
  EXPECT_EQ(plan.stop, (std::vector<AttemptKey>{{3, 1}}));
}

TEST(Reconcile, EmptyDesiredStopsEverything) {
  auto plan = Reconcile({}, {{1, 1}, {2, 1}}, {{1, 1}, {2, 1}});
  EXPECT_EQ(plan.stop, (std::vector<AttemptKey>{{1, 1}, {2, 1}}));
}

HostEnv Host() {
  HostEnv host;
  host.home = "/home/fg";
  host.user = "fg";
  host.device_memory_mib = {{0, 81920}, {1, 81920}};
  return host;
}

TEST(BuildLaunchSpec, NoGpuJob) {
  DesiredAttempt a = Attempt(12, 2);
  a.env = {{"K", "V"}};
  a.workdir = "/srv/w";
  LaunchSpec spec = BuildLaunchSpec(a, Host());
  EXPECT_EQ(spec.argv, a.argv);
  EXPECT_EQ(spec.workdir, "/srv/w");
  std::map<std::string, std::string> expected = {
      {"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
      {"HOME", "/home/fg"},
      {"USER", "fg"},
      {"LOGNAME", "fg"},
      {"LANG", "C.UTF-8"},
      {"K", "V"},
      {"CUDA_VISIBLE_DEVICES", ""},
      {"FASTGPU_JOB_ID", "12"},
      {"FASTGPU_ATTEMPT", "2"},
      {"FASTGPU_GPUS", ""}};
  EXPECT_EQ(spec.env, expected);
}

TEST(BuildLaunchSpec, WholeGpusHaveNoVgpuLimits) {
  DesiredAttempt a = Attempt(1, 1);
  a.devices = {{0, "GPU-a", {1000, 81920}}, {1, "GPU-b", {1000, 0}}};
  LaunchSpec spec = BuildLaunchSpec(a, Host());
  EXPECT_EQ(spec.env["CUDA_VISIBLE_DEVICES"], "0,1");
  EXPECT_EQ(spec.env["FASTGPU_GPUS"], "GPU-a,GPU-b");
  EXPECT_EQ(spec.env.count("FASTGPU_VGPU_MEMORY_LIMIT"), 0u);
  EXPECT_EQ(spec.env.count("FASTGPU_VGPU_COMPUTE_SHARE"), 0u);
}

TEST(BuildLaunchSpec, SliceSetsVgpuLimits) {
  DesiredAttempt a = Attempt(1, 1);
  a.devices = {{1, "GPU-b", {250, 20480}}};
  LaunchSpec spec = BuildLaunchSpec(a, Host());
  EXPECT_EQ(spec.env["CUDA_VISIBLE_DEVICES"], "1");
  EXPECT_EQ(spec.env["FASTGPU_VGPU_MEMORY_LIMIT"], std::to_string(20480LL * 1024 * 1024));
  EXPECT_EQ(spec.env["FASTGPU_VGPU_COMPUTE_SHARE"], "250");
}

TEST(BuildLaunchSpec, MemoryOnlySliceOfAWholeComputeShare) {
  DesiredAttempt a = Attempt(1, 1);
  a.devices = {{0, "GPU-a", {1000, 10240}}};
  LaunchSpec spec = BuildLaunchSpec(a, Host());
  EXPECT_EQ(spec.env["FASTGPU_VGPU_MEMORY_LIMIT"], std::to_string(10240LL * 1024 * 1024));
  EXPECT_EQ(spec.env["FASTGPU_VGPU_COMPUTE_SHARE"], "1000");
}

TEST(BuildLaunchSpec, JobCannotOverrideFastgpuVariables) {
  DesiredAttempt a = Attempt(5, 1);
  a.env = {{"CUDA_VISIBLE_DEVICES", "0,1,2,3"},
           {"FASTGPU_JOB_ID", "999"},
           {"FASTGPU_VGPU_MEMORY_LIMIT", "1"},
           {"PATH", "/opt/bin"},
           {"LANG", "en_US.UTF-8"}};
  a.devices = {{1, "GPU-b", {1000, 0}}};
  LaunchSpec spec = BuildLaunchSpec(a, Host());
  EXPECT_EQ(spec.env["CUDA_VISIBLE_DEVICES"], "1");
  EXPECT_EQ(spec.env["FASTGPU_JOB_ID"], "5");
  EXPECT_EQ(spec.env.count("FASTGPU_VGPU_MEMORY_LIMIT"), 0u);
  // Ordinary variables are the job's to choose.
  EXPECT_EQ(spec.env["PATH"], "/opt/bin");
  EXPECT_EQ(spec.env["LANG"], "en_US.UTF-8");
}

TEST(BuildLaunchSpec, SlicePreloadsTheVgpuLibraryWithItsLedger) {
  HostEnv host = Host();
  host.vgpu_library = "/opt/fastgpu/lib/fastgpu/libfastgpu-vgpu.so";
  host.attempts_dir = "/var/lib/fastgpu/attempts";
  DesiredAttempt a = Attempt(7, 2);
  a.env = {{"LD_PRELOAD", "libjob.so"}, {"FASTGPU_VGPU_SHM", "/tmp/mine"}};
  a.devices = {{0, "GPU-a", {250, 0}}};
  LaunchSpec spec = BuildLaunchSpec(a, host);
  // Ours first, then the job's own; the ledger in the job's private folder (the job's processes
  // write it); no memory cap (0).
  EXPECT_EQ(spec.env["LD_PRELOAD"], "/opt/fastgpu/lib/fastgpu/libfastgpu-vgpu.so:libjob.so");
  const std::string folder = "/var/lib/fastgpu/attempts/" + AttemptKey{7, 2}.ToString() + "/job";
  EXPECT_EQ(spec.job_dir, folder);
  EXPECT_EQ(spec.env["FASTGPU_VGPU_SHM"], folder + "/vgpu.shm");
  EXPECT_EQ(spec.env["FASTGPU_VGPU_MEMORY_LIMIT"], "0");
  EXPECT_EQ(spec.env["FASTGPU_VGPU_COMPUTE_SHARE"], "250");
}

TEST(BuildLaunchSpec, WholeGpuKeepsTheJobsPreloadOnly) {
  HostEnv host = Host();
  host.vgpu_library = "/opt/libfastgpu-vgpu.so";
  host.attempts_dir = "/data/attempts";
  DesiredAttempt a = Attempt(8, 1);
  a.env = {{"LD_PRELOAD", "libjob.so"}, {"FASTGPU_VGPU_SHM", "/tmp/mine"}};
  a.devices = {{0, "GPU-a", {1000, 0}}};
  LaunchSpec spec = BuildLaunchSpec(a, host);
  EXPECT_EQ(spec.env["LD_PRELOAD"], "libjob.so");
  EXPECT_EQ(spec.env.count("FASTGPU_VGPU_SHM"), 0u);
}

TEST(BuildLaunchSpec, SliceWithoutTheLibraryStillGetsItsLimits) {
  DesiredAttempt a = Attempt(9, 1);
  a.devices = {{0, "GPU-a", {500, 0}}};
  LaunchSpec spec = BuildLaunchSpec(a, Host());  // no library found, no attempts dir
  EXPECT_EQ(spec.env.count("LD_PRELOAD"), 0u);
  EXPECT_EQ(spec.env.count("FASTGPU_VGPU_SHM"), 0u);
  EXPECT_EQ(spec.env["FASTGPU_VGPU_COMPUTE_SHARE"], "500");
}

// A MIG instance is named by its uuid in CUDA_VISIBLE_DEVICES; a whole GPU by its index.
TEST(BuildLaunchSpec, MigInstancesAreVisibleByUuid) {
  HostEnv host = Host();
  host.visible_ids = {{0, "MIG-4f1c"}};
  DesiredAttempt a = Attempt(3, 1);
  a.devices = {{0, "MIG-4f1c", {1000, 0}}};
  EXPECT_EQ(BuildLaunchSpec(a, host).env["CUDA_VISIBLE_DEVICES"], "MIG-4f1c");
  a.devices = {{1, "GPU-b", {1000, 0}}};
  EXPECT_EQ(BuildLaunchSpec(a, host).env["CUDA_VISIBLE_DEVICES"], "1");
}

// With an MPS control daemon, a slice also gets MPS's own limits: 250 milli -> 25 % of the
// SMs, 20 GiB -> "0=20480M" (the job's first and only device), and the daemon's pipes.
TEST(BuildLaunchSpec, SliceUnderMpsGetsMpsLimits) {
  HostEnv host = Host();
  host.mps_pipe_dir = "/run/nvidia-mps";
  DesiredAttempt a = Attempt(4, 1);
  a.env = {{"CUDA_MPS_ACTIVE_THREAD_PERCENTAGE", "100"}};  // the job cannot raise it
  a.devices = {{1, "GPU-b", {250, 20480}}};
  LaunchSpec spec = BuildLaunchSpec(a, host);
  EXPECT_EQ(spec.env["CUDA_MPS_PIPE_DIRECTORY"], "/run/nvidia-mps");
  EXPECT_EQ(spec.env["CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"], "25");
  EXPECT_EQ(spec.env["CUDA_MPS_PINNED_DEVICE_MEM_LIMIT"], "0=20480M");
  EXPECT_EQ(spec.env["FASTGPU_VGPU_COMPUTE_SHARE"], "250");  // the interposer still runs
  // 333 milli rounds up to 34 %; a memory-only slice (milli 0) sets no percentage.
  a.devices = {{1, "GPU-b", {333, 0}}};
  spec = BuildLaunchSpec(a, host);
  EXPECT_EQ(spec.env["CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"], "34");
  EXPECT_EQ(spec.env.count("CUDA_MPS_PINNED_DEVICE_MEM_LIMIT"), 0u);  // proportional: no cap
  a.devices = {{1, "GPU-b", {0, 10240}}};
  spec = BuildLaunchSpec(a, host);
  EXPECT_EQ(spec.env.count("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"), 0u);
  EXPECT_EQ(spec.env["CUDA_MPS_PINNED_DEVICE_MEM_LIMIT"], "0=10240M");
}

TEST(BuildLaunchSpec, WholeGpuUnderMpsGetsNoMpsLimits) {
  HostEnv host = Host();
  host.mps_pipe_dir = "/run/nvidia-mps";
  DesiredAttempt a = Attempt(5, 1);
  a.devices = {{0, "GPU-a", {1000, 0}}};
  LaunchSpec spec = BuildLaunchSpec(a, host);
  EXPECT_EQ(spec.env.count("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"), 0u);
  EXPECT_EQ(spec.env.count("CUDA_MPS_PINNED_DEVICE_MEM_LIMIT"), 0u);
  EXPECT_EQ(spec.env.count("CUDA_MPS_PIPE_DIRECTORY"), 0u);
}

}  // namespace
}  // namespace fastgpu::agent
