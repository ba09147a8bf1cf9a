// Unit tests of the JSON codec and the Status -> HTTP mapping: every bad input names its field.
#include "api/json_codec.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/status_http.h"

namespace fastgpu::api {
namespace {

using Json = nlohmann::json;

// The field of the error from parsing `body` ("<ok>" when it parsed).
std::string SubmitErrorField(const std::string& body) {
  Result<core::JobSpec> spec = ParseSubmitRequest(body);
  if (spec.ok()) return "<ok>";
  EXPECT_EQ(spec.error().code(), StatusCode::kInvalidArgument) << body;
  return spec.error().field();
}

core::ResourceRequest Resources(const std::string& resources_json) {
  Result<core::JobSpec> spec =
      ParseSubmitRequest(R"({"argv":["true"],"resources":)" + resources_json + "}");
  EXPECT_TRUE(spec.ok()) << resources_json << ": " << spec.error().ToString();
  return spec.ok() ? spec->resources : core::ResourceRequest{};
}

TEST(ParseSubmitRequest, FullBody) {
  Result<core::JobSpec> spec = ParseSubmitRequest(R"({
      "name": "train", "argv": ["echo", "hi"], "env": {"K": "V"}, "workdir": "/tmp",
      "resources": {"gpus": 1, "gpu_memory_mib": 10240, "cpus": 2, "memory_mib": 4096,
                    "gpu_models": ["A100-80GB"]},
      "priority": 5, "max_retries": 2, "time_limit_s": 60})");
  ASSERT_TRUE(spec.ok()) << spec.error().ToString();
  EXPECT_EQ(spec->name, "train");
  EXPECT_EQ(spec->argv, (std::vector<std::string>{"echo", "hi"}));
  EXPECT_EQ(spec->env.at("K"), "V");
  EXPECT_EQ(spec->workdir, "/tmp");
  EXPECT_EQ(spec->resources.gpu_count, 1);
  EXPECT_EQ(spec->resources.gpu_milli, 1000);
  EXPECT_EQ(spec->resources.gpu_memory_mib, 10240);
  EXPECT_EQ(spec->resources.cpu_milli, 2000);
  EXPECT_EQ(spec->resources.memory_mib, 4096);
  EXPECT_EQ(spec->resources.gpu_models, (std::vector<std::string>{"A100-80GB"}));
  EXPECT_EQ(spec->priority, 5);
  EXPECT_EQ(spec->max_retries, 2);
  EXPECT_EQ(spec->time_limit_s, 60);
}

TEST(ParseSubmitRequest, MalformedJsonNamesBody) {
  EXPECT_EQ(SubmitErrorField(""), "body");
  EXPECT_EQ(SubmitErrorField("{"), "body");
  EXPECT_EQ(SubmitErrorField(R"({"argv": ["a"],})"), "body");
  EXPECT_EQ(SubmitErrorField(R"(["argv"])"), "body");
  EXPECT_EQ(SubmitErrorField("NaN"), "body");
  EXPECT_EQ(SubmitErrorField(R"({"argv":["a"],"resources":{"gpus":NaN}})"), "body");
}

TEST(ParseSubmitRequest, UnknownFieldsAreNamed) {
  EXPECT_EQ(SubmitErrorField(R"({"argv":["a"],"gpus":1})"), "gpus");
  EXPECT_EQ(SubmitErrorField(R"({"argv":["a"],"resources":{"gpu":1}})"), "resources.gpu");
}

TEST(ParseSubmitRequest, Argv) {
  EXPECT_EQ(SubmitErrorField(R"({})"), "argv");
  EXPECT_EQ(SubmitErrorField(R"({"name":"x"})"), "argv");
  EXPECT_EQ(SubmitErrorField(R"({"argv":[]})"), "argv");
  EXPECT_EQ(SubmitErrorField(R"({"argv":"echo hi"})"), "argv");
  EXPECT_EQ(SubmitErrorField(R"({"argv":["echo", 3]})"), "argv[1]");
}

TEST(ParseSubmitRequest, WrongTypesAreNamed) {
  EXPECT_EQ(SubmitErrorField(R"({"argv":["a"],"name":5})"), "name");
  EXPECT_EQ(SubmitErrorField(R"({"argv":["a"],"env":["K=V"]})"), "env");
  EXPECT_EQ(SubmitErrorField(R"({"argv":["a"],"env":{"K":1}})"), "env.K");
  EXPECT_EQ(SubmitErrorField(R"({"argv":["a"],"workdir":false})"), "workdir");
  EXPECT_EQ(SubmitErrorField(R"({"argv":["a"],"resources":[]})"), "resources");
  EXPECT_EQ(SubmitErrorField(R"({"argv":["a"],"priority":"high"})"), "priority");
  EXPECT_EQ(SubmitErrorField(R"({"argv":["a"],"priority":1.5})"), "priority");
  EXPECT_EQ(SubmitErrorField(R"({"argv":["a"],"priority":1001})"), "priority");
  EXPECT_EQ(SubmitErrorField(R"({"argv":["a"],"max_retries":-1})"), "max_retries");
  EXPECT_EQ(SubmitErrorField(R"({"argv":["a"],"max_retries":101})"), "max_retries");
  EXPECT_EQ(SubmitErrorField(R"({"argv":["a"],"time_limit_s":"1h"})"), "time_limit_s");
  EXPECT_EQ(SubmitErrorField(R"({"argv":["a"],"time_limit_s":-1})"), "time_limit_s");
  EXPECT_EQ(SubmitErrorField(R"({"argv":["a"],"resources":{"cpus":"2"}})"), "resources.cpus");
  EXPECT_EQ(SubmitErrorField(R"({"argv":["a"],"resources":{"cpus":-1}})"), "resources.cpus");
  EXPECT_EQ(SubmitErrorField(R"({"argv":["a"],"resources":{"memory_mib":1.5}})"),
            "resources.memory_mib");
  EXPECT_EQ(SubmitErrorField(R"({"argv":["a"],"resources":{"gpu_memory_mib":-5}})"),
            "resources.gpu_memory_mib");
  EXPECT_EQ(SubmitErrorField(R"({"argv":["a"],"resources":{"gpu_models":"A100"}})"),
            "resources.gpu_models");
}

TEST(ParseSubmitRequest, BadGpusNameTheField) {
  for (const char* gpus : {"-1", "-0.5", "1.5", "2.25", "\"NaN\"", "\"1\"", "\"Infinity\"", "true",
                           "[1]", "0.0001", "0.2505", "1025", "1e9", "99999999999999999999"}) {
    EXPECT_EQ(SubmitErrorField(std::string(R"({"argv":["a"],"resources":{"gpus":)") + gpus + "}}"),
              "resources.gpus")
        << gpus;
  }
}

TEST(ParseSubmitRequest, GpusMapToCountAndMilli) {
  core::ResourceRequest r = Resources(R"({"gpus":0.25})");
  EXPECT_EQ(r.gpu_count, 1);
  EXPECT_EQ(r.gpu_milli, 250);
  r = Resources(R"({"gpus":0.125})");
  EXPECT_EQ(r.gpu_milli, 125);
  r = Resources(R"({"gpus":2})");
  EXPECT_EQ(r.gpu_count, 2);
  EXPECT_EQ(r.gpu_milli, 1000);
  r = Resources(R"({"gpus":2.0})");
  EXPECT_EQ(r.gpu_count, 2);
  r = Resources(R"({"gpus":1024})");
  EXPECT_EQ(r.gpu_count, 1024);
  r = Resources(R"({"gpus":0})");
  EXPECT_EQ(r.gpu_count, 0);
  r = Resources(R"({"gpu_memory_mib":10240})");  // memory-only slice of one device
  EXPECT_EQ(r.gpu_count, 1);
  EXPECT_EQ(r.gpu_milli, 0);
  EXPECT_EQ(r.gpu_memory_mib, 10240);
  r = Resources(R"({"gpus":1,"gpu_memory_mib":10240})");
  EXPECT_EQ(r.gpu_count, 1);
  EXPECT_EQ(r.gpu_milli, 1000);
  EXPECT_EQ(r.gpu_memory_mib, 10240);
  r = Resources(R"({"cpus":0.5,"memory_mib":100})");
  EXPECT_EQ(r.cpu_milli, 500);
  EXPECT_EQ(r.memory_mib, 100);
  EXPECT_EQ(SubmitErrorField(R"({"argv":["a"],"resources":{"gpus":2,"gpu_memory_mib":1}})"),
            "resources.gpu_memory_mib");
}

control::JobView SampleJob() {
  control::JobView v;
  v.record.id = 12;
  v.record.spec.name = "train";
  v.record.spec.argv = {"python3", "train.py"};
  v.record.spec.env = {{"K", "V"}};
  v.record.spec.resources.gpu_count = 1;
  v.record.spec.resources.gpu_milli = 250;
  v.record.spec.resources.cpu_milli = 1500;
  v.record.state = core::JobState::kPending;
  v.record.reason = "waiting";
  v.record.submit_ms = 1764070000000;
  v.queue_position = 3;
  return v;
}

TEST(EncodeJob, MatchesTheProtocolShape) {
  Json j = Json::parse(EncodeJob(SampleJob()));
  EXPECT_EQ(j["id"], 12);
  EXPECT_EQ(j["tenant"], "default");
  EXPECT_EQ(j["argv"], Json::array({"python3", "train.py"}));
  EXPECT_EQ(j["env"]["K"], "V");
  EXPECT_DOUBLE_EQ(j["resources"]["gpus"].get<double>(), 0.25);
  EXPECT_EQ(j["resources"]["gpu_count"], 1);
  EXPECT_EQ(j["resources"]["gpu_milli"], 250);
  EXPECT_DOUBLE_EQ(j["resources"]["cpus"].get<double>(), 1.5);
  EXPECT_EQ(j["resources"]["cpu_milli"], 1500);
  EXPECT_TRUE(j["resources"]["gpu_models"].is_array());
  EXPECT_EQ(j["state"], "pending");
  EXPECT_EQ(j["queue_position"], 3);
  EXPECT_TRUE(j["node"].is_null());
  EXPECT_EQ(j["devices"], Json::array());
  EXPECT_TRUE(j["exit_code"].is_null());
  EXPECT_TRUE(j["signal"].is_null());
  EXPECT_EQ(j["cancel_requested"], false);
  EXPECT_EQ(j["submitted_ms"], 1764070000000);
  for (const char* key : {"workdir", "priority", "max_retries", "time_limit_s", "reason", "attempt",
                          "started_ms", "finished_ms"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
}

TEST(EncodeJob, BoundAndEndedJob) {
  control::JobView v = SampleJob();
  v.record.state = core::JobState::kFailed;
  v.record.spec.resources.gpu_count = 2;
  v.record.spec.resources.gpu_milli = 1000;
  v.record.placement = core::Placement{"node-a", {{0, "GPU-0", {1000, 81920}}}, 0, 0};
  v.record.exit_code = 3;
  Json j = Json::parse(EncodeJob(v));
  EXPECT_FALSE(j.contains("queue_position"));
  EXPECT_EQ(j["resources"]["gpus"], 2);
  EXPECT_TRUE(j["resources"]["gpus"].is_number_integer());
  EXPECT_EQ(j["node"], "node-a");
  EXPECT_EQ(j["devices"][0]["uuid"], "GPU-0");
  EXPECT_EQ(j["devices"][0]["milli"], 1000);
  EXPECT_EQ(j["devices"][0]["memory_mib"], 81920);
  EXPECT_EQ(j["exit_code"], 3);
}

TEST(EncodeJob, RoundTripsThroughSubmit) {
  for (const char* gpus : {"0.25", "0.5", "1", "3", "0"}) {
    Result<core::JobSpec> spec =
        ParseSubmitRequest(std::string(R"({"argv":["a"],"resources":{"gpus":)") + gpus + "}}");
    ASSERT_TRUE(spec.ok());
    control::JobView v;
    v.record.spec = *spec;
    Json j = Json::parse(EncodeJob(v));
    EXPECT_DOUBLE_EQ(j["resources"]["gpus"].get<double>(), std::stod(gpus)) << gpus;
  }
}

TEST(EncodeJobPage, NextIsNullAtTheEnd) {
  control::JobPage page;
  page.jobs.push_back(SampleJob());
  Json j = Json::parse(EncodeJobPage(page));
  EXPECT_EQ(j["jobs"].size(), 1u);
  EXPECT_TRUE(j["next"].is_null());
  page.next = 12;
  EXPECT_EQ(Json::parse(EncodeJobPage(page))["next"], 12);
}

TEST(ParseRegisterRequest, StrictAndSorted) {
  Result<RegisterRequest> reg = ParseRegisterRequest(R"({
      "name": "node-a", "simulated": true, "cpu_milli": 2000, "memory_mib": 24000,
      "labels": {"zone": "a"},
      "devices": [{"index": 1, "uuid": "GPU-1", "model": "A100-80GB", "memory_mib": 81920},
                  {"index": 0, "uuid": "GPU-0", "model": "A100-80GB", "memory_mib": 81920}]})");
  ASSERT_TRUE(reg.ok()) << reg.error().ToString();
  const core::NodeRecord* node = &reg->node;
  EXPECT_FALSE(reg->node_status.has_value());
  EXPECT_EQ(node->spec.name, "node-a");
  EXPECT_TRUE(node->simulated);
  EXPECT_EQ(node->spec.cpu_milli, 2000);
  EXPECT_EQ(node->spec.labels.at("zone"), "a");
  ASSERT_EQ(node->spec.devices.size(), 2u);
  EXPECT_EQ(node->spec.devices[0].uuid, "GPU-0");

  EXPECT_EQ(ParseRegisterRequest("{").error().field(), "body");
  EXPECT_EQ(ParseRegisterRequest(R"({"simulated":true})").error().field(), "name");
  EXPECT_EQ(ParseRegisterRequest(R"({"name":"a","gpus":1})").error().field(), "gpus");
  EXPECT_EQ(ParseRegisterRequest(R"({"name":"a","simulated":"yes"})").error().field(), "simulated");
  EXPECT_EQ(
      ParseRegisterRequest(R"({"name":"a","devices":[{"index":0,"serial":"x"}]})").error().field(),
      "devices[0].serial");
  EXPECT_EQ(ParseRegisterRequest(R"({"name":"a","devices":[{"index":"0"}]})").error().field(),
            "devices[0].index");
}

// The node's status comes with its registration (so it is never scheduled under another).
TEST(ParseRegisterRequest, NodeStatus) {
  Result<RegisterRequest> reg = ParseRegisterRequest(R"({"name":"a","node_status":{
      "healthy":true,"isolation":{"private_tmp":"none: off"},"isolates_tenants":false,
      "warnings":["no private /tmp"]}})");
  ASSERT_TRUE(reg.ok()) << reg.error().ToString();
  ASSERT_TRUE(reg->node_status.has_value());
  EXPECT_FALSE(reg->node_status->isolates_tenants);
  EXPECT_EQ(reg->node_status->isolation.at("private_tmp"), "none: off");
  EXPECT_EQ(reg->node_status->warnings, std::vector<std::string>{"no private /tmp"});
  EXPECT_EQ(ParseRegisterRequest(R"({"name":"a","node_status":{"isolates_tenants":"no"}})")
                .error()
                .field(),
            "node_status.isolates_tenants");
}

