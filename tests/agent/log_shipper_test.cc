// LogShipper against the in-memory server: a rotated stream is shipped across its segments,
// bytes rotated away before shipping become one notice, and a restarted shipper resumes.
#include "agent/log_shipper.h"

#include <gtest/gtest.h>

#include "agent/runner/log_files.h"
#include "fake_agent_server.h"
#include "fakes/temp_dir.h"

namespace fastgpu::agent {
namespace {

std::string Pattern(int64_t from, int64_t n) {
  std::string s;
  for (int64_t i = from; i < from + n; ++i) s.push_back(static_cast<char>('a' + i % 26));
  return s;
}

class LogShipperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = ServerClient::Create(server_.url(), "tok", 5000);
    ASSERT_TRUE(c.ok());
    client_ = std::move(c).value();
    Registration reg;
    reg.name = "n";
    ASSERT_TRUE(client_->Register(reg).ok());
    attempt_.key = {1, 1};
    attempt_.phase = AttemptPhase::kRunning;
    attempt_.dir = dir_.path();
  }
  // Ships until complete (a few rounds at most).
  void ShipAll(LogShipper& shipper) {
    for (int i = 0; i < 50; ++i) {
      auto done = shipper.Ship(*client_, "n", attempt_);
      ASSERT_TRUE(done.ok()) << done.error().ToString();
      if (*done) return;
    }
    FAIL() << "never complete";
  }
  FakeAgentServer server_{"tok"};
  std::unique_ptr<ServerClient> client_;
  ::fastgpu::test::TempDir dir_;
  AttemptStatus attempt_;
};

TEST_F(LogShipperTest, ShipsAcrossSegmentsInChunks) {
  auto w = LogWriter::Open(dir_.path(), "stdout", 1000, -1);
  ASSERT_TRUE(w.ok());
  LogShipper shipper(/*max_chunk=*/128, /*max_chunks=*/2);
  ASSERT_TRUE((*w)->Append(Pattern(0, 300)).ok());
  ShipAll(shipper);
  ASSERT_TRUE((*w)->Append(Pattern(300, 600)).ok());  // crosses the 500-byte segment edge
  ShipAll(shipper);
  EXPECT_EQ(server_.log({1, 1}, "stdout"), Pattern(0, 900));
}

TEST_F(LogShipperTest, BytesRotatedAwayBecomeOneNoticeAndARestartResumes) {
  auto w = LogWriter::Open(dir_.path(), "stdout", 1000, -1);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append(Pattern(0, 3700)).ok());  // the server never saw bytes 0..2999
  const std::string notice =
      "\n[fastgpu: 3000 bytes of stdout were lost: the node keeps only its newest bytes (log "
      "cap) and the server was unreachable]\n";
  {
    LogShipper shipper;
    ShipAll(shipper);
    EXPECT_EQ(server_.log({1, 1}, "stdout"), notice + Pattern(3000, 700));
  }
  // The agent restarts: a new shipper must continue after what the server has, not repeat it.
  ASSERT_TRUE((*w)->Append(Pattern(3700, 50)).ok());
  LogShipper restarted;
  ShipAll(restarted);
  EXPECT_EQ(server_.log({1, 1}, "stdout"), notice + Pattern(3000, 750));
}

TEST_F(LogShipperTest, RestartWithoutLossResumesFromTheServersSize) {
  auto w = LogWriter::Open(dir_.path(), "stderr", 0, -1);
  ASSERT_TRUE((*w)->Append("one\n").ok());
  {
    LogShipper shipper;
    ShipAll(shipper);
  }
  ASSERT_TRUE((*w)->Append("two\n").ok());
  LogShipper restarted;
  ShipAll(restarted);
  EXPECT_EQ(server_.log({1, 1}, "stderr"), "one\ntwo\n");
}

}  // namespace
}  // namespace fastgpu::agent
