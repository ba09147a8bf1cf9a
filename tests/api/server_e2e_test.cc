// End to end: a real ServerHandle on 127.0.0.1:0 with a fake agent speaking raw HTTP.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "api_test_util.h"
#include "server/wiring.h"

namespace fastgpu::api::testing {
namespace {

constexpr char kJson[] = "application/json";

class ServerE2eTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(); }

  void Start() {
    server_ = StartServer(dir_.path());
    ASSERT_NE(server_, nullptr);
    admin_key_ = ReadFile(server_->admin_key_path());
    ASSERT_FALSE(admin_key_.empty());
    join_token_ = server_->join_token();
    ASSERT_FALSE(join_token_.empty());
    client_ = MakeClient(server_->url());
  }

  httplib::Result UserGet(const std::string& path) {
    return client_->Get(path, Bearer(admin_key_));
  }
  httplib::Result UserPost(const std::string& path, const std::string& body) {
    return client_->Post(path, Bearer(admin_key_), body, kJson);
  }
  httplib::Result AgentPost(const std::string& path, const std::string& body,
                            const char* type = kJson) {
    return client_->Post(path, Bearer(join_token_), body, type);
  }

  // Submits and returns the job object (201 expected).
  Json Submit(const std::string& body) {
    auto res = UserPost("/v1/jobs", body);
    EXPECT_TRUE(res);
    if (!res) return Json();
    EXPECT_EQ(res->status, 201) << res->body;
    return BodyJson(res);
  }

  void RegisterNode(const std::string& name, int gpus) {
    Json body = {{"name", name},        {"simulated", true},        {"cpu_milli", 8000},
                 {"memory_mib", 64000}, {"labels", Json::object()}, {"devices", Json::array()}};
    for (int i = 0; i < gpus; ++i) {
      body["devices"].push_back({{"index", i},
                                 {"uuid", "GPU-" + name + "-" + std::to_string(i)},
                                 {"model", "A100-80GB"},
                                 {"memory_mib", 81920}});
    }
    auto res = AgentPost("/v1/agent/register", body.dump());
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    EXPECT_EQ(BodyJson(res)["node"], name);
  }

  Json Desired(const std::string& node, int64_t version, int64_t wait_ms) {
    auto client = MakeClient(server_->url());  // its own connection: may block
    auto res =
        client->Get("/v1/agent/desired?node=" + node + "&version=" + std::to_string(version) +
                        "&wait_ms=" + std::to_string(wait_ms),
                    Bearer(join_token_));
    EXPECT_TRUE(res);
    if (!res) return Json();
    EXPECT_EQ(res->status, 200) << res->body;
    return BodyJson(res);
  }

  // Long-polls until the node's desired set holds `count` attempts (the scheduler places a job
  // right after its 201).
  Json AwaitDesired(const std::string& node, size_t count) {
    Json desired = Desired(node, 0, 0);
    for (int i = 0; i < 50 && desired["attempts"].size() != count; ++i) {
      desired = Desired(node, desired["version"].get<int64_t>(), 5000);
    }
    return desired;
  }

  TempDir dir_;
  std::unique_ptr<server::ServerHandle> server_;
  std::unique_ptr<httplib::Client> client_;
  std::string admin_key_;
  std::string join_token_;
};

