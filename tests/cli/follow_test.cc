#include "cli/follow.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cli/fake_api_server.h"

namespace fastgpu::cli {
namespace {

std::string ReadAll(FILE* f) {
  std::rewind(f);
  std::string out;
  char buf[256];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  return out;
}

TEST(CopyLogToEndTest, ResumesAtTheRightOffsetAfterABrokenStream) {
  FakeApiServer fake;
  std::mutex mu;
  std::vector<std::string> offsets;
  fake.server().Get("/v1/jobs/3/logs", [&](const httplib::Request& req, httplib::Response& res) {
    std::string offset = req.get_param_value("offset");
    {
      std::lock_guard<std::mutex> lock(mu);
      offsets.push_back(offset);
    }
    auto sent = std::make_shared<bool>(false);
    std::string part = offset == "0" ? "abc" : "def";
    bool breaks = offset == "0";
    res.set_chunked_content_provider("application/octet-stream",
                                     [sent, part, breaks](size_t, httplib::DataSink& sink) {
                                       if (!*sent) {
                                         *sent = true;
                                         sink.write(part.data(), part.size());
                                         return true;
                                       }
                                       if (breaks) return false;  // drop the connection
                                       sink.done();
                                       return true;
                                     });
  });
  fake.server().Get("/v1/jobs/3", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"id": 3, "state": "running"})", "application/json");
  });
  fake.Start();
  ApiClient client(ClientConfig{fake.url(), "k"});
  FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  Status status = CopyLogToEnd(client, 3, LogStream::kStdout, 0, out);
  EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(ReadAll(out), "abcdef");
  std::fclose(out);
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(offsets, (std::vector<std::string>{"0", "3"}));
}

TEST(CopyLogToEndTest, FetchesTheRestWhenTheJobEndedMeanwhile) {
  FakeApiServer fake;
  fake.server().Get("/v1/jobs/3/logs", [](const httplib::Request& req, httplib::Response& res) {
    if (req.get_param_value("follow") == "true") {
      auto sent = std::make_shared<bool>(false);
      res.set_chunked_content_provider("application/octet-stream",
                                       [sent](size_t, httplib::DataSink& sink) {
                                         if (*sent) return false;  // drop the connection
                                         *sent = true;
                                         sink.write("ab", 2);
                                         return true;
                                       });
    } else {
      res.set_content(req.get_param_value("offset") == "2" ? "cd" : "wrong offset",
                      "application/octet-stream");
    }
  });
  fake.server().Get("/v1/jobs/3", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"id": 3, "state": "succeeded", "exit_code": 0})", "application/json");
  });
  fake.Start();
  ApiClient client(ClientConfig{fake.url(), "k"});
  FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  EXPECT_TRUE(CopyLogToEnd(client, 3, LogStream::kStdout, 0, out).ok());
  EXPECT_EQ(ReadAll(out), "abcd");
  std::fclose(out);
}

TEST(CopyLogToEndTest, UnreachableServerFailsAtOnce) {
  ApiClient client(ClientConfig{"http://127.0.0.1:1", "k"});
  Status status = CopyLogToEnd(client, 3, LogStream::kStdout, 0, stdout);
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace fastgpu::cli
