#include "agent/nvml/nvml.h"

#include <gtest/gtest.h>

#include "agent/nvml_gpu_discovery.h"

namespace fastgpu::agent {
namespace {

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

TEST(Nvml, ListsTheFakeLibrarysDevices) {
  auto devices = NvmlGpuDiscovery(FG_FAKE_NVML).Discover();
  ASSERT_TRUE(devices.ok()) << devices.error().ToString();
  ASSERT_EQ(devices->size(), 2u);
  EXPECT_EQ((*devices)[1].index, 1);
  EXPECT_EQ((*devices)[1].uuid, "GPU-fake-1");
  EXPECT_EQ((*devices)[1].model, "Fake GPU 1");
  EXPECT_EQ((*devices)[1].memory_mib, 80 * 1024);
}

TEST(Nvml, ErrorsCarryNvmlsText) {
  auto lib = nvml::Nvml::Load(FG_FAKE_NVML);
  ASSERT_TRUE(lib.ok());
  ASSERT_TRUE((*lib)->Initialize().ok());
  auto device = (*lib)->DeviceByIndex(7);
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.error().code(), StatusCode::kInternal);
  EXPECT_NE(device.error().message().find("Invalid Argument"), std::string::npos);
}

}  // namespace
}  // namespace fastgpu::agent