TEST_F(ServerE2eTest, UserAuth) {
  auto res = client_->Get("/v1/jobs");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(ErrorCode(res), "unauthenticated");
  res = client_->Get("/v1/jobs", Bearer("fgk_00000000_00000000000000000000000000000000"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  res = client_->Get("/v1/jobs", {{"Authorization", "Basic " + admin_key_}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  res = client_->Get("/v1/jobs", Bearer(join_token_));  // a join token is no API key
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(UserGet("/v1/jobs")->status, 200);
}

TEST_F(ServerE2eTest, AgentAuth) {
  auto res = client_->Post("/v1/agent/register", R"({"name":"n"})", kJson);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(ErrorCode(res), "unauthenticated");
  res = client_->Post("/v1/agent/register", Bearer(admin_key_), R"({"name":"n"})", kJson);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  res = client_->Get("/v1/agent/desired?node=n", Bearer("wrong"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
}

TEST_F(ServerE2eTest, HugeBodyGets413Json) {
  const std::string body(10 << 20, 'x');
  auto res = UserPost("/v1/jobs", body);
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 413);
  EXPECT_EQ(ErrorCode(res), "resource_exhausted");
  EXPECT_EQ(ErrorField(res), "body");
  // The connection is still usable.
  EXPECT_EQ(UserGet("/healthz")->status, 200);
}

// Past the read limit (16 MiB) RESTinio stops reading and closes that connection without an
// answer; the server itself stays healthy.
TEST_F(ServerE2eTest, BodyPastTheReadLimitDropsOnlyThatConnection) {
  auto client = MakeClient(server_->url());
  auto res = client->Post("/v1/jobs", Bearer(admin_key_), std::string(20 << 20, 'x'), kJson);
  if (res) {
    EXPECT_EQ(res->status, 413);  // should the limit ever be handled with an answer
  }
  EXPECT_EQ(UserGet("/healthz")->status, 200);
}

TEST_F(ServerE2eTest, RoutingErrorsAreJson) {
  auto res = UserGet("/v1/nope");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(ErrorCode(res), "not_found");
  res = client_->Delete("/v1/jobs", Bearer(admin_key_));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_EQ(res->get_header_value("Allow"), "POST, GET");
  EXPECT_EQ(ErrorCode(res), "invalid_argument");
  res = UserGet("/v1/jobs/999999");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(ErrorField(res), "id");
  res = UserGet("/v1/jobs/abc");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(ErrorField(res), "id");
  res = UserPost("/v1/jobs", R"({"argv":["a"],"resources":{"gpus":1.5}})");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(ErrorField(res), "resources.gpus");
  res = UserGet("/v1/jobs?state=sleeping");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(ErrorField(res), "state");
}

TEST_F(ServerE2eTest, HealthzAndPool) {
  auto res = client_->Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(BodyJson(res)["status"], "ok");
  RegisterNode("node-a", 2);
  auto gpus = UserGet("/v1/gpus");
  auto resource = UserGet("/gpu/resource");
  ASSERT_TRUE(gpus && resource);
  EXPECT_EQ(gpus->status, 200);
  EXPECT_EQ(resource->status, 200);
  EXPECT_EQ(gpus->body, resource->body);
  Json pool = BodyJson(gpus);
  EXPECT_EQ(pool["gpus"].size(), 2u);
  EXPECT_EQ(pool["summary"]["gpus"], 2);
  auto nodes = UserGet("/v1/nodes");
  ASSERT_TRUE(nodes);
  Json n = BodyJson(nodes);
  ASSERT_EQ(n["nodes"].size(), 1u);
  EXPECT_EQ(n["nodes"][0]["name"], "node-a");
  EXPECT_EQ(n["nodes"][0]["state"], "ready");
  EXPECT_EQ(n["nodes"][0]["devices"].size(), 2u);
}

TEST_F(ServerE2eTest, JobLifecycleWithFakeAgent) {
  RegisterNode("node-a", 1);
  const int64_t v0 = Desired("node-a", 0, 0)["version"].get<int64_t>();

  // A long poll parked on the current version is answered by the submit.
  auto poll = std::async(std::launch::async, [&] { return Desired("node-a", v0, 20000); });
  Json a = Submit(R"({"name":"a","argv":["echo","hi"],"resources":{"gpus":1}})");
  const int64_t a_id = a["id"].get<int64_t>();
  Json desired = poll.get();
  ASSERT_EQ(desired["attempts"].size(), 1u) << desired.dump();
  EXPECT_EQ(desired["attempts"][0]["job"], a_id);
  EXPECT_EQ(desired["attempts"][0]["argv"], Json::array({"echo", "hi"}));
  const int64_t attempt = desired["attempts"][0]["attempt"].get<int64_t>();

  auto got = UserGet("/v1/jobs/" + std::to_string(a_id));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(BodyJson(got)["name"], "a");
  EXPECT_EQ(BodyJson(got)["node"], "node-a");

  // Running, with logs.
  Json report = {{"node", "node-a"},
                 {"attempts",
                  {{{"job", a_id},
                    {"attempt", attempt},
                    {"state", "running"},
                    {"pid", 4242},
                    {"started_ms", 1}}}}};
  auto rep = AgentPost("/v1/agent/report", report.dump());
  ASSERT_TRUE(rep);
  EXPECT_EQ(rep->status, 200) << rep->body;
  EXPECT_EQ(BodyJson(rep)["ack"], Json::array());
  const std::string logs = "/v1/agent/logs?node=node-a&job=" + std::to_string(a_id) +
                           "&attempt=" + std::to_string(attempt) + "&stream=stdout&offset=";
  auto put = AgentPost(logs + "0", "hello\n", "application/octet-stream");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 200) << put->body;
  EXPECT_EQ(BodyJson(put)["size"], 6);
  put = AgentPost(logs + "100", "gap", "application/octet-stream");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 409);
  EXPECT_EQ(BodyJson(put)["size"], 6);
  EXPECT_EQ(BodyJson(put)["error"]["code"], "failed_precondition");
  auto read = UserGet("/v1/jobs/" + std::to_string(a_id) + "/logs");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->status, 200);
  EXPECT_EQ(read->body, "hello\n");
  EXPECT_EQ(read->get_header_value("X-Fastgpu-Job-State"), "running");
  read = UserGet("/v1/jobs/" + std::to_string(a_id) + "/logs?offset=2&stream=stdout");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->body, "llo\n");

  // Follow: gets what is stored, then the new bytes, and ends when the job exits.
  std::promise<void> got_first_bytes;
  auto follow = std::async(std::launch::async, [&] {
    auto client = MakeClient(server_->url());
    std::string received;
    std::string state;
    bool signalled = false;
    auto res = client->Get(
        "/v1/jobs/" + std::to_string(a_id) + "/logs?follow=true", Bearer(admin_key_),
        [&](const httplib::Response& response) {
          state = response.get_header_value("X-Fastgpu-Job-State");
          return true;
        },
        [&](const char* data, size_t size) {
          received.append(data, size);
          if (!signalled && received.size() >= 6) {
            signalled = true;
            got_first_bytes.set_value();
          }
          return true;
        });
    EXPECT_TRUE(res);
    if (res) {
      EXPECT_EQ(res->status, 200);
    }
    EXPECT_EQ(state, "running");
    return received;
  });
  EXPECT_EQ(got_first_bytes.get_future().wait_for(std::chrono::seconds(30)),
            std::future_status::ready);
  put = AgentPost(logs + "6", "world\n", "application/octet-stream");
  ASSERT_TRUE(put);
  EXPECT_EQ(BodyJson(put)["size"], 12);
  report["attempts"][0] = {{"job", a_id},      {"attempt", attempt}, {"state", "exited"},
                           {"exit_code", 0},   {"signal", nullptr},  {"started_ms", 1},
                           {"finished_ms", 2}, {"error", ""}};
  rep = AgentPost("/v1/agent/report", report.dump());
  ASSERT_TRUE(rep);
  EXPECT_EQ(BodyJson(rep)["ack"], Json::array({{{"job", a_id}, {"attempt", attempt}}}));
  EXPECT_EQ(follow.get(), "hello\nworld\n");
  got = UserGet("/v1/jobs/" + std::to_string(a_id));
  EXPECT_EQ(BodyJson(got)["state"], "succeeded");
  EXPECT_EQ(BodyJson(got)["exit_code"], 0);
  // The finished job is no longer desired.
  EXPECT_EQ(Desired("node-a", 0, 0)["attempts"].size(), 0u);
}

// A follower that hangs up mid-stream must not disturb the server or the job.
TEST_F(ServerE2eTest, FollowerThatHangsUpIsHarmless) {
  RegisterNode("node-a", 1);
  const int64_t id = Submit(R"({"argv":["a"],"resources":{"gpus":1}})")["id"].get<int64_t>();
  Json desired = AwaitDesired("node-a", 1);
  ASSERT_EQ(desired["attempts"].size(), 1u);
  const int64_t attempt = desired["attempts"][0]["attempt"].get<int64_t>();
  Json report = {{"node", "node-a"},
                 {"attempts", {{{"job", id}, {"attempt", attempt}, {"state", "running"}}}}};
  ASSERT_EQ(AgentPost("/v1/agent/report", report.dump())->status, 200);
  const std::string logs = "/v1/agent/logs?node=node-a&job=" + std::to_string(id) +
                           "&attempt=" + std::to_string(attempt) + "&offset=";
  ASSERT_EQ(AgentPost(logs + "0", "a", "application/octet-stream")->status, 200);
  {
    auto client = MakeClient(server_->url());
    auto res = client->Get("/v1/jobs/" + std::to_string(id) + "/logs?follow=true",
                           Bearer(admin_key_), [](const char*, size_t) { return false; });
    EXPECT_FALSE(res);  // we hung up
  }
  for (int i = 1; i < 20; ++i) {
    auto put = AgentPost(logs + std::to_string(i), "b", "application/octet-stream");
    ASSERT_TRUE(put);
    EXPECT_EQ(put->status, 200) << put->body;
  }
  report["attempts"][0] = {{"job", id}, {"attempt", attempt}, {"state", "exited"},
                           {"exit_code", 1}};
  ASSERT_EQ(AgentPost("/v1/agent/report", report.dump())->status, 200);
  EXPECT_EQ(BodyJson(UserGet("/v1/jobs/" + std::to_string(id)))["state"], "failed");
  auto read = UserGet("/v1/jobs/" + std::to_string(id) + "/logs?follow=true");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->body, "a" + std::string(19, 'b'));
  EXPECT_EQ(read->get_header_value("X-Fastgpu-Job-State"), "failed");
}