TEST(ParseReportRequest, StrictAttempts) {
  Result<ReportRequest> report = ParseReportRequest(R"({"node": "node-a", "attempts": [
      {"job": 12, "attempt": 1, "state": "running", "pid": 4242, "started_ms": 5},
      {"job": 11, "attempt": 1, "state": "exited", "exit_code": 3, "signal": null,
       "started_ms": 5, "finished_ms": 6, "error": ""}]})");
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  EXPECT_EQ(report->node, "node-a");
  ASSERT_EQ(report->attempts.size(), 2u);
  EXPECT_FALSE(report->attempts[0].exited);
  EXPECT_EQ(report->attempts[0].pid, 4242);
  EXPECT_TRUE(report->attempts[1].exited);
  EXPECT_EQ(report->attempts[1].exit_code, 3);
  EXPECT_FALSE(report->attempts[1].signal.has_value());

  EXPECT_EQ(ParseReportRequest(R"({"attempts":[]})").error().field(), "node");
  EXPECT_EQ(ParseReportRequest(R"({"node":"a","attempts":[{"job":1,"attempt":1,"state":"gone"}]})")
                .error()
                .field(),
            "attempts[0].state");
  EXPECT_EQ(ParseReportRequest(R"({"node":"a","attempts":[{"job":1,"state":"running"}]})")
                .error()
                .field(),
            "attempts[0].attempt");
  EXPECT_EQ(ParseReportRequest(
                R"({"node":"a","attempts":[{"job":1,"attempt":1,"state":"exited","exit":0}]})")
                .error()
                .field(),
            "attempts[0].exit");
}

