// The NVML wrapper and NVML discovery against the fake libnvidia-ml.so.1 built by these tests
// (fake_nvml.c): devices, MIG, processes, XID events, a lost device, a library without the
// optional calls, and no library at all.
#include "agent/nvml/nvml.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "agent/nvml_gpu_discovery.h"
#include "fake_nvml_config.h"

namespace fastgpu::agent {
namespace {

std::unique_ptr<nvml::Nvml> LoadFake(const char* library = FG_FAKE_NVML) {
  auto lib = nvml::Nvml::Load(library);
  EXPECT_TRUE(lib.ok()) << lib.error().ToString();
  if (!lib.ok()) return nullptr;
  EXPECT_TRUE((*lib)->Initialize().ok());
  return std::move(lib).value();
}

TEST(Nvml, MissingLibraryIsUnavailable) {
  const std::string missing = "libnvidia-ml-does-not-exist.so.1";
  EXPECT_FALSE(nvml::Nvml::IsAvailable(missing));
  auto lib = nvml::Nvml::Load(missing);
  ASSERT_FALSE(lib.ok());
  EXPECT_EQ(lib.error().code(), StatusCode::kUnavailable);
  EXPECT_NE(lib.error().message().find(missing), std::string::npos);

  NvmlGpuDiscovery discovery(missing);
  EXPECT_FALSE(discovery.simulated());
  auto devices = discovery.Discover();
  ASSERT_FALSE(devices.ok());
  EXPECT_EQ(devices.error().code(), StatusCode::kUnavailable);
}

TEST(Nvml, DefaultLibraryOnThisMachineDoesNotCrash) {
  // Without a driver this is Unavailable; on a GPU machine it lists devices.
  auto devices = NvmlGpuDiscovery().Discover();
  if (!devices.ok()) {
    EXPECT_EQ(devices.error().code(), StatusCode::kUnavailable) << devices.error().ToString();
  }
}

TEST(Nvml, LibraryWithoutSymbolsIsUnavailable) {
  auto lib = nvml::Nvml::Load("libc.so.6");
  ASSERT_FALSE(lib.ok());
  EXPECT_EQ(lib.error().code(), StatusCode::kUnavailable);
  EXPECT_NE(lib.error().message().find("nvmlInit_v2"), std::string::npos);
}

TEST(Nvml, CallsBeforeInitializeFail) {
  auto lib = nvml::Nvml::Load(FG_FAKE_NVML);
  ASSERT_TRUE(lib.ok()) << lib.error().ToString();
  auto count = (*lib)->DeviceCount();
  ASSERT_FALSE(count.ok());
  EXPECT_EQ(count.error().code(), StatusCode::kFailedPrecondition);
}

TEST(Nvml, ListsTheFakeLibrarysDefaultDevices) {
  auto devices = NvmlGpuDiscovery(FG_FAKE_NVML).List();
  ASSERT_TRUE(devices.ok()) << devices.error().ToString();
  ASSERT_EQ(devices->size(), 2u);
  const GpuDevice& d = (*devices)[1];
  EXPECT_EQ(d.spec.index, 1);
  EXPECT_EQ(d.spec.uuid, "GPU-fake-1");
  EXPECT_EQ(d.spec.model, "Fake GPU 1");
  EXPECT_EQ(d.spec.memory_mib, 80 * 1024);
  EXPECT_TRUE(d.spec.healthy);
  EXPECT_EQ(d.visible_id, "1");
  EXPECT_EQ(d.gpu_index, 1);
  EXPECT_FALSE(d.mig);
  EXPECT_EQ(d.compute_capability, "8.0");
}

TEST(Nvml, ErrorsCarryNvmlsText) {
  auto lib = LoadFake();
  ASSERT_NE(lib, nullptr);
  auto device = lib->DeviceByIndex(7);
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.error().code(), StatusCode::kInternal);
  EXPECT_NE(device.error().message().find("Invalid Argument"), std::string::npos);
}

TEST(Nvml, EveryFigureOfADevice) {
  FakeNvmlConfig config(
      "gpu uuid=GPU-a name=Fake_H100 memory_mib=81559 used_mib=2048 cc=9.0 util=37 mem_util=12 "
      "temp=61 power_mw=312000 ecc_corrected=4 ecc_uncorrected=0\n"
      "proc pid=4242 used_mib=1500\n"
      "proc pid=4343 used_mib=-1\n");
  auto lib = LoadFake();
  ASSERT_NE(lib, nullptr);
  ASSERT_EQ(*lib->DeviceCount(), 1u);
  nvml::Device d = *lib->DeviceByIndex(0);
  EXPECT_EQ(*lib->DeviceName(d), "Fake H100");
  EXPECT_EQ(lib->DeviceMemory(d)->used_bytes, 2048ULL << 20);
  EXPECT_EQ(lib->CudaComputeCapability(d)->major, 9);
  EXPECT_FALSE(*lib->MigEnabled(d));
  EXPECT_EQ(lib->DeviceUtilization(d)->gpu_pct, 37u);
  EXPECT_EQ(lib->DeviceUtilization(d)->memory_pct, 12u);
  EXPECT_EQ(*lib->TemperatureCelsius(d), 61u);
  EXPECT_EQ(*lib->PowerMilliwatts(d), 312000u);
  EXPECT_EQ(*lib->EccErrors(d, nvml::EccCounter::kCorrected), 4u);
  EXPECT_EQ(*lib->EccErrors(d, nvml::EccCounter::kUncorrected), 0u);
  auto procs = lib->ComputeProcesses(d);
  ASSERT_TRUE(procs.ok()) << procs.error().ToString();
  ASSERT_EQ(procs->size(), 2u);
  EXPECT_EQ((*procs)[0].pid, 4242u);
  EXPECT_EQ((*procs)[0].used_bytes, 1500ULL << 20);
  EXPECT_EQ((*procs)[1].pid, 4343u);
  EXPECT_FALSE((*procs)[1].used_bytes.has_value());  // NVML_VALUE_NOT_AVAILABLE
}

TEST(Nvml, FiguresTheDeviceDoesNotOfferAreNotFound) {
  FakeNvmlConfig config("gpu uuid=GPU-a ecc_corrected=-1 ecc_uncorrected=-1\n");
  auto lib = LoadFake();
  ASSERT_NE(lib, nullptr);
  auto ecc = lib->EccErrors(*lib->DeviceByIndex(0), nvml::EccCounter::kUncorrected);
  ASSERT_FALSE(ecc.ok());
  EXPECT_EQ(ecc.error().code(), StatusCode::kNotFound);  // NVML_ERROR_NOT_SUPPORTED
}

// A driver with only the core symbols: discovery still works; every optional call is NotFound.
TEST(Nvml, LibraryWithoutOptionalCalls) {
  auto lib = LoadFake(FG_FAKE_NVML_MINIMAL);
  ASSERT_NE(lib, nullptr);
  nvml::Device d = *lib->DeviceByIndex(0);
  EXPECT_EQ(lib->CudaComputeCapability(d).error().code(), StatusCode::kNotFound);
  EXPECT_EQ(lib->MigEnabled(d).error().code(), StatusCode::kNotFound);
  EXPECT_EQ(lib->DeviceUtilization(d).error().code(), StatusCode::kNotFound);
  EXPECT_EQ(lib->ComputeProcesses(d).error().code(), StatusCode::kNotFound);
  EXPECT_EQ(lib->WatchXidEvents({d}).code(), StatusCode::kNotFound);
  auto devices = NvmlGpuDiscovery(FG_FAKE_NVML_MINIMAL).List();
  ASSERT_TRUE(devices.ok()) << devices.error().ToString();
  ASSERT_EQ(devices->size(), 2u);
  EXPECT_EQ((*devices)[0].compute_capability, "");
}

// GPU 0 in MIG mode with two instances, GPU 1 whole, GPU 2 in MIG mode with no instance:
// three devices. The instances get indexes 0 and 1 and CUDA sees them by uuid; GPU 1 is
// index 2, seen by its NVML index "1"; GPU 2 offers nothing.
TEST(Nvml, MigInstancesAreDevicesOfTheirOwn) {
  FakeNvmlConfig config(
      "gpu uuid=GPU-m name=Fake_A100 memory_mib=40960 cc=8.0 mig=1\n"
      "mig uuid=MIG-1 name=Fake_A100_MIG_3g.20gb memory_mib=20096 gi=1\n"
      "mig uuid=MIG-2 name=Fake_A100_MIG_2g.10gb memory_mib=9856 gi=5\n"
      "gpu uuid=GPU-w name=Fake_A100 memory_mib=40960 cc=8.0\n"
      "gpu uuid=GPU-e name=Fake_A100 memory_mib=40960 mig=1\n");
  auto devices = NvmlGpuDiscovery(FG_FAKE_NVML).List();
  ASSERT_TRUE(devices.ok()) << devices.error().ToString();
  ASSERT_EQ(devices->size(), 3u);
  const GpuDevice& m1 = (*devices)[0];
  EXPECT_EQ(m1.spec.index, 0);
  EXPECT_EQ(m1.spec.uuid, "MIG-1");
  EXPECT_EQ(m1.spec.model, "Fake A100 MIG 3g.20gb");
  EXPECT_EQ(m1.spec.memory_mib, 20096);
  EXPECT_TRUE(m1.mig);
  EXPECT_EQ(m1.gpu_index, 0);
  EXPECT_EQ(m1.visible_id, "MIG-1");
  EXPECT_EQ(m1.compute_capability, "8.0");
  EXPECT_EQ((*devices)[1].spec.uuid, "MIG-2");
  EXPECT_EQ((*devices)[1].spec.index, 1);
  const GpuDevice& whole = (*devices)[2];
  EXPECT_EQ(whole.spec.index, 2);
  EXPECT_EQ(whole.spec.uuid, "GPU-w");
  EXPECT_FALSE(whole.mig);
  EXPECT_EQ(whole.gpu_index, 1);
  EXPECT_EQ(whole.visible_id, "1");
}

TEST(Nvml, XidEventsAfterRegistrationArriveWithTheirGpuInstance) {
  FakeNvmlConfig config(
      "gpu uuid=GPU-a mig=1\n"
      "mig uuid=MIG-1 gi=3\n"
      "gpu uuid=GPU-b\n"
      "xid xid=48\n");  // before the registration: not an event
  auto lib = LoadFake();
  ASSERT_NE(lib, nullptr);
  nvml::Device a = *lib->DeviceByIndex(0);
  nvml::Device b = *lib->DeviceByIndex(1);
  EXPECT_EQ(lib->WaitXidEvent(0).error().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(lib->WatchXidEvents({a, b}).ok());
  auto none = lib->WaitXidEvent(20);
  ASSERT_TRUE(none.ok()) << none.error().ToString();
  EXPECT_FALSE(none->has_value());  // timeout
  config.Append("xid xid=79");          // on GPU-b (the last gpu line)
  auto event = lib->WaitXidEvent(1000);
  ASSERT_TRUE(event.ok() && event->has_value());
  EXPECT_EQ((*event)->device, b);
  EXPECT_EQ((*event)->xid, 79u);
  EXPECT_FALSE((*event)->gpu_instance.has_value());
  // An event attributed to a MIG GPU instance names it.
  config.Append("xid xid=94 gi=3 gpu=0");
  event = lib->WaitXidEvent(1000);
  ASSERT_TRUE(event.ok() && event->has_value());
  EXPECT_EQ((*event)->device, a);
  EXPECT_EQ((*event)->gpu_instance, 3u);
}

TEST(Nvml, ALostGpuLeavesTheListAndItsHandleSaysSo) {
  FakeNvmlConfig config("gpu uuid=GPU-a\ngpu uuid=GPU-b\n");
  auto lib = LoadFake();
  ASSERT_NE(lib, nullptr);
  nvml::Device b = *lib->DeviceByIndex(1);
  config.Write("gpu uuid=GPU-a\ngpu uuid=GPU-b lost=1\n");
  EXPECT_EQ(*lib->DeviceCount(), 1u);
  auto memory = lib->DeviceMemory(b);
  ASSERT_FALSE(memory.ok());
  EXPECT_EQ(memory.error().code(), StatusCode::kUnavailable);  // NVML_ERROR_GPU_IS_LOST
  auto found = EnumerateNvmlDevices(*lib, nullptr);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].device.spec.uuid, "GPU-a");
}

}  // namespace
}  // namespace fastgpu::agent
