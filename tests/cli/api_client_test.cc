#include "cli/api_client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <string>
#include <vector>

#include "cli/fake_api_server.h"

namespace fastgpu::cli {
namespace {

constexpr const char* kKey = "fgk_0123abcd_secret";

class ApiClientTest : public testing::Test {
 protected:
  ApiClient Client() { return ApiClient(ClientConfig{fake_.url(), kKey}); }

  static bool Authorized(const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Authorization") == std::string("Bearer ") + kKey) return true;
    ReplyError(res, 401, "unauthenticated", "missing or wrong API key");
    return false;
  }

  FakeApiServer fake_;
};

TEST_F(ApiClientTest, SubmitSendsKeyAndBody) {
  std::string received;
  fake_.server().Post("/v1/jobs", [&](const httplib::Request& req, httplib::Response& res) {
    if (!Authorized(req, res)) return;
    received = req.body;
    res.status = 201;
    res.set_content(R"({"id": 7, "state": "pending", "reason": "waiting"})", "application/json");
  });
  fake_.Start();
  Result<Job> job = Client().Submit(R"({"argv": ["true"]})");
  ASSERT_TRUE(job.ok()) << job.error().ToString();
  EXPECT_EQ(job->id, 7);
  EXPECT_EQ(job->reason, "waiting");
  EXPECT_EQ(received, R"({"argv": ["true"]})");
}

TEST_F(ApiClientTest, WrongKeyIsUnauthenticated) {
  fake_.server().Get("/v1/nodes", [&](const httplib::Request& req, httplib::Response& res) {
    if (!Authorized(req, res)) return;
    res.set_content(R"({"nodes": []})", "application/json");
  });
  fake_.Start();
  Result<std::vector<Node>> nodes = ApiClient(ClientConfig{fake_.url(), "wrong"}).ListNodes();
  ASSERT_FALSE(nodes.ok());
  EXPECT_EQ(nodes.error().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(nodes.error().message(), "missing or wrong API key");
  EXPECT_TRUE(Client().ListNodes().ok());
}

TEST_F(ApiClientTest, ServerErrorKeepsMessageAndField) {
  fake_.server().Get(R"(/v1/jobs/(\d+))", [&](const httplib::Request& req, httplib::Response& res) {
    ReplyError(res, 404, "not_found", "no job " + std::string(req.matches[1]), "id");
  });
  fake_.Start();
  Result<Job> job = Client().GetJob(99);
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().code(), StatusCode::kNotFound);
  EXPECT_EQ(job.error().message(), "no job 99");
  EXPECT_EQ(job.error().field(), "id");
}

TEST_F(ApiClientTest, ListJobsSendsFilters) {
  std::string query;
  fake_.server().Get("/v1/jobs", [&](const httplib::Request& req, httplib::Response& res) {
    query = req.get_param_value("state") + "|" + req.get_param_value("after") + "|" +
            req.get_param_value("limit");
    res.set_content(R"({"jobs": [{"id": 6}], "next": 6})", "application/json");
  });
  fake_.Start();
  Result<JobPage> page = Client().ListJobs("active", 5, 10);
  ASSERT_TRUE(page.ok()) << page.error().ToString();
  EXPECT_EQ(query, "active|5|10");
  EXPECT_EQ(page->next, 6);
}

TEST_F(ApiClientTest, CancelPosts) {
  fake_.server().Post("/v1/jobs/4/cancel", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"id": 4, "state": "cancelled"})", "application/json");
  });
  fake_.Start();
  Result<Job> job = Client().Cancel(4);
  ASSERT_TRUE(job.ok()) << job.error().ToString();
  EXPECT_EQ(job->state, "cancelled");
}

// Serves "hello ", "world\n" as separate chunks of a followed log.
void ServeChunkedLog(FakeApiServer& fake, std::string* seen_query) {
  fake.server().Get(
      "/v1/jobs/3/logs", [seen_query](const httplib::Request& req, httplib::Response& res) {
        *seen_query = req.get_param_value("stream") + "|" + req.get_param_value("offset") + "|" +
                      req.get_param_value("follow");
        res.set_header("X-Fastgpu-Job-State", "running");
        auto step = std::make_shared<int>(0);
        res.set_chunked_content_provider("application/octet-stream",
                                         [step](size_t, httplib::DataSink& sink) {
                                           const char* parts[] = {"hello ", "world\n"};
                                           if (*step < 2) {
                                             std::string part = parts[(*step)++];
                                             sink.write(part.data(), part.size());
                                           } else {
                                             sink.done();
                                           }
                                           return true;
                                         });
      });
}

TEST_F(ApiClientTest, FollowLogsDeliversChunksInOrder) {
  std::string query;
  ServeChunkedLog(fake_, &query);
  fake_.Start();
  std::string got;
  Status status = Client().FollowLogs(3, LogStream::kStderr, 11, [&](std::string_view chunk) {
    got.append(chunk);
    return true;
  });
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(got, "hello world\n");
  EXPECT_EQ(query, "stderr|11|true");
}

TEST_F(ApiClientTest, FollowLogsStopsWhenTheCallbackSaysSo) {
  std::string query;
  ServeChunkedLog(fake_, &query);
  fake_.Start();
  std::string got;
  Status status = Client().FollowLogs(3, LogStream::kStdout, 0, [&](std::string_view chunk) {
    got.append(chunk);
    return false;
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(got, "hello ");
}

TEST_F(ApiClientTest, FollowLogsErrorBodyBecomesStatus) {
  fake_.server().Get("/v1/jobs/5/logs", [](const httplib::Request&, httplib::Response& res) {
    ReplyError(res, 404, "not_found", "no job 5", "id");
  });
  fake_.Start();
  bool called = false;
  Status status = Client().FollowLogs(5, LogStream::kStdout, 0, [&](std::string_view) {
    called = true;
    return true;
  });
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "no job 5");
  EXPECT_FALSE(called);
}

TEST_F(ApiClientTest, ReadLogsReturnsBytes) {
  fake_.server().Get("/v1/jobs/3/logs", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(std::string("bytes\0from ", 11) + req.get_param_value("offset"),
                    "application/octet-stream");
  });
  fake_.Start();
  Result<std::string> logs = Client().ReadLogs(3, LogStream::kStdout, 4);
  ASSERT_TRUE(logs.ok());
  EXPECT_EQ(*logs, std::string("bytes\0from 4", 12));
}

int UnusedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);  // bound but never listening: connecting is refused
  return ntohs(addr.sin_port);
}

TEST(ApiClientUnreachableTest, ConnectionRefusedIsUnavailable) {
  std::string url = "http://127.0.0.1:" + std::to_string(UnusedPort());
  ApiClient client(ClientConfig{url, kKey});
  Result<Pool> pool = client.GetPool();
  ASSERT_FALSE(pool.ok());
  EXPECT_EQ(pool.error().code(), StatusCode::kUnavailable);
  EXPECT_EQ(pool.error().message().rfind("cannot reach fastgpu server at " + url + ": ", 0), 0u)
      << pool.error().message();
  Status follow =
      client.FollowLogs(1, LogStream::kStdout, 0, [](std::string_view) { return true; });
  EXPECT_EQ(follow.code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace fastgpu::cli
