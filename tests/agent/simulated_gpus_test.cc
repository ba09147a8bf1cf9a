#include "agent/simulated_gpus.h"

#include <gtest/gtest.h>

namespace fastgpu::agent {
namespace {

TEST(SimulatedGpus, ParsesCountAndModel) {
  auto devices = ParseSimulatedGpus("4xA100-80GB", "node-a");
  ASSERT_TRUE(devices.ok()) << devices.error().ToString();
  ASSERT_EQ(devices->size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ((*devices)[i].index, i);
    EXPECT_EQ((*devices)[i].uuid, "GPU-sim-node-a-" + std::to_string(i));
    EXPECT_EQ((*devices)[i].model, "A100-80GB");
    EXPECT_EQ((*devices)[i].memory_mib, 80 * 1024);
  }
}

TEST(SimulatedGpus, ParsesGroupsInOrder) {
  auto devices = ParseSimulatedGpus("2xH100-80GB, 1xT4-16GB", "n");
  ASSERT_TRUE(devices.ok()) << devices.error().ToString();
  ASSERT_EQ(devices->size(), 3u);
  EXPECT_EQ((*devices)[1].model, "H100-80GB");
  EXPECT_EQ((*devices)[2].index, 2);
  EXPECT_EQ((*devices)[2].model, "T4-16GB");
  EXPECT_EQ((*devices)[2].memory_mib, 16 * 1024);
  EXPECT_EQ((*devices)[2].uuid, "GPU-sim-n-2");
}

TEST(SimulatedGpus, ModelAloneMeansOne) {
  auto devices = ParseSimulatedGpus("A100-40GB", "n");
  ASSERT_TRUE(devices.ok()) << devices.error().ToString();
  ASSERT_EQ(devices->size(), 1u);
  EXPECT_EQ((*devices)[0].memory_mib, 40 * 1024);
}

TEST(SimulatedGpus, RejectsBadSpecsNamingTheField) {
  for (const char* bad :
       {"", "  ", "4x", "0xA100-80GB", "4xA100", "4xA100-GB", "4xA100-0GB", "2000xA100-80GB",
        "4xA100-80GB,", ",4xA100-80GB", "A100-80TB", "600xA-1GB,600xB-1GB"}) {
    auto devices = ParseSimulatedGpus(bad, "n");
    ASSERT_FALSE(devices.ok()) << "accepted '" << bad << "'";
    EXPECT_EQ(devices.error().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(devices.error().field(), "simulate") << bad;
    EXPECT_NE(devices.error().message().find("4xA100-80GB"), std::string::npos)
        << "message should show the expected form: " << devices.error().message();
  }
}

TEST(SimulatedGpus, DiscoveryIsSimulated) {
  SimulatedGpuDiscovery discovery("2xT4-16GB", "n");
  EXPECT_TRUE(discovery.simulated());
  auto devices = discovery.Discover();
  ASSERT_TRUE(devices.ok());
  EXPECT_EQ(devices->size(), 2u);
}

}  // namespace
}  // namespace fastgpu::agent