TEST(EncodeDesiredSet, Shape) {
  control::DesiredSet set;
  set.version = 7;
  control::DesiredAttempt a;
  a.job = 12;
  a.attempt = 1;
  a.tenant = "default";
  a.spec.name = "train";
  a.spec.argv = {"echo", "hi"};
  a.placement.devices = {{0, "GPU-0", {250, 20480}}};
  set.attempts.push_back(a);
  Json j = Json::parse(EncodeDesiredSet(set));
  EXPECT_EQ(j["version"], 7);
  EXPECT_EQ(j["attempts"][0]["job"], 12);
  EXPECT_EQ(j["attempts"][0]["argv"][1], "hi");
  EXPECT_EQ(j["attempts"][0]["devices"][0]["milli"], 250);
  EXPECT_EQ(j["attempts"][0]["devices"][0]["memory_mib"], 20480);
}

TEST(StatusHttp, MapsEveryCode) {
  EXPECT_EQ(HttpStatusFor(InvalidArgument("x")), 400);
  EXPECT_EQ(HttpStatusFor(Unauthenticated("x")), 401);
  EXPECT_EQ(HttpStatusFor(PermissionDenied("x")), 403);
  EXPECT_EQ(HttpStatusFor(NotFound("x")), 404);
  EXPECT_EQ(HttpStatusFor(AlreadyExists("x")), 409);
  EXPECT_EQ(HttpStatusFor(FailedPrecondition("x")), 409);
  EXPECT_EQ(HttpStatusFor(ResourceExhausted("x", "body")), 413);
  EXPECT_EQ(HttpStatusFor(ResourceExhausted("x")), 429);
  EXPECT_EQ(HttpStatusFor(Unavailable("x")), 503);
  EXPECT_EQ(HttpStatusFor(Internal("x")), 500);
}

TEST(StatusHttp, ErrorBody) {
  Json j = Json::parse(ErrorBody(InvalidArgument("gpus \"bad\"\n", "resources.gpus")));
  EXPECT_EQ(j["error"]["code"], "invalid_argument");
  EXPECT_EQ(j["error"]["message"], "gpus \"bad\"\n");
  EXPECT_EQ(j["error"]["field"], "resources.gpus");
  j = Json::parse(ErrorBody(FailedPrecondition("ended")));
  EXPECT_EQ(j["error"]["code"], "failed_precondition");
  EXPECT_FALSE(j["error"].contains("field"));
  // Invalid UTF-8 in a message still gives valid JSON.
  EXPECT_FALSE(Json::parse(ErrorBody(NotFound("node \xff")), nullptr, false).is_discarded());
}

}  // namespace
}  // namespace fastgpu::api
