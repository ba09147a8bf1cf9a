// docs/api/openapi.yaml and the server agree: every path+method in the spec is routed (answers
// something other than 404/405 on a live server), and every route of the server is in the spec.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <regex>
#include <set>
#include <string>
#include <utility>

#include "api/routes.h"
#include "api_test_util.h"
#include "common/clock.h"
#include "control/controller.h"
#include "store/store.h"

#ifndef FG_OPENAPI_PATH
#error "FG_OPENAPI_PATH must point at docs/api/openapi.yaml"
#endif

namespace fastgpu::api::testing {
namespace {

using RouteKey = std::pair<std::string, std::string>;  // {"GET", "/v1/jobs/{id}"}

std::set<RouteKey> SpecRoutes() {
  YAML::Node spec = YAML::LoadFile(FG_OPENAPI_PATH);
  std::set<RouteKey> out;
  for (const auto& path : spec["paths"]) {
    for (const auto& op : path.second) {
      std::string method = op.first.as<std::string>();
      if (method == "parameters" || method == "summary" || method == "description") continue;
      for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.emplace(method, path.first.as<std::string>());
    }
  }
  return out;
}

TEST(OpenApi, EveryServerRouteIsInTheSpec) {
  TempDir dir;
  auto store = store::OpenSqliteStore(":memory:");
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  SystemClock clock;
  control::ControllerOptions options;
  options.data_dir = dir.path();
  auto controller = control::Controller::Open(options, **store, clock);
  ASSERT_TRUE(controller.ok()) << controller.error().ToString();
  const std::set<RouteKey> spec = SpecRoutes();
  std::set<RouteKey> served;
  metrics::Registry registry;
  RouteOptions route_options;
  route_options.metrics = &registry;
  for (const Route& r : AllRoutes(**controller, route_options)) {
    // express ":id" -> OpenAPI "{id}"
    served.emplace(r.method, std::regex_replace(r.path, std::regex(":([a-z_]+)"), "{$1}"));
  }
  for (const RouteKey& r : served) {
    EXPECT_TRUE(spec.count(r)) << r.first << " " << r.second << " is served but not in the spec";
  }
  EXPECT_EQ(served.size(), spec.size());
}

TEST(OpenApi, EverySpecRouteIsServed) {
  TempDir dir;
  auto server = StartServer(dir.path());
  ASSERT_NE(server, nullptr);
  const std::string admin_key = ReadFile(server->admin_key_path());
  auto client = MakeClient(server->url());
  auto created = client->Post("/v1/agent/register", Bearer(server->join_token()),
                              R"({"name":"n1","devices":[{"index":0,"uuid":"G0",
                                  "model":"A100-80GB","memory_mib":81920}]})",
                              "application/json");
  ASSERT_TRUE(created && created->status == 200);
  auto job =
      client->Post("/v1/jobs", Bearer(admin_key), R"({"argv":["true"]})", "application/json");
  ASSERT_TRUE(job);
  ASSERT_EQ(job->status, 201) << job->body;
  const std::string id = std::to_string(BodyJson(job)["id"].get<int64_t>());
  auto key = client->Post("/v1/keys", Bearer(admin_key), R"({"tenant":"t","role":"viewer"})",
                          "application/json");
  ASSERT_TRUE(key);
  ASSERT_EQ(key->status, 201) << key->body;
  const std::string prefix = BodyJson(key)["prefix"].get<std::string>();

  const std::set<RouteKey> spec = SpecRoutes();
  ASSERT_GE(spec.size(), 13u);
  for (const auto& [method, path] : spec) {
    std::string target = std::regex_replace(path, std::regex("\\{id\\}"), id);
    target = std::regex_replace(target, std::regex("\\{prefix\\}"), prefix);
    const bool node = path.rfind("/v1/nodes/", 0) == 0;
    target = std::regex_replace(target, std::regex("\\{name\\}"), node ? "n1" : "default");
    target = std::regex_replace(target, std::regex("\\{version\\}"), "0");
    target = std::regex_replace(target, std::regex("\\{asset\\}"), "app.js");
    const bool agent = path.rfind("/v1/agent/", 0) == 0;
    const httplib::Headers auth = Bearer(agent ? server->join_token() : admin_key);
    ASSERT_TRUE(method == "GET" || method == "POST" || method == "PUT") << method << " " << path;
    httplib::Result res = method == "GET"    ? client->Get(target, auth)
                          : method == "POST" ? client->Post(target, auth, "{}", "application/json")
                                             : client->Put(target, auth, "{}", "application/json");
    ASSERT_TRUE(res) << method << " " << target;
    EXPECT_NE(res->status, 404) << method << " " << target << ": " << res->body;
    EXPECT_NE(res->status, 405) << method << " " << target << ": " << res->body;
  }
}

}  // namespace
}  // namespace fastgpu::api::testing