TEST_F(ServerE2eTest, ListFiltersPaginatesAndCancels) {
  RegisterNode("node-a", 1);
  Json running = Submit(R"({"argv":["a"],"resources":{"gpus":1}})");
  std::vector<int64_t> pending;
  for (int i = 0; i < 3; ++i) {
    Json j = Submit(R"({"argv":["b"],"resources":{"gpus":1}})");
    EXPECT_EQ(j["state"], "pending");
    pending.push_back(j["id"].get<int64_t>());
  }
  // Cancel a pending job: cancelled at once; again: 409.
  auto res = UserPost("/v1/jobs/" + std::to_string(pending[0]) + "/cancel", "");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(BodyJson(res)["state"], "cancelled");
  res = UserPost("/v1/jobs/" + std::to_string(pending[0]) + "/cancel", "");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 409);
  EXPECT_EQ(ErrorCode(res), "failed_precondition");

  Json list = BodyJson(UserGet("/v1/jobs?state=pending"));
  ASSERT_EQ(list["jobs"].size(), 2u) << list.dump();
  EXPECT_EQ(list["jobs"][0]["id"], pending[1]);
  EXPECT_EQ(list["jobs"][1]["id"], pending[2]);
  EXPECT_TRUE(list["next"].is_null());
  list = BodyJson(UserGet("/v1/jobs?state=cancelled,scheduled"));
  EXPECT_EQ(list["jobs"].size(), 2u) << list.dump();
  list = BodyJson(UserGet("/v1/jobs?state=active"));
  EXPECT_EQ(list["jobs"].size(), 3u) << list.dump();

  // Pages of one, following "next".
  std::vector<int64_t> seen;
  std::string after = "0";
  for (int page = 0; page < 10; ++page) {
    Json p = BodyJson(UserGet("/v1/jobs?limit=1&after=" + after));
    for (const Json& j : p["jobs"]) seen.push_back(j["id"].get<int64_t>());
    if (p["next"].is_null()) break;
    after = std::to_string(p["next"].get<int64_t>());
  }
  EXPECT_EQ(seen, (std::vector<int64_t>{running["id"].get<int64_t>(), pending[0], pending[1],
                                        pending[2]}));
  res = UserGet("/v1/jobs?limit=0");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(ErrorField(res), "limit");
}

