// Job logs through the controller: appends with offsets, reads, follows.
#include "control/controller_fixture.h"

namespace fastgpu::control::testing {
namespace {

// Collects what a follower receives.
struct FollowRecorder {
  std::string bytes;
  int calls = 0;
  int ended = 0;
  bool keep = true;
  Controller::LogSink Sink() {
    return [this](std::string_view chunk, bool end) {
      bytes.append(chunk);
      ++calls;
      if (end) ++ended;
      return keep;
    };
  }
};

class ControllerLogsTest : public ControllerTest {
 protected:
  void SetUp() override {
    ControllerTest::SetUp();
    ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 1)).ok());
    job_ = MustSubmit(GpuJob(1)).record.id;
  }
  Result<int64_t> Append(int64_t offset, std::string_view data, int64_t* size = nullptr) {
    return controller_->AppendLog("n1", job_, 1, LogStream::kStdout, offset, data, size);
  }
  std::string Read(int64_t offset, bool* ended = nullptr) {
    bool e = false;
    auto r = controller_->ReadLog(Admin(), job_, LogStream::kStdout, offset, 1 << 20, &e);
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    if (ended) *ended = e;
    return r.ok() ? *r : "";
  }
  core::JobId job_ = 0;
};

TEST_F(ControllerLogsTest, AppendSkipsOverlapAndRefusesGaps) {
  auto size = Append(0, "hello");
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 5);
  size = Append(2, "llo world");  // "llo" is stored already
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 11);
  size = Append(0, "hel");  // a resend of what is stored
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 11);

  int64_t stored = -1;
  auto gap = Append(20, "zzz", &stored);
  ASSERT_FALSE(gap.ok());
  EXPECT_EQ(gap.error().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(stored, 11);

  bool ended = true;
  EXPECT_EQ(Read(0, &ended), "hello world");
  EXPECT_FALSE(ended);
  EXPECT_EQ(Read(6), "world");
  EXPECT_EQ(Read(100), "");
  // The other stream is separate.
  auto err = controller_->ReadLog(Admin(), job_, LogStream::kStderr, 0, 100, &ended);
  ASSERT_TRUE(err.ok());
  EXPECT_EQ(*err, "");
}

TEST_F(ControllerLogsTest, AppendChecksNodeJobAndAttempt) {
  EXPECT_EQ(
      controller_->AppendLog("ghost", job_, 1, LogStream::kStdout, 0, "x", nullptr).error().code(),
      StatusCode::kNotFound);
  EXPECT_EQ(
      controller_->AppendLog("n1", 999, 1, LogStream::kStdout, 0, "x", nullptr).error().code(),
      StatusCode::kNotFound);
  EXPECT_EQ(
      controller_->AppendLog("n1", job_, 2, LogStream::kStdout, 0, "x", nullptr).error().field(),
      "attempt");
}

TEST_F(ControllerLogsTest, LogsLiveUnderTheDataDirectory) {
  ASSERT_TRUE(Append(0, "abc").ok());
  EXPECT_TRUE(std::filesystem::exists(dir_.path() + "/logs/" + std::to_string(job_) + "/1.stdout"));
}

TEST_F(ControllerLogsTest, FollowGetsChunksThenEndsAfterTheExitReport) {
  ASSERT_TRUE(Append(0, "first\n").ok());
  FollowRecorder rec;
  ASSERT_TRUE(controller_->FollowLog(Admin(), job_, LogStream::kStdout, 0, rec.Sink()).ok());
  EXPECT_EQ(rec.bytes, "first\n");
  EXPECT_EQ(rec.ended, 0);

  ASSERT_TRUE(Append(6, "second\n").ok());
  EXPECT_EQ(rec.bytes, "first\nsecond\n");
  EXPECT_EQ(rec.ended, 0);

  ASSERT_TRUE(controller_->Report("n1", {Exited(job_, 1, 0)}).ok());
  EXPECT_EQ(rec.ended, 1);
  EXPECT_EQ(rec.bytes, "first\nsecond\n");
  const int calls = rec.calls;
  ASSERT_TRUE(Append(13, "late\n").ok());  // the follow is over
  EXPECT_EQ(rec.calls, calls);

  bool ended = false;
  EXPECT_EQ(Read(0, &ended), "first\nsecond\nlate\n");
  EXPECT_TRUE(ended);
}

TEST_F(ControllerLogsTest, FollowOfAnEndedJobSendsEverythingThenEnds) {
  ASSERT_TRUE(Append(0, "all of it").ok());
  ASSERT_TRUE(controller_->Report("n1", {Exited(job_, 1, 1)}).ok());
  FollowRecorder rec;
  ASSERT_TRUE(controller_->FollowLog(Admin(), job_, LogStream::kStdout, 4, rec.Sink()).ok());
  EXPECT_EQ(rec.bytes, "of it");
  EXPECT_EQ(rec.ended, 1);
}

TEST_F(ControllerLogsTest, FollowOfAPendingJobPicksUpItsFirstAttempt) {
  core::JobId pending = MustSubmit(GpuJob(1)).record.id;  // the only GPU is taken
  FollowRecorder rec;
  ASSERT_TRUE(controller_->FollowLog(Admin(), pending, LogStream::kStdout, 0, rec.Sink()).ok());
  EXPECT_EQ(rec.calls, 0);
  ASSERT_TRUE(controller_->Report("n1", {Exited(job_, 1, 0)}).ok());  // frees the GPU
  EXPECT_EQ(MustGet(pending).record.attempt, 1);
  ASSERT_TRUE(controller_->AppendLog("n1", pending, 1, LogStream::kStdout, 0, "hi", nullptr).ok());
  EXPECT_EQ(rec.bytes, "hi");
  ASSERT_TRUE(controller_->Report("n1", {Exited(pending, 1, 0)}).ok());
  EXPECT_EQ(rec.ended, 1);
}

TEST_F(ControllerLogsTest, SinkReturningFalseStopsTheFollow) {
  FollowRecorder rec;
  rec.keep = false;
  ASSERT_TRUE(controller_->FollowLog(Admin(), job_, LogStream::kStdout, 0, rec.Sink()).ok());
  ASSERT_TRUE(Append(0, "one").ok());
  EXPECT_EQ(rec.calls, 1);
  ASSERT_TRUE(Append(3, "two").ok());
  EXPECT_EQ(rec.calls, 1);
}

TEST_F(ControllerLogsTest, ShutdownEndsFollows) {
  FollowRecorder rec;
  ASSERT_TRUE(controller_->FollowLog(Admin(), job_, LogStream::kStderr, 0, rec.Sink()).ok());
  controller_->Shutdown();
  EXPECT_EQ(rec.ended, 1);
}

TEST_F(ControllerLogsTest, NegativeOffsetIsInvalid) {
  bool ended = false;
  EXPECT_EQ(controller_->ReadLog(Admin(), job_, LogStream::kStdout, -1, 10, &ended).error().field(),
            "offset");
  EXPECT_EQ(Append(-1, "x").error().field(), "offset");
}

}  // namespace
}  // namespace fastgpu::control::testing
