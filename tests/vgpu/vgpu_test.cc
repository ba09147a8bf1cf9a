// The library in real processes: vgpu_probe under LD_PRELOAD against the fake driver.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fakes/temp_dir.h"
#include "probe_process.h"

namespace fastgpu::vgpu::test {
namespace {

constexpr uint64_t kLimit = 64ULL << 20;  // 64 MiB, a multiple of the fake pitch (512)

std::map<std::string, std::string> LimitEnv(const fastgpu::test::TempDir& dir) {
  return {{"FASTGPU_VGPU_MEMORY_LIMIT", "64MiB"}, {"FASTGPU_VGPU_SHM", dir.path() + "/vgpu.shm"}};
}

class ExactLimit : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

// At every entry point and through every lookup path: limit+1 is refused with
// CUDA_ERROR_OUT_OF_MEMORY, the limit itself is granted, one more byte is refused, and a free
// gives everything back.
TEST_P(ExactLimit, OverAtAndAfterTheLimit) {
  auto [mode, entry] = GetParam();
  fastgpu::test::TempDir dir;
  int status = -1;
  std::string out = RunProbe({"exact", mode, entry, std::to_string(kLimit)}, LimitEnv(dir), &status);
  EXPECT_EQ(out, "ok\n");
  EXPECT_EQ(status, 0);
}

INSTANTIATE_TEST_SUITE_P(
    EntryPointsAndPaths, ExactLimit,
    ::testing::Combine(::testing::Values("link", "dlsym", "proc", "proc1"),
                       ::testing::Values("alloc", "pitch", "managed", "async", "pool", "create",
                                         "array", "array3d", "mipmap")),
    [](const auto& p) {
      return std::get<0>(p.param) + "_" + std::get<1>(p.param);
    });

// Without the variables the library changes nothing: the fake's 8 GiB device grants 1 GiB and
// reports its own figures (8 GiB total, 1 GiB used).
TEST(VgpuPassThrough, NoVariablesNoLimit) {
  int status = -1;
  std::string out = RunProbe({"info", "proc", std::to_string(1ULL << 30)}, {}, &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("cuMemGetInfo 8589934592 1073741824 7516192768\n"), std::string::npos) << out;
  EXPECT_NE(out.find("cuDeviceTotalMem 8589934592\n"), std::string::npos) << out;
  // The fake NVML says 1 GiB is used by others.
  EXPECT_NE(out.find("nvmlDeviceGetMemoryInfo 8589934592 1073741824 7516192768\n"),
            std::string::npos)
      << out;
  // Same output as without the library at all.
  EXPECT_EQ(out, RunProbe({"info", "proc", std::to_string(1ULL << 30)}, {}, nullptr, false));
}

// Every query shows the slice: total 64 MiB, used 16 MiB (what the job holds), free 48 MiB.
TEST(VgpuReporting, EveryQueryShowsTheSlice) {
  fastgpu::test::TempDir dir;
  auto env = LimitEnv(dir);
  env["CUDA_VISIBLE_DEVICES"] = "0";
  for (const char* mode : {"link", "dlsym", "proc"}) {
    std::string out = RunProbe({"info", mode, std::to_string(16ULL << 20)}, env);
    EXPECT_EQ(out,
              "cuMemGetInfo 67108864 16777216 50331648\n"
              "cuDeviceTotalMem 67108864\n"
              "nvmlDeviceGetMemoryInfo 67108864 16777216 50331648\n"
              "nvmlDeviceGetMemoryInfo_v2 67108864 16777216 50331648\n")
        << mode;
  }
}

// A device the job cannot see (CUDA_VISIBLE_DEVICES=1, NVML device 0) keeps NVML's figures.
TEST(VgpuReporting, InvisibleNvmlDevicePassesThrough) {
  fastgpu::test::TempDir dir;
  auto env = LimitEnv(dir);
  env["CUDA_VISIBLE_DEVICES"] = "1";
  std::string out = RunProbe({"info", "link", "0"}, env);
  EXPECT_NE(out.find("nvmlDeviceGetMemoryInfo 8589934592 1073741824 7516192768\n"),
            std::string::npos)
      << out;
}

// A uuid in CUDA_VISIBLE_DEVICES (as the agent gives a MIG instance, "MIG-...", or a GPU by
// uuid) maps NVML's device to the job's ordinal too: device 0 shows the slice.
TEST(VgpuReporting, UuidInCudaVisibleDevicesIsMapped) {
  fastgpu::test::TempDir dir;
  auto env = LimitEnv(dir);
  env["CUDA_VISIBLE_DEVICES"] = "GPU-fake-0";
  std::string out = RunProbe({"info", "link", std::to_string(16ULL << 20)}, env);
  EXPECT_NE(out.find("nvmlDeviceGetMemoryInfo 67108864 16777216 50331648\n"), std::string::npos)
      << out;
  env["CUDA_VISIBLE_DEVICES"] = "MIG-not-this-one";
  out = RunProbe({"info", "link", "0"}, env);
  EXPECT_NE(out.find("nvmlDeviceGetMemoryInfo 8589934592 1073741824 7516192768\n"),
            std::string::npos)
      << out;
}

// 8 processes race for 20 chunks of limit/20 each (160 tries for 20 places): together they
// are granted exactly 20, never more, while all of them still hold their memory.
TEST(VgpuRace, EightProcessesNeverExceedTheLimit) {
  fastgpu::test::TempDir dir;
  const uint64_t chunk = kLimit / 16;
  std::vector<std::unique_ptr<ProbeProcess>> probes;
  for (int i = 0; i < 8; ++i) {
    probes.push_back(std::make_unique<ProbeProcess>(
        std::vector<std::string>{"race", "link", std::to_string(chunk), "16"}, LimitEnv(dir)));
  }
  int total = 0;
  for (auto& p : probes) {
    std::string line = p->ReadLine();
    ASSERT_EQ(line.rfind("granted=", 0), 0u) << line;
    total += std::stoi(line.substr(8));
  }
  EXPECT_EQ(total, 16);  // 16 chunks of limit/16: exactly the limit
  for (auto& p : probes) {
    p->CloseStdin();
    EXPECT_EQ(p->Wait(), 0);
  }
}

// A SIGKILLed process gives its share back: while it holds the whole slice another process of
// the job gets nothing; once it is dead (and reaped), the next allocation gets the whole slice.
TEST(VgpuReclaim, KilledProcessGivesItsShareBack) {
  fastgpu::test::TempDir dir;
  ProbeProcess holder({"hold", "link", std::to_string(kLimit)}, LimitEnv(dir));
  ASSERT_EQ(holder.ReadLine(), "held rc=0");
  EXPECT_EQ(RunProbe({"alloc", "link", "1"}, LimitEnv(dir)), "rc=2\n");  // OUT_OF_MEMORY
  holder.Kill(SIGKILL);
  holder.Wait();
  EXPECT_EQ(RunProbe({"alloc", "link", std::to_string(kLimit)}, LimitEnv(dir)), "rc=0\n");
}

// Processes that exit normally leave the slice free for the next one as well.
TEST(VgpuReclaim, ExitedProcessesLeaveNothingBehind) {
  fastgpu::test::TempDir dir;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(RunProbe({"alloc", "link", std::to_string(kLimit)}, LimitEnv(dir)), "rc=0\n");
  }
}

// A malformed limit is ignored (said on stderr), never fatal: the call passes through.
TEST(VgpuConfig, BadLimitPassesThrough) {
  std::string out = RunProbe({"alloc", "link", std::to_string(1ULL << 30)},
                             {{"FASTGPU_VGPU_MEMORY_LIMIT", "lots"}});
  EXPECT_EQ(out, "rc=0\n");
}

// One "share=P starved=S" line of the probe.
struct Measured {
  int share = -1;    // device busy time per mille of wall time
  int starved = 0;   // time the probe waited for a CPU, per mille of wall time
};

Measured ParseMeasured(const std::string& line) {
  Measured m;
  EXPECT_EQ(line.rfind("share=", 0), 0u) << line;
  if (std::sscanf(line.c_str(), "share=%d starved=%d", &m.share, &m.starved) < 1) m.share = -1;
  return m;
}

// The least share that is still right: 10 % under the target over the time the probe had a
// CPU. The fake device is the probe's own CPU, so on a loaded machine it computes only while
// the probe runs; the throttle must not take more than the target, whatever the load, but it
// cannot give device time to a process that is not running. Unloaded, starved is ~0.
int LowerBound(int target, int starved) {
  return target * 9 / 10 * (1000 - std::min(starved, 1000)) / 1000;
}

Measured Share(const std::string& kind, const std::string& milli) {
  std::map<std::string, std::string> env = {{"FASTGPU_VGPU_COMPUTE_SHARE", milli},
                                            {"FAKE_CUDA_KERNEL_NS", "100000"}};
  return ParseMeasured(RunProbe({"compute", "proc", kind, "600"}, env));
}

// A job at 250 milli keeps the (fake) device busy 25 % of the time, ±10 % of the target
// (225..275 per mille), whichever launch it uses; 500 milli: 450..550. Each run takes 0.6 s.
// The lower bound gives back the time the probe waited for a CPU (LowerBound).
TEST(VgpuCompute, ShareWithinTenPercent) {
  for (const char* kind : {"kernel", "ex", "coop", "graph"}) {
    Measured m = Share(kind, "250");
    EXPECT_GE(m.share, LowerBound(250, m.starved)) << kind << " starved " << m.starved;
    EXPECT_LE(m.share, 275) << kind;
  }
  Measured half = Share("kernel", "500");
  EXPECT_GE(half.share, LowerBound(500, half.starved)) << "starved " << half.starved;
  EXPECT_LE(half.share, 550);
}

// The share is per job, not per process: two processes of one job (one ledger) at 500 milli
// keep the device busy 500 per mille together (450..550), not 500 each. Both run 0.6 s, started
// at the same moment (each waits for its stdin to close).
TEST(VgpuCompute, ShareHoldsForAllProcessesOfAJobTogether) {
  fastgpu::test::TempDir dir;
  std::map<std::string, std::string> env = {{"FASTGPU_VGPU_COMPUTE_SHARE", "500"},
                                            {"FASTGPU_VGPU_SHM", dir.path() + "/vgpu.shm"},
                                            {"FAKE_CUDA_KERNEL_NS", "100000"}};
  std::vector<std::unique_ptr<ProbeProcess>> probes;
  for (int i = 0; i < 2; ++i) {
    probes.push_back(std::make_unique<ProbeProcess>(
        std::vector<std::string>{"compute", "proc", "kernel", "600", "sync"}, env));
  }
  for (auto& p : probes) ASSERT_EQ(p->ReadLine(), "ready");
  for (auto& p : probes) p->CloseStdin();
  int total = 0;
  int starved = 0;
  for (auto& p : probes) {
    Measured m = ParseMeasured(p->ReadLine());
    ASSERT_GE(m.share, 0);
    total += m.share;
    starved = std::max(starved, m.starved);
    EXPECT_EQ(p->Wait(), 0);
  }
  std::printf("two processes of one job at 500 milli: %d per mille together (starved %d)\n",
              total, starved);
  EXPECT_GE(total, LowerBound(500, starved));
  EXPECT_LE(total, 550);
}

// Without a share the device is busy nearly all the time (the loop does nothing else).
TEST(VgpuCompute, NoShareNoThrottle) {
  Measured m = ParseMeasured(
      RunProbe({"compute", "link", "kernel", "200"}, {{"FAKE_CUDA_KERNEL_NS", "100000"}}));
  EXPECT_GE(m.share, LowerBound(1000, m.starved)) << "starved " << m.starved;
}

}  // namespace
}  // namespace fastgpu::vgpu::test