TEST_F(ServerE2eTest, RestartKeepsJobsAndKeys) {
  RegisterNode("node-a", 1);
  Json job = Submit(R"({"argv":["a"],"resources":{"gpus":0.5}})");
  const std::string path = "/v1/jobs/" + std::to_string(job["id"].get<int64_t>());
  const std::string old_url = server_->url();
  server_->Stop();
  server_.reset();
  Start();
  EXPECT_EQ(ReadFile(dir_.path() + "/server-url"), server_->url());
  auto res = UserGet(path);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(BodyJson(res)["resources"]["gpu_milli"], 500);
  EXPECT_DOUBLE_EQ(BodyJson(res)["resources"]["gpus"].get<double>(), 0.5);
}

TEST(ServerStart, BadListenAndPortInUse) {
  TempDir dir;
  server::ServerOptions options;
  options.data_dir = dir.path();
  options.listen = "127.0.0.1";
  auto bad = server::ServerHandle::Start(options);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.error().field(), "listen");

  auto first = StartServer(dir.path());
  ASSERT_NE(first, nullptr);
  const std::string url = first->url();
  TempDir other;
  options.data_dir = other.path();
  options.listen = url.substr(std::string("http://").size());
  auto second = server::ServerHandle::Start(options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.error().message().find("port in use"), std::string::npos);
}

