// The GPU sampler and monitor against the fake NVML: telemetry, health from XID events, ECC
// counts and lost devices, processes matched to jobs, and jobs' GPU memory high-water marks.
#include "agent/gpu_monitor.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "agent/job_gpu_memory.h"
#include "agent/nvml_gpu_discovery.h"
#include "agent/nvml_gpu_sampler.h"
#include "fake_nvml_config.h"
#include "vgpu/shm_abi.h"

namespace fastgpu::agent {
namespace {

constexpr char kTwoGpus[] =
    "gpu uuid=GPU-a name=Fake_A100 used_mib=3000 util=37 mem_util=5 temp=55 power_mw=123000 "
    "ecc_corrected=2 ecc_uncorrected=0\n"
    "gpu uuid=GPU-b name=Fake_A100\n";

std::vector<GpuDevice> Discover() {
  auto devices = NvmlGpuDiscovery(FG_FAKE_NVML).List();
  EXPECT_TRUE(devices.ok()) << devices.error().ToString();
  return devices.ok() ? *devices : std::vector<GpuDevice>{};
}

std::unique_ptr<GpuMonitor> StartMonitor(const std::vector<GpuDevice>& devices,
                                         GpuMonitorOptions options = {}) {
  options.sample_ms = 3600 * 1000;  // samples only when a test asks (XIDs still come at once)
  auto sampler = NvmlGpuSampler::Create(FG_FAKE_NVML, devices);
  EXPECT_TRUE(sampler.ok()) << sampler.error().ToString();
  if (!sampler.ok()) return nullptr;
  return std::make_unique<GpuMonitor>(options, std::move(*sampler), devices);
}

// Waits (up to 5 s) until the monitor's health version passes `version`.
bool HealthMovesPast(const GpuMonitor& m, uint64_t version) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (m.health_version() <= version && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return m.health_version() > version;
}

const core::DeviceTelemetry& Device(const core::NodeTelemetry& t, int index) {
  return t.devices.at(static_cast<size_t>(index));
}

TEST(NvmlGpuSampler, ReadsEveryFigure) {
  FakeNvmlConfig config(std::string(kTwoGpus) + "proc pid=99 used_mib=700\n");
  std::vector<GpuDevice> devices = Discover();
  auto sampler = NvmlGpuSampler::Create(FG_FAKE_NVML, devices);
  ASSERT_TRUE(sampler.ok()) << sampler.error().ToString();
  EXPECT_TRUE((*sampler)->HasEvents());
  std::vector<DeviceSample> s = (*sampler)->Sample();
  ASSERT_EQ(s.size(), 2u);
  const core::DeviceTelemetry& a = s[0].telemetry;
  EXPECT_TRUE(s[0].present);
  EXPECT_EQ(a.index, 0);
  EXPECT_EQ(a.uuid, "GPU-a");
  EXPECT_EQ(a.compute_capability, "8.0");
  EXPECT_EQ(a.gpu_index, 0);
  EXPECT_EQ(a.utilization_pct, 37);
  EXPECT_EQ(a.memory_utilization_pct, 5);
  EXPECT_EQ(a.memory_used_mib, 3000);
  EXPECT_EQ(a.temperature_c, 55);
  EXPECT_EQ(a.power_mw, 123000);
  EXPECT_EQ(a.ecc_corrected, 2);
  EXPECT_EQ(a.ecc_uncorrected, 0);
  EXPECT_TRUE(a.processes.empty());
  ASSERT_EQ(s[1].telemetry.processes.size(), 1u);  // "proc" follows GPU-b's line
  EXPECT_EQ(s[1].telemetry.processes[0].pid, 99);
  EXPECT_EQ(s[1].telemetry.processes[0].memory_mib, 700);
}

TEST(GpuMonitor, CriticalXidMakesTheDeviceUnhealthyApplicationXidDoesNot) {
  FakeNvmlConfig config(kTwoGpus);
  auto monitor = StartMonitor(Discover());
  ASSERT_NE(monitor, nullptr);
  const uint64_t v0 = monitor->health_version();
  EXPECT_TRUE(monitor->Specs().at(1).healthy);
  config.Append("xid xid=13 gpu=1");  // an application's fault: counted, not unhealthy
  config.Append("xid xid=79 gpu=1");  // fell off the bus
  ASSERT_TRUE(HealthMovesPast(*monitor, v0));
  std::vector<core::DeviceSpec> specs = monitor->Specs();
  EXPECT_TRUE(specs.at(0).healthy);
  EXPECT_FALSE(specs.at(1).healthy);
  core::NodeTelemetry t = monitor->Snapshot();
  EXPECT_FALSE(Device(t, 1).healthy);
  EXPECT_EQ(Device(t, 1).health, "XID 79 (1 critical XID error)");
  EXPECT_EQ(Device(t, 1).xid_errors, 2);
  EXPECT_EQ(Device(t, 1).last_xid, 79);
  EXPECT_TRUE(Device(t, 0).healthy);
  EXPECT_EQ(Device(t, 0).xid_errors, 0);
}

TEST(GpuMonitor, UncorrectedEccOverTheLimitAndBack) {
  FakeNvmlConfig config(kTwoGpus);
  GpuMonitorOptions options;
  options.health.max_uncorrected_ecc = 1;
  auto monitor = StartMonitor(Discover(), options);
  ASSERT_NE(monitor, nullptr);
  const uint64_t v0 = monitor->health_version();
  config.Write("gpu uuid=GPU-a ecc_uncorrected=1\ngpu uuid=GPU-b ecc_uncorrected=2\n");
  monitor->SampleNowForTest();
  EXPECT_TRUE(monitor->Specs().at(0).healthy);  // 1 is within the limit
  EXPECT_FALSE(monitor->Specs().at(1).healthy);
  EXPECT_EQ(Device(monitor->Snapshot(), 1).health, "2 uncorrected ECC errors (more than 1)");
  EXPECT_EQ(monitor->health_version(), v0 + 1);
  config.Write("gpu uuid=GPU-a\ngpu uuid=GPU-b ecc_uncorrected=0\n");  // after a GPU reset
  monitor->SampleNowForTest();
  EXPECT_TRUE(monitor->Specs().at(1).healthy);
  EXPECT_EQ(monitor->health_version(), v0 + 2);
}

TEST(GpuMonitor, DeviceGoneFromNvmlIsUnhealthy) {
  FakeNvmlConfig config(kTwoGpus);
  auto monitor = StartMonitor(Discover());
  ASSERT_NE(monitor, nullptr);
  config.Write("gpu uuid=GPU-a\ngpu uuid=GPU-b lost=1\n");
  monitor->SampleNowForTest();
  core::NodeTelemetry t = monitor->Snapshot();
  EXPECT_TRUE(Device(t, 0).healthy);
  EXPECT_FALSE(Device(t, 1).healthy);
  EXPECT_EQ(Device(t, 1).health, "gone from NVML");
  EXPECT_FALSE(Device(t, 1).utilization_pct.has_value());
}

// An XID naming a MIG GPU instance marks that instance only; one without marks every
// instance of the GPU.
TEST(GpuMonitor, XidOnAMigInstance) {
  FakeNvmlConfig config(
      "gpu uuid=GPU-m mig=1\nmig uuid=MIG-1 gi=1\nmig uuid=MIG-2 gi=2\ngpu uuid=GPU-w\n");
  auto monitor = StartMonitor(Discover());
  ASSERT_NE(monitor, nullptr);
  uint64_t v = monitor->health_version();
  config.Append("xid xid=94 gi=2 gpu=0");
  ASSERT_TRUE(HealthMovesPast(*monitor, v));
  std::vector<core::DeviceSpec> specs = monitor->Specs();
  ASSERT_EQ(specs.size(), 3u);
  EXPECT_TRUE(specs[0].healthy);   // MIG-1
  EXPECT_FALSE(specs[1].healthy);  // MIG-2
  EXPECT_TRUE(specs[2].healthy);   // GPU-w
  v = monitor->health_version();
  config.Append("xid xid=48 gpu=0");
  ASSERT_TRUE(HealthMovesPast(*monitor, v));
  EXPECT_FALSE(monitor->Specs()[0].healthy);
  EXPECT_TRUE(monitor->Specs()[2].healthy);
}

// A child in a session of its own, as the supervisor starts every job. (The test process
// itself may sit in a session whose leader is outside our pid namespace, which reads as 0.)
class SessionChild {
 public:
  SessionChild() {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setsid();
      ::pause();
      ::_exit(0);
    }
  }
  ~SessionChild() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  int32_t pid() const { return pid_; }
  bool InItsOwnSession() const {
    for (int i = 0; i < 200; ++i) {
      if (SessionOf(pid_) == pid_) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

 private:
  pid_t pid_ = -1;
};

// A job's process on the device is matched to the job by its session, and the job's
// high-water mark keeps the largest total seen.
TEST(GpuMonitor, ProcessesAreMatchedToJobsAndPeaksKept) {
  SessionChild job;
  ASSERT_GT(job.pid(), 0);
  ASSERT_TRUE(job.InItsOwnSession());
  const std::string pid = std::to_string(job.pid());
  FakeNvmlConfig config("gpu uuid=GPU-a\nproc pid=" + pid + " used_mib=500\nproc pid=1 used_mib=9\n"
                        "gpu uuid=GPU-b\nproc pid=" + pid + " used_mib=250\n");
  auto monitor = StartMonitor(Discover());
  ASSERT_NE(monitor, nullptr);
  monitor->SetJobs({MonitoredJob{AttemptKey{12, 1}, job.pid(), ""}});
  monitor->SampleNowForTest();
  core::NodeTelemetry t = monitor->Snapshot();
  ASSERT_EQ(Device(t, 0).processes.size(), 2u);
  EXPECT_EQ(Device(t, 0).processes[0].job, 12);
  EXPECT_EQ(Device(t, 0).processes[1].job, 0);  // pid 1 is not the job's
  ASSERT_EQ(t.jobs.size(), 1u);
  EXPECT_EQ(t.jobs[0], (core::JobGpuMemory{12, 1, 750}));  // both devices together
  config.Write("gpu uuid=GPU-a\nproc pid=" + pid + " used_mib=100\ngpu uuid=GPU-b\n");
  monitor->SampleNowForTest();
  EXPECT_EQ(monitor->Snapshot().jobs.at(0).peak_mib, 750);  // the high-water mark stays
  monitor->SetJobs({});
  EXPECT_TRUE(monitor->Snapshot().jobs.empty());
}

// Writes a ledger file as libfastgpu-vgpu.so leaves it, with these per-device peaks.
void WriteLedger(const std::string& path, uint64_t peak0, uint64_t peak1, uint32_t version) {
  fg_vgpu_shm shm = {};
  shm.magic = FG_VGPU_SHM_MAGIC;
  shm.version = version;
  shm.size = sizeof(fg_vgpu_shm);
  shm.peak[0] = peak0;
  shm.peak[1] = peak1;
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(&shm), sizeof(shm));
}

TEST(JobGpuMemory, LedgerPeaks) {
  test::TempDir dir;
  WriteLedger(dir.File("v2.shm"), 3ULL << 20, (1ULL << 20) + 1, FG_VGPU_SHM_VERSION);
  EXPECT_EQ(LedgerPeakBytes(dir.File("v2.shm")), (4ULL << 20) + 1);
  WriteLedger(dir.File("v1.shm"), 3ULL << 20, 0, 1);
  EXPECT_EQ(LedgerPeakBytes(dir.File("v1.shm")), 0u);  // another version: not read
  EXPECT_EQ(LedgerPeakBytes(dir.File("missing.shm")), 0u);
  EXPECT_EQ(SessionOf(getpid()), getsid(0));
  EXPECT_EQ(SessionOf(0), 0);
}

// On simulated devices (no NVML) the high-water mark comes from the job's ledger: 4 MiB + 1
// byte rounds up to 5 MiB.
TEST(GpuMonitor, SimulatedDevicesReportLedgerPeaks) {
  test::TempDir dir;
  WriteLedger(dir.File("vgpu.shm"), (4ULL << 20) + 1, 0, FG_VGPU_SHM_VERSION);
  GpuDevice sim;
  sim.spec = core::DeviceSpec{0, "GPU-sim-n-0", "A100-80GB", 81920};
  sim.visible_id = "0";
  GpuMonitor monitor(GpuMonitorOptions{}, std::make_unique<SimulatedGpuSampler>(
                                              std::vector<GpuDevice>{sim}),
                     {sim});
  monitor.SetJobs({MonitoredJob{AttemptKey{7, 2}, 0, dir.File("vgpu.shm")}});
  core::NodeTelemetry t = monitor.Snapshot();
  ASSERT_EQ(t.devices.size(), 1u);
  EXPECT_TRUE(t.devices[0].healthy);
  EXPECT_FALSE(t.devices[0].utilization_pct.has_value());
  EXPECT_GT(t.sampled_ms, 0);
  EXPECT_EQ(t.jobs, (std::vector<core::JobGpuMemory>{{7, 2, 5}}));
}

}  // namespace
}  // namespace fastgpu::agent
