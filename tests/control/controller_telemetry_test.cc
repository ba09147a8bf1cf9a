// GPU telemetry from agents: device health into the spec (and the scheduler), telemetry and
// jobs' GPU memory high-water marks in the node and GPU views.
#include "control/controller_fixture.h"

namespace fastgpu::control::testing {
namespace {

using core::JobState;

core::NodeTelemetry Health(std::vector<bool> healthy) {
  core::NodeTelemetry t;
  t.sampled_ms = 1;
  for (size_t i = 0; i < healthy.size(); ++i) {
    core::DeviceTelemetry d;
    d.index = static_cast<int32_t>(i);
    d.healthy = healthy[i];
    d.health = healthy[i] ? "" : "XID 79 (1 critical XID error)";
    t.devices.push_back(d);
  }
  return t;
}

const GpuView& Gpu(const PoolView& pool, int32_t index) {
  for (const GpuView& g : pool.gpus) {
    if (g.device.index == index) return g;
  }
  static const GpuView kNone;
  ADD_FAILURE() << "no GPU " << index;
  return kNone;
}

// Device 1 reported unhealthy gets no new work: of two one-GPU jobs the first runs on device 0
// and the second waits. When the device is healthy again, the second runs there.
TEST_F(ControllerTest, UnhealthyDeviceGetsNoNewWorkUntilItRecovers) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 2)).ok());
  ASSERT_TRUE(controller_->ReportTelemetry("n1", Health({true, false})).ok());
  JobView first = MustSubmit(GpuJob(1));
  JobView second = MustSubmit(GpuJob(1));
  ASSERT_EQ(first.record.state, JobState::kScheduled);
  ASSERT_TRUE(first.record.placement.has_value());
  EXPECT_EQ(first.record.placement->devices.at(0).index, 0);
  EXPECT_EQ(second.record.state, JobState::kPending);  // waits: it fits once device 1 is back

  PoolView pool = controller_->Pool();
  EXPECT_FALSE(Gpu(pool, 1).device.healthy);
  EXPECT_EQ(Gpu(pool, 1).free_milli, 0);
  ASSERT_TRUE(Gpu(pool, 1).telemetry.has_value());
  EXPECT_EQ(Gpu(pool, 1).telemetry->health, "XID 79 (1 critical XID error)");
  // Committed: the store keeps the device's health across server restarts.
  auto nodes = store_->ListNodes();
  ASSERT_TRUE(nodes.ok());
  EXPECT_FALSE(nodes->at(0).spec.devices.at(1).healthy);

  ASSERT_TRUE(controller_->ReportTelemetry("n1", Health({true, true})).ok());
  controller_->Settle();  // the health change is committed, then the scheduler places the job
  JobView now = MustGet(second.record.id);
  ASSERT_EQ(now.record.state, JobState::kScheduled) << now.record.reason;
  ASSERT_TRUE(now.record.placement.has_value());
  EXPECT_EQ(now.record.placement->devices.at(0).index, 1);
}

// The agent's status comes with its registration: a node that does not isolate tenants is
// never, not even before its first report, taken for one that does. With
// single_tenant_unisolated, tenant b's job waits while tenant a's runs there, a GPU free.
TEST_F(ControllerTest, NodeStatusTakesEffectWithTheRegistration) {
  queue_options_.single_tenant_unisolated = true;
  OpenController();
  NodeStatus status;
  status.isolation = {{"private_tmp", "none: turned off"}};
  status.isolates_tenants = false;
  status.warnings = {"no private /tmp"};
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 2), status).ok());
  Result<NodeView> node = controller_->GetNode("n1");
  ASSERT_TRUE(node.ok()) << node.error().ToString();
  ASSERT_TRUE(node->status.has_value());
  EXPECT_FALSE(node->status->isolates_tenants);
  EXPECT_EQ(node->status->warnings, status.warnings);
  EXPECT_FALSE(node->record.spec.isolates_tenants);

  JobView a = MustSubmit(GpuJob(1), Member("a"));
  JobView b = MustSubmit(GpuJob(1), Member("b"));
  EXPECT_EQ(a.record.state, JobState::kScheduled);
  EXPECT_EQ(b.record.state, JobState::kPending) << b.record.reason;
}

TEST_F(ControllerTest, HealthSurvivesAServerRestart) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 2)).ok());
  ASSERT_TRUE(controller_->ReportTelemetry("n1", Health({false, true})).ok());
  OpenController();
  JobView job = MustSubmit(GpuJob(1));
  ASSERT_EQ(job.record.state, JobState::kScheduled);
  ASSERT_TRUE(job.record.placement.has_value());
  EXPECT_EQ(job.record.placement->devices.at(0).index, 1);
}

TEST_F(ControllerTest, TelemetryAndPeaksInTheViews) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 1)).ok());
  JobView job = MustSubmit(GpuJob(1, 250));
  core::NodeTelemetry t = Health({true});
  t.devices[0].utilization_pct = 40;
  t.devices[0].processes = {core::GpuProcess{4242, 700, job.record.id}};
  t.jobs = {core::JobGpuMemory{job.record.id, 1, 750}};
  ASSERT_TRUE(controller_->ReportTelemetry("n1", t).ok());
  std::vector<NodeView> nodes = controller_->ListNodes();
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].telemetry, t);
  PoolView pool = controller_->Pool();
  ASSERT_TRUE(Gpu(pool, 0).telemetry.has_value());
  EXPECT_EQ(Gpu(pool, 0).telemetry->utilization_pct, 40);
  ASSERT_EQ(Gpu(pool, 0).allocations.size(), 1u);
  EXPECT_EQ(Gpu(pool, 0).allocations[0].memory_peak_mib, 750);
}

TEST_F(ControllerTest, TelemetryOfAnUnknownNodeIsNotFound) {
  EXPECT_EQ(controller_->ReportTelemetry("ghost", Health({true})).code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace fastgpu::control::testing