TEST(ServerStart, WritesPrivateFiles) {
  TempDir dir;
  auto server = StartServer(dir.path() + "/nested/data");
  ASSERT_NE(server, nullptr);
  namespace fs = std::filesystem;
  const auto perms = [](const std::string& p) { return fs::status(p).permissions(); };
  EXPECT_EQ(perms(dir.path() + "/nested/data"), fs::perms::owner_all);
  EXPECT_EQ(perms(server->admin_key_path()), fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(perms(dir.path() + "/nested/data/join-token"),
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(ReadFile(dir.path() + "/nested/data/join-token"), server->join_token());
  EXPECT_EQ(ReadFile(dir.path() + "/nested/data/server-url"), server->url());
}

TEST(ServerStart, ExplicitJoinToken) {
  TempDir dir;
  server::ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.data_dir = dir.path();
  options.join_token = "my-secret-join-token";
  auto server = server::ServerHandle::Start(options);
  ASSERT_TRUE(server.ok()) << server.error().ToString();
  EXPECT_EQ((*server)->join_token(), "my-secret-join-token");
  EXPECT_EQ(ReadFile(dir.path() + "/join-token"), "my-secret-join-token");
  auto client = MakeClient((*server)->url());
  auto res =
      client->Post("/v1/agent/register", Bearer("my-secret-join-token"), R"({"name":"n1"})", kJson);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
}

TEST(Wiring, ParseListenAddress) {
  auto a = server::ParseListenAddress("0.0.0.0:8080");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "0.0.0.0");
  EXPECT_EQ(a->port, 8080);
  a = server::ParseListenAddress("[::1]:0");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(server::UrlHost("::1"), "[::1]");
  EXPECT_EQ(server::UrlHost("0.0.0.0"), "127.0.0.1");
  for (const char* bad :
       {"", "8080", ":8080", "host:", "host:x", "host:65536", "::1:80", "[::1]8080", "host:-1"}) {
    auto r = server::ParseListenAddress(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().field(), "listen") << bad;
    }
  }
}

}  // namespace
}  // namespace fastgpu::api::testing
