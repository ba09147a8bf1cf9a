#pragma once
// Helpers for the API tests: a temp data dir, a live ServerHandle on 127.0.0.1:0, and an
// httplib client with the admin key or the join token.

#include <gtest/gtest.h>
#include <httplib.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <system_error>

#include "common/check.h"
#include "fakes/temp_dir.h"
#include "server/server.h"

namespace fastgpu::api::testing {

using Json = nlohmann::json;

using ::fastgpu::test::TempDir;

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

inline std::unique_ptr<server::ServerHandle> StartServer(const std::string& data_dir) {
  server::ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.data_dir = data_dir;
  options.http_threads = 2;
  auto server = server::ServerHandle::Start(options);
  EXPECT_TRUE(server.ok()) << server.error().ToString();
  return server.ok() ? std::move(server).value() : nullptr;
}

inline std::unique_ptr<httplib::Client> MakeClient(const std::string& url) {
  auto client = std::make_unique<httplib::Client>(url);
  client->set_tcp_nodelay(true);
  client->set_read_timeout(30, 0);
  client->set_connection_timeout(5, 0);
  return client;
}

inline httplib::Headers Bearer(const std::string& key) {
  return {{"Authorization", "Bearer " + key}};
}

// The parsed JSON body, or a null Json (and a test failure) when it is not JSON.
inline Json BodyJson(const httplib::Result& res) {
  if (!res) {
    ADD_FAILURE() << "no HTTP response: " << httplib::to_string(res.error());
    return Json();
  }
  Json j = Json::parse(res->body, nullptr, false);
  if (j.is_discarded()) {
    ADD_FAILURE() << "body is not JSON: " << res->body.substr(0, 200);
    return Json();
  }
  return j;
}

// The error.field of an error body ("" when absent).
inline std::string ErrorField(const httplib::Result& res) {
  Json j = BodyJson(res);
  if (!j.is_object() || !j.contains("error")) return "<no error object>";
  return j["error"].value("field", "");
}
inline std::string ErrorCode(const httplib::Result& res) {
  Json j = BodyJson(res);
  if (!j.is_object() || !j.contains("error")) return "<no error object>";
  return j["error"].value("code", "");
}

}  // namespace fastgpu::api::testing
