// GPU device isolation, enforced by the kernel: fake NVIDIA device nodes made with mknod
// (major 195, no driver behind them) in a folder of the test's own. An open the controller lets
// through reaches the (absent) driver and fails with ENXIO; a denied one fails with EPERM, which
// tells the two apart. Runs the cgroup v1 devices controller and the cgroup v2 BPF program where
// this machine offers them (root; each test says why it skips otherwise).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <string>

#include "agent/cgroup/cgroup.h"
#include "agent/device_files.h"
#include "fakes/temp_dir.h"

namespace fastgpu::agent {
namespace {

using cgroup::DeviceRule;
constexpr uint32_t kUvmMajor = 237;  // unregistered here, like a dynamic nvidia-uvm major

TEST(DeviceRules, FormatAndParse) {
  EXPECT_EQ(cgroup::FormatDeviceRule({'c', 195, 0}), "c 195:0");
  auto r = cgroup::ParseDeviceRule("b 8:16");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (DeviceRule{'b', 8, 16}));
  for (const char* bad : {"c 195", "x 1:2", "c 1:2 rwm", "", "c -1:0"}) {
    EXPECT_EQ(cgroup::ParseDeviceRule(bad).error().field(), "device") << bad;
  }
}

TEST(DeviceRules, BpfProgramHasOneBlockPerRule) {
  EXPECT_EQ(cgroup::DeviceFilterProgram({}).size(), 6u);  // 4 loads, allow, exit
  auto prog = cgroup::DeviceFilterProgram({{'c', 195, 0}, {'c', 195, 2}});
  ASSERT_EQ(prog.size(), 16u);
  EXPECT_EQ(prog[5].imm, 195);  // major of the first rule
  EXPECT_EQ(prog[6].imm, 0);    // its minor
  EXPECT_EQ(prog[11].imm, 2);   // the second rule's minor
  EXPECT_EQ(prog[14].imm, 1);   // allow everything else
}

DeviceFiles FourGpusAndControl() {
  DeviceFiles f;
  for (uint32_t i = 0; i < 4; ++i) f.gpus[static_cast<int32_t>(i)] = {'c', 195, i};
  f.control = {{'c', 195, 255}, {'c', kUvmMajor, 0}};
  return f;
}

TEST(DeniedFor, EveryGpuButTheGrantedOnes) {
  std::vector<core::DeviceGrant> grants = {{1, "GPU-1", {1000, 0}}, {3, "GPU-3", {250, 0}}};
  EXPECT_EQ(DeniedFor(FourGpusAndControl(), grants),
            (std::vector<DeviceRule>{{'c', 195, 0}, {'c', 195, 2}}));
}

TEST(DeniedFor, AJobWithoutGpusGetsNoneOfTheFiles) {
  EXPECT_EQ(DeniedFor(FourGpusAndControl(), {}), (std::vector<DeviceRule>{{'c', 195, 0},
                                                                          {'c', 195, 1},
                                                                          {'c', 195, 2},
                                                                          {'c', 195, 3},
                                                                          {'c', 195, 255},
                                                                          {'c', kUvmMajor, 0}}));
}

TEST(DeniedFor, MigCapabilitiesOfOtherInstances) {
  DeviceFiles f = FourGpusAndControl();
  f.caps[0] = {{'c', 511, 12}, {'c', 511, 13}};
  f.caps[1] = {{'c', 511, 21}};
  auto deny = DeniedFor(f, {{1, "MIG-1", {1000, 0}}});
  EXPECT_EQ(std::count(deny.begin(), deny.end(), DeviceRule{'c', 511, 12}), 1);
  EXPECT_EQ(std::count(deny.begin(), deny.end(), DeviceRule{'c', 511, 21}), 0);
}

// A folder of fake device nodes: nvidia0..2, nvidiactl, nvidia-uvm, and a decoy file.
class FakeDevices : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "mknod needs root";
    Node("nvidia0", 195, 0);
    Node("nvidia1", 195, 1);
    Node("nvidia2", 195, 2);
    Node("nvidiactl", 195, 255);
    Node("nvidia-uvm", kUvmMajor, 0);
    ::close(::open(dir_.File("nvidia9").c_str(), O_CREAT | O_WRONLY, 0644));  // not a device
  }
  void Node(const char* name, uint32_t maj, uint32_t min) {
    ASSERT_EQ(::mknod(dir_.File(name).c_str(), S_IFCHR | 0666, makedev(maj, min)), 0)
        << name << ": " << std::strerror(errno);
  }
  // errno of open(O_RDWR) of each name, from a child that joined `group` (0 for success).
  std::map<std::string, int> OpenAllIn(const cgroup::Group* group) {
    const char* names[] = {"nvidia0", "nvidia1", "nvidia2", "nvidiactl", "nvidia-uvm"};
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    if (pid == 0) {
      if (group != nullptr && !cgroup::AddProcess(*group, ::getpid()).ok()) _exit(3);
      for (const char* n : names) {
        int fd = ::open(dir_.File(n).c_str(), O_RDWR);
        int err = fd >= 0 ? 0 : errno;
        if (::write(fds[1], &err, sizeof(err)) != sizeof(err)) _exit(4);
      }
      _exit(0);
    }
    ::close(fds[1]);
    std::map<std::string, int> out;
    for (const char* n : names) {
      int err = -1;
      if (::read(fds[0], &err, sizeof(err)) == sizeof(err)) out[n] = err;
    }
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    return out;
  }
  void RunWithBackend(cgroup::DeviceBackend backend) {
    auto h = cgroup::Detect();
    if (!h.ok()) GTEST_SKIP() << h.error().ToString();
    if (cgroup::ResolveDeviceBackend(*h, backend) == cgroup::DeviceBackend::kNone) {
      GTEST_SKIP() << "no " << cgroup::DeviceBackendName(backend) << " on this machine";
    }
    DeviceFiles files = ScanDeviceFiles(dir_.path());
    ASSERT_EQ(files.gpus.size(), 3u);  // nvidia9 is a plain file: ignored
    cgroup::Limits limits;
    limits.deny_devices = DeniedFor(files, {{1, "GPU-1", {1000, 0}}});
    limits.device_backend = backend;
    std::string parent = "fastgpu-test-dev";
    auto g = cgroup::Create(*h, parent + "/" + std::to_string(::getpid()), limits);
    if (!g.ok()) GTEST_SKIP() << "cannot create cgroups: " << g.error().ToString();
    if (!g->devices_error.empty()) {
      cgroup::Remove(*g).IgnoreError();
      GTEST_SKIP() << "the kernel refused " << cgroup::DeviceBackendName(backend) << ": "
                   << g->devices_error;
    }
    EXPECT_EQ(g->devices, backend);
    // Outside the group every open reaches the missing driver.
    std::map<std::string, int> outside = OpenAllIn(nullptr);
    for (const auto& [name, err] : outside) EXPECT_EQ(err, ENXIO) << name;
    // Inside it (even with CUDA_VISIBLE_DEVICES unset: the kernel decides, not the variable):
    // device 1 and the control files pass, 0 and 2 are refused.
    std::map<std::string, int> inside = OpenAllIn(&*g);
    EXPECT_EQ(inside, (std::map<std::string, int>{{"nvidia0", EPERM},
                                                  {"nvidia1", ENXIO},
                                                  {"nvidia2", EPERM},
                                                  {"nvidiactl", ENXIO},
                                                  {"nvidia-uvm", ENXIO}}));
    EXPECT_TRUE(cgroup::Remove(*g).ok());
    for (const std::string& d : g->dirs) ::rmdir(d.substr(0, d.rfind('/')).c_str());
  }
  ::fastgpu::test::TempDir dir_;
};

TEST_F(FakeDevices, ScanFindsTheCharacterDevices) {
  DeviceFiles files = ScanDeviceFiles(dir_.path());
  EXPECT_EQ(files.gpus, (std::map<int32_t, DeviceRule>{
                            {0, {'c', 195, 0}}, {1, {'c', 195, 1}}, {2, {'c', 195, 2}}}));
  EXPECT_EQ(files.control, (std::vector<DeviceRule>{{'c', 195, 255}, {'c', kUvmMajor, 0}}));
}

TEST_F(FakeDevices, CgroupV1DevicesControllerLetsDeviceOneThroughOnly) {
  RunWithBackend(cgroup::DeviceBackend::kV1);
}

TEST_F(FakeDevices, BpfDeviceProgramLetsDeviceOneThroughOnly) {
  RunWithBackend(cgroup::DeviceBackend::kBpf);
}

}  // namespace
}  // namespace fastgpu::agent
