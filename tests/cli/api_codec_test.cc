#include "cli/api_codec.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace fastgpu::cli {
namespace {

constexpr const char* kJob = R"({
  "id": 12, "name": "train", "tenant": "default",
  "argv": ["python3", "train.py"], "env": {"K": "V"}, "workdir": "",
  "resources": {"gpus": 0.25, "gpu_count": 1, "gpu_milli": 250, "gpu_memory_mib": 20480,
                "cpus": 0, "cpu_milli": 1500, "memory_mib": 4096, "gpu_models": []},
  "priority": 5, "max_retries": 2, "time_limit_s": 60,
  "state": "running", "reason": "", "queue_position": 0,
  "node": "node-a", "devices": [{"index": 3, "uuid": "GPU-x", "milli": 250, "memory_mib": 20480}],
  "attempt": 1, "exit_code": null, "signal": null, "cancel_requested": true,
  "submitted_ms": 1764070000000, "started_ms": 1764070001000, "finished_ms": 0,
  "future_field": {"nested": [1, 2]}
})";

TEST(ParseJobTest, ReadsTheProtocolExample) {
  Result<Job> job = ParseJob(kJob);
  ASSERT_TRUE(job.ok()) << job.error().ToString();
  EXPECT_EQ(job->id, 12);
  EXPECT_EQ(job->name, "train");
  EXPECT_EQ(job->argv, (std::vector<std::string>{"python3", "train.py"}));
  EXPECT_EQ(job->gpu_count, 1);
  EXPECT_EQ(job->gpu_milli, 250);
  EXPECT_EQ(job->gpu_memory_mib, 20480);
  EXPECT_EQ(job->cpu_milli, 1500);
  EXPECT_EQ(job->memory_mib, 4096);
  EXPECT_EQ(job->priority, 5);
  EXPECT_EQ(job->state, "running");
  EXPECT_FALSE(job->Ended());
  EXPECT_EQ(job->node, "node-a");
  ASSERT_EQ(job->devices.size(), 1u);
  EXPECT_EQ(job->devices[0].index, 3);
  EXPECT_EQ(job->devices[0].uuid, "GPU-x");
  EXPECT_FALSE(job->exit_code.has_value());
  EXPECT_FALSE(job->signal.has_value());
  EXPECT_TRUE(job->cancel_requested);
  EXPECT_EQ(job->submitted_ms, 1764070000000);
  // The raw object is kept whole, unknown fields included.
  EXPECT_EQ(nlohmann::json::parse(job->json), nlohmann::json::parse(kJob));
}

TEST(ParseJobTest, NullsAndEndedStates) {
  Result<Job> job = ParseJob(
      R"({"id": 3, "state": "failed", "node": null, "devices": [], "exit_code": 2,
          "signal": null, "queue_position": null})");
  ASSERT_TRUE(job.ok());
  EXPECT_TRUE(job->Ended());
  EXPECT_EQ(job->node, "");
  EXPECT_EQ(job->exit_code, 2);
  EXPECT_EQ(job->queue_position, 0);
}

TEST(ParseJobTest, RejectsNonObjects) {
  EXPECT_EQ(ParseJob("not json").error().code(), StatusCode::kInternal);
  EXPECT_EQ(ParseJob("[1]").error().code(), StatusCode::kInternal);
  EXPECT_NE(ParseJob("").error().message().find("unexpected reply from server"), std::string::npos);
}

TEST(ParseJobPageTest, NextIsOptional) {
  Result<JobPage> page = ParseJobPage(R"({"jobs": [{"id": 1}, {"id": 2}], "next": 2})");
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->jobs.size(), 2u);
  EXPECT_EQ(page->jobs[1].id, 2);
  EXPECT_EQ(page->next, 2);

  page = ParseJobPage(R"({"jobs": [], "next": null})");
  ASSERT_TRUE(page.ok());
  EXPECT_FALSE(page->next.has_value());

  EXPECT_FALSE(ParseJobPage(R"({"items": []})").ok());
}

TEST(ParseNodesTest, ReadsDevices) {
  Result<std::vector<Node>> nodes = ParseNodes(R"({"nodes": [
      {"name": "n1", "state": "ready", "simulated": true, "cpu_milli": 16000,
       "memory_mib": 65536, "labels": {}, "last_seen_ms": 5,
       "devices": [{"index": 0, "uuid": "u0", "model": "A100-80GB", "memory_mib": 81920}]}]})");
  ASSERT_TRUE(nodes.ok());
  ASSERT_EQ(nodes->size(), 1u);
  const Node& n = (*nodes)[0];
  EXPECT_EQ(n.name, "n1");
  EXPECT_TRUE(n.simulated);
  EXPECT_EQ(n.cpu_milli, 16000);
  ASSERT_EQ(n.devices.size(), 1u);
  EXPECT_EQ(n.devices[0].model, "A100-80GB");
  EXPECT_EQ(n.devices[0].memory_mib, 81920);
}

TEST(ParsePoolTest, ReadsGpusAndSummary) {
  Result<Pool> pool = ParsePool(R"({"gpus": [{"node": "n1", "index": 0, "uuid": "u",
      "model": "A100-80GB", "memory_mib": 81920, "free_milli": 750, "free_memory_mib": 61440,
      "node_ready": false,
      "allocations": [{"job": 12, "tenant": "default", "milli": 250, "memory_mib": 20480}]}],
    "summary": {"nodes": 1, "gpus": 4, "idle_gpus": 3, "total_milli": 4000, "free_milli": 3750,
                "total_memory_mib": 327680, "free_memory_mib": 307200, "pending_jobs": 2}})");
  ASSERT_TRUE(pool.ok());
  ASSERT_EQ(pool->gpus.size(), 1u);
  EXPECT_EQ(pool->gpus[0].free_milli, 750);
  EXPECT_FALSE(pool->gpus[0].node_ready);
  ASSERT_EQ(pool->gpus[0].allocations.size(), 1u);
  EXPECT_EQ(pool->gpus[0].allocations[0].job, 12);
  EXPECT_EQ(pool->summary.idle_gpus, 3);
  EXPECT_EQ(pool->summary.free_memory_mib, 307200);
  EXPECT_EQ(pool->summary.pending_jobs, 2);
}

TEST(StatusFromHttpTest, ErrorBodyGivesCodeMessageAndField) {
  Status s = StatusFromHttp(400, R"({"error": {"code": "invalid_argument",
                                             "message": "gpus must be a count or a fraction",
                                             "field": "resources.gpus"}})");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "gpus must be a count or a fraction");
  EXPECT_EQ(s.field(), "resources.gpus");

  s = StatusFromHttp(409,
                     R"({"error": {"code": "failed_precondition", "message": "job 3 has ended"}})");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.field(), "");
}

TEST(StatusFromHttpTest, FallsBackToHttpStatus) {
  Status s = StatusFromHttp(401, "");
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(s.message(), "HTTP 401");

  s = StatusFromHttp(502, "<html>Bad Gateway</html>\n");
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(s.message(), "HTTP 502: <html>Bad Gateway</html>");

  s = StatusFromHttp(404, R"({"error": "plain string"})");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_FALSE(s.ok());
}

TEST(JsonArrayTest, JoinsObjects) {
  std::string text = JsonArray({R"({"id": 1})", R"({"id": 2})"});
  EXPECT_EQ(nlohmann::json::parse(text), nlohmann::json::parse(R"([{"id": 1}, {"id": 2}])"));
  EXPECT_EQ(nlohmann::json::parse(JsonArray({})), nlohmann::json::array());
}

}  // namespace
}  // namespace fastgpu::cli
