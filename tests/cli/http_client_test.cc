#include "cli/http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace fastgpu::cli {
namespace {

// Serves one connection on a loopback port: reads the request (its head, and the body its
// Content-Length gives), waits `delay_ms`, writes `pieces` as raw bytes, then closes. With
// `seen` (a count of the pieces the client delivered), each piece after the first waits until
// the client has delivered something of the one before (so that no two arrive in one read).
class RawServer {
 public:
  explicit RawServer(std::vector<std::string> pieces, int delay_ms = 0,
                     const std::atomic<int>* seen = nullptr) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), len), 0);
    EXPECT_EQ(::listen(listener_, 4), 0);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, pieces = std::move(pieces), delay_ms, seen] {
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      ReadRequest(fd);
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      int before = -1;  // the first piece waits for nothing
      for (const std::string& piece : pieces) {
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (seen != nullptr && *seen <= before && std::chrono::steady_clock::now() < give_up) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        before = seen != nullptr ? seen->load() : 0;
        ::send(fd, piece.data(), piece.size(), MSG_NOSIGNAL);
      }
      ::close(fd);
    });
  }
  ~RawServer() {
    Join();
    ::close(listener_);
  }

  HttpOrigin origin() const { return HttpOrigin{false, "127.0.0.1", port_}; }
  // What the client sent; waits for the exchange to end.
  const std::string& request() {
    Join();
    return request_;
  }

 private:
  void ReadRequest(int fd) {
    char buf[4096];
    size_t want = std::string::npos;
    while (request_.size() < want) {
      const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) return;
      request_.append(buf, static_cast<size_t>(n));
      const size_t end = request_.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      const size_t at = request_.find("Content-Length: ");
      want = end + 4 + (at < end ? std::stoul(request_.substr(at + 16)) : 0);
    }
  }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

  int listener_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::string request_;
};

HttpOptions Quick() {
  HttpOptions options;
  options.connect_timeout_ms = 2000;
  options.read_timeout_ms = 2000;
  return options;
}

TEST(HttpClientTest, PostSendsHeadAndBodyAndReadsContentLength) {
  RawServer server({"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
                    "X-Thing:  A b \r\nContent-Length: 8\r\n\r\n{\"id\":7}"});
  HttpRequest request{"POST", "/v1/jobs?x=1", R"({"argv":["true"]})", "fgk_key"};
  HttpReply reply = SendHttp(server.origin(), request, Quick());
  ASSERT_EQ(reply.error, HttpError::kNone) << HttpErrorText(reply.error);
  EXPECT_EQ(reply.status, 201);
  EXPECT_EQ(reply.body, R"({"id":7})");
  ASSERT_NE(reply.Header("x-thing"), nullptr);
  EXPECT_EQ(*reply.Header("x-thing"), "A b");
  EXPECT_EQ(reply.Header("X-Thing"), nullptr);  // callers ask in lower case
  const std::string& sent = server.request();
  EXPECT_EQ(sent.rfind("POST /v1/jobs?x=1 HTTP/1.1\r\n", 0), 0u) << sent;
  EXPECT_NE(sent.find("\r\nHost: 127.0.0.1:" + std::to_string(server.origin().port) + "\r\n"),
            std::string::npos);
  EXPECT_NE(sent.find("\r\nAuthorization: Bearer fgk_key\r\n"), std::string::npos);
  EXPECT_NE(sent.find("\r\nContent-Type: application/json\r\n"), std::string::npos);
  EXPECT_NE(sent.find("\r\nContent-Length: 17\r\n"), std::string::npos);
  EXPECT_NE(sent.find("\r\nConnection: close\r\n"), std::string::npos);
  EXPECT_EQ(sent.substr(sent.size() - 17), R"({"argv":["true"]})");
}

TEST(HttpClientTest, GetWithoutKeySendsNoBodyHeaders) {
  RawServer server({"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"});
  HttpReply reply = SendHttp(server.origin(), HttpRequest{"GET", "/v1/gpus", "", ""}, Quick());
  ASSERT_EQ(reply.error, HttpError::kNone);
  EXPECT_EQ(reply.body, "ok");
  const std::string& sent = server.request();
  EXPECT_EQ(sent.find("Content-Length"), std::string::npos) << sent;
  EXPECT_EQ(sent.find("Authorization"), std::string::npos) << sent;
}

TEST(HttpClientTest, ChunkedBodyArrivesPieceByPiece) {
  std::atomic<int> seen{0};
  RawServer server({"HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n6;ext=1\r\nhel",
                    "lo \r\n6\r\nworl", "d\n\r\n0\r\nTrailer: x\r\n\r\n"},
                   0, &seen);
  std::vector<std::string> pieces;
  int status_seen = 0;
  HttpReply reply = SendHttp(server.origin(), HttpRequest{}, Quick(),
                             [&](const HttpReply& head, std::string_view piece) {
                               status_seen = head.status;
                               pieces.emplace_back(piece);
                               ++seen;
                               return true;
                             });
  ASSERT_EQ(reply.error, HttpError::kNone) << HttpErrorText(reply.error);
  EXPECT_EQ(status_seen, 200);
  EXPECT_EQ(reply.body, "");  // the sink took it
  // Each piece as it came, cut at the chunks' edges: a followed log shows bytes at once.
  EXPECT_EQ(pieces, (std::vector<std::string>{"hel", "lo ", "worl", "d\n"}));
}

