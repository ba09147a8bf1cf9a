// The GPU telemetry of agents' reports and of the node and GPU views (protocol.md).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/json_codec.h"

namespace fastgpu::api {
namespace {

using Json = nlohmann::json;

std::string Report(const std::string& telemetry) {
  return R"({"node":"n","attempts":[],"telemetry":)" + telemetry + "}";
}

TEST(ParseReportTelemetry, EveryFigure) {
  Result<ReportRequest> r = ParseReportRequest(Report(R"json({"sampled_ms": 99,
      "gpus": [{"index": 1, "uuid": "GPU-b", "healthy": false, "health": "XID 79 (1 critical XID error)",
                "compute_capability": "9.0", "mig": false, "gpu_index": 1,
                "utilization_pct": 37, "memory_utilization_pct": 5, "memory_used_mib": 3000,
                "temperature_c": 55, "power_mw": 123000, "ecc_corrected": 2,
                "ecc_uncorrected": 0, "xid_errors": 1, "last_xid": 79,
                "processes": [{"pid": 4242, "memory_mib": 700, "job": 12}, {"pid": 7}]}],
      "jobs": [{"job": 12, "attempt": 1, "gpu_memory_peak_mib": 750}]})json"));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_TRUE(r->telemetry.has_value());
  const core::NodeTelemetry& t = *r->telemetry;
  EXPECT_EQ(t.sampled_ms, 99);
  ASSERT_EQ(t.devices.size(), 1u);
  const core::DeviceTelemetry& d = t.devices[0];
  EXPECT_EQ(d.index, 1);
  EXPECT_FALSE(d.healthy);
  EXPECT_EQ(d.health, "XID 79 (1 critical XID error)");
  EXPECT_EQ(d.compute_capability, "9.0");
  EXPECT_EQ(d.utilization_pct, 37);
  EXPECT_EQ(d.power_mw, 123000);
  EXPECT_EQ(d.last_xid, 79);
  ASSERT_EQ(d.processes.size(), 2u);
  EXPECT_EQ(d.processes[0], (core::GpuProcess{4242, 700, 12}));
  EXPECT_FALSE(d.processes[1].memory_mib.has_value());
  EXPECT_EQ(t.jobs, (std::vector<core::JobGpuMemory>{{12, 1, 750}}));
}

TEST(ParseReportTelemetry, AbsentFiguresStayAbsentAndOldReportsHaveNone) {
  Result<ReportRequest> r = ParseReportRequest(
      Report(R"({"gpus": [{"index": 0, "temperature_c": null}]})"));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(r->telemetry->devices[0].healthy);
  EXPECT_FALSE(r->telemetry->devices[0].temperature_c.has_value());
  Result<ReportRequest> old = ParseReportRequest(R"({"node":"n","attempts":[]})");
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(old->telemetry.has_value());
}

// A newer agent's figures this server does not know are ignored, not refused.
TEST(ParseReportTelemetry, UnknownMembersAreIgnored) {
  Result<ReportRequest> r = ParseReportRequest(
      Report(R"({"fans": 3, "gpus": [{"index": 0, "nvlink_errors": 4}]})"));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->telemetry->devices.size(), 1u);
}

TEST(ParseReportTelemetry, BadValuesNameTheirField) {
  auto field = [](const std::string& telemetry) {
    Result<ReportRequest> r = ParseReportRequest(Report(telemetry));
    EXPECT_FALSE(r.ok()) << telemetry;
    return r.ok() ? std::string("<ok>") : r.error().field();
  };
  EXPECT_EQ(field("[]"), "telemetry");
  EXPECT_EQ(field(R"({"gpus": {}})"), "telemetry.gpus");
  EXPECT_EQ(field(R"({"gpus": [{"uuid": "x"}]})"), "telemetry.gpus[0].index");
  EXPECT_EQ(field(R"({"gpus": [{"index": 0, "utilization_pct": 101}]})"),
            "telemetry.gpus[0].utilization_pct");
  EXPECT_EQ(field(R"({"gpus": [{"index": 0, "healthy": "no"}]})"), "telemetry.gpus[0].healthy");
  EXPECT_EQ(field(R"({"gpus": [{"index": 0, "processes": [{"pid": -1}]}]})"),
            "telemetry.gpus[0].processes[0].pid");
  EXPECT_EQ(field(R"({"jobs": [{"job": 1, "attempt": 1}]})"),
            "telemetry.jobs[0].gpu_memory_peak_mib");
}

TEST(ParseRegisterRequest, DeviceHealth) {
  Result<RegisterRequest> reg = ParseRegisterRequest(
      R"({"name":"a","devices":[{"index":0},{"index":1,"healthy":false}]})");
  ASSERT_TRUE(reg.ok()) << reg.error().ToString();
  const core::NodeRecord* node = &reg->node;
  EXPECT_TRUE(node->spec.devices[0].healthy);  // absent: healthy (agents before the field)
  EXPECT_FALSE(node->spec.devices[1].healthy);
  EXPECT_EQ(ParseRegisterRequest(R"({"name":"a","devices":[{"index":0,"healthy":1}]})")
                .error()
                .field(),
            "devices[0].healthy");
}

TEST(EncodeViews, TelemetryHealthAndPeaks) {
  core::DeviceTelemetry t;
  t.index = 0;
  t.uuid = "GPU-a";
  t.healthy = false;
  t.health = "gone from NVML";
  t.utilization_pct = 40;
  t.processes = {core::GpuProcess{4242, 700, 12}};
  control::GpuView gpu;
  gpu.node = "n";
  gpu.device = core::DeviceSpec{0, "GPU-a", "A100-80GB", 81920, false};
  gpu.telemetry = t;
  gpu.allocations = {control::Allocation{12, "default", {250, 20480}, 750}};
  control::PoolView pool;
  pool.gpus = {gpu};
  Json j = Json::parse(EncodePool(pool));
  const Json& g = j["gpus"][0];
  EXPECT_EQ(g["healthy"], false);
  EXPECT_EQ(g["health"], "gone from NVML");
  EXPECT_EQ(g["telemetry"]["utilization_pct"], 40);
  EXPECT_FALSE(g["telemetry"].contains("temperature_c"));  // absent figures are left out
  EXPECT_EQ(g["telemetry"]["processes"][0]["job"], 12);
  EXPECT_EQ(g["allocations"][0]["memory_peak_mib"], 750);

  control::NodeView node;
  node.record.spec.name = "n";
  node.record.spec.devices = {gpu.device};
  node.telemetry.sampled_ms = 5;
  node.telemetry.devices = {t};
  node.telemetry.jobs = {core::JobGpuMemory{12, 1, 750}};
  Json n = Json::parse(EncodeNodes({node}))["nodes"][0];
  EXPECT_EQ(n["devices"][0]["healthy"], false);
  EXPECT_EQ(n["devices"][0]["health"], "gone from NVML");
  EXPECT_EQ(n["devices"][0]["telemetry"]["utilization_pct"], 40);
  EXPECT_EQ(n["telemetry_ms"], 5);
  EXPECT_EQ(n["gpu_jobs"][0]["gpu_memory_peak_mib"], 750);
  // Without telemetry: null, and a GPU without a reported peak shows null.
  pool.gpus[0].telemetry.reset();
  pool.gpus[0].allocations[0].memory_peak_mib.reset();
  j = Json::parse(EncodePool(pool));
  EXPECT_TRUE(j["gpus"][0]["telemetry"].is_null());
  EXPECT_TRUE(j["gpus"][0]["allocations"][0]["memory_peak_mib"].is_null());
}

}  // namespace
}  // namespace fastgpu::api
