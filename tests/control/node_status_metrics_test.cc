// The nodes' health and isolation gauges that /metrics shows (CollectNodeStatus).
#include <gtest/gtest.h>

#include <sstream>

#include "common/metrics.h"
#include "control/controller_impl.h"

namespace fastgpu::control {
namespace {

std::vector<std::string> Samples(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') out.push_back(line);
  }
  return out;
}

TEST(NodeStatusMetrics, OneGaugePerBoundary) {
  NodeStatus full;
  full.isolation = {{"devices", "cgroup-v1-devices"}, {"users", "a user per tenant"}};
  NodeStatus partial;
  partial.healthy = false;
  partial.isolates_tenants = false;
  partial.isolation = {{"devices", "none: no device controller"}, {"private_tmp", "mount namespace"}};
  metrics::Registry registry;
  registry.AddCollector(&registry, [&](metrics::Scrape& out) {
    CollectNodeStatus("a", full, out);
    CollectNodeStatus("b", partial, out);
  });
  std::vector<std::string> samples = Samples(registry.Render());
  for (const char* want : {"fastgpu_node_healthy{node=\"a\"} 1",
                           "fastgpu_node_healthy{node=\"b\"} 0",
                           "fastgpu_node_isolates_tenants{node=\"a\"} 1",
                           "fastgpu_node_isolates_tenants{node=\"b\"} 0",
                           "fastgpu_node_isolation{node=\"a\",boundary=\"devices\"} 1",
                           "fastgpu_node_isolation{node=\"a\",boundary=\"users\"} 1",
                           "fastgpu_node_isolation{node=\"b\",boundary=\"devices\"} 0",
                           "fastgpu_node_isolation{node=\"b\",boundary=\"private_tmp\"} 1"}) {
    EXPECT_NE(std::find(samples.begin(), samples.end(), want), samples.end()) << want;
  }
  EXPECT_EQ(samples.size(), 8u);
}

}  // namespace
}  // namespace fastgpu::control