TEST(HttpClientTest, BodyWithoutLengthEndsWithTheConnection) {
  RawServer server({"HTTP/1.1 200 OK\r\n\r\nfirst ", "second"});
  HttpReply reply = SendHttp(server.origin(), HttpRequest{}, Quick());
  ASSERT_EQ(reply.error, HttpError::kNone);
  EXPECT_EQ(reply.body, "first second");
}

TEST(HttpClientTest, InterimReplyIsSkipped) {
  RawServer server({"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 3"
                    "\r\n\r\nno!"});
  HttpReply reply = SendHttp(server.origin(), HttpRequest{}, Quick());
  ASSERT_EQ(reply.error, HttpError::kNone);
  EXPECT_EQ(reply.status, 404);
  EXPECT_EQ(reply.body, "no!");
}

TEST(HttpClientTest, ReplyCutShortIsAReadErrorWithTheHeadKept) {
  RawServer server({"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"});
  HttpReply reply = SendHttp(server.origin(), HttpRequest{}, Quick());
  EXPECT_EQ(reply.error, HttpError::kRead);
  EXPECT_EQ(reply.status, 200);
}

TEST(HttpClientTest, ChunkCutShortIsAReadError) {
  RawServer server({"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"});
  EXPECT_EQ(SendHttp(server.origin(), HttpRequest{}, Quick()).error, HttpError::kRead);
}

TEST(HttpClientTest, SomethingThatIsNotHttpIsAReadError) {
  RawServer server({"SSH-2.0-OpenSSH_9.2\r\n"});
  EXPECT_EQ(SendHttp(server.origin(), HttpRequest{}, Quick()).error, HttpError::kRead);
}

TEST(HttpClientTest, SilentServerIsAReadErrorAfterTheReadTimeout) {
  RawServer server({"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"}, /*delay_ms=*/1500);
  HttpOptions options = Quick();
  options.read_timeout_ms = 100;
  EXPECT_EQ(SendHttp(server.origin(), HttpRequest{}, options).error, HttpError::kRead);
}

TEST(HttpClientTest, SinkThatSaysStopCancels) {
  std::atomic<int> seen{0};
  RawServer server({"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc", "def"}, 0, &seen);
  std::string got;
  HttpReply reply = SendHttp(server.origin(), HttpRequest{}, Quick(),
                             [&](const HttpReply&, std::string_view piece) {
                               got.append(piece);
                               ++seen;
                               return false;
                             });
  EXPECT_EQ(reply.error, HttpError::kCanceled);
  EXPECT_EQ(got, "abc");
}

TEST(HttpClientTest, NoListenerIsAConnectionError) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), len), 0);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);  // the port is free and nobody listens on it
  HttpReply reply =
      SendHttp(HttpOrigin{false, "127.0.0.1", ntohs(addr.sin_port)}, HttpRequest{}, Quick());
  EXPECT_EQ(reply.error, HttpError::kConnection);
  EXPECT_EQ(reply.status, 0);
}

TEST(HttpClientTest, UnresolvableHostIsAConnectionError) {
  EXPECT_EQ(SendHttp(HttpOrigin{false, "no-such-host.invalid", 80}, HttpRequest{}, Quick()).error,
            HttpError::kConnection);
}

TEST(HttpClientTest, UnreadableCaFileIsSaidBeforeConnecting) {
  HttpOptions options = Quick();
  options.ca_file = "/nonexistent/ca.pem";
  // No server listens on port 1: the CA file is tried first.
  HttpReply reply = SendHttp(HttpOrigin{true, "127.0.0.1", 1}, HttpRequest{}, options);
  EXPECT_EQ(reply.error, HttpError::kTlsCaFile);
  EXPECT_NE(std::string(HttpErrorText(reply.error)).find("--ca-file"), std::string::npos);
}

TEST(HttpOriginTest, ParsesSchemesHostsAndPorts) {
  auto plain = ParseHttpOrigin("http://127.0.0.1:8080");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->tls);
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, 8080);
  auto tls = ParseHttpOrigin("https://gpu-pool.example");
  ASSERT_TRUE(tls);
  EXPECT_TRUE(tls->tls);
  EXPECT_EQ(tls->host, "gpu-pool.example");
  EXPECT_EQ(tls->port, 443);
  EXPECT_EQ(ParseHttpOrigin("http://a")->port, 80);
  auto v6 = ParseHttpOrigin("http://[::1]:9000");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 9000);
  EXPECT_EQ(ParseHttpOrigin("https://[fe80::1]")->port, 443);
}

TEST(HttpOriginTest, RejectsEverythingElse) {
  for (const char* bad : {"ftp://a:1", "a:80", "http://", "http://:80", "http://a:",
                          "http://a:99999", "http://a:8x", "http://a/v1", "http://u@a",
                          "http://[::1", "http://[::1]x", "http://a]:1"}) {
    EXPECT_FALSE(ParseHttpOrigin(bad)) << bad;
  }
}

}  // namespace
}  // namespace fastgpu::cli
