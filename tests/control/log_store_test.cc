#include "control/log_store.h"

#include <gtest/gtest.h>

#include "control/controller_fixture.h"

namespace fastgpu::control {
namespace {

using testing::TempDir;

class LogStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto logs = LogStore::Open(dir_.path() + "/logs");
    ASSERT_TRUE(logs.ok()) << logs.error().ToString();
    logs_ = std::move(*logs);
  }
  static void RunAll(const std::vector<LogStore::Pump>& pumps) {
    for (const auto& p : pumps) p();
  }
  TempDir dir_;
  std::unique_ptr<LogStore> logs_;
};

TEST_F(LogStoreTest, AttemptsAndStreamsAreSeparateFiles) {
  ASSERT_TRUE(logs_->Append(7, 1, LogStream::kStdout, 0, "one", nullptr).ok());
  ASSERT_TRUE(logs_->Append(7, 2, LogStream::kStdout, 0, "two!", nullptr).ok());
  ASSERT_TRUE(logs_->Append(7, 2, LogStream::kStderr, 0, "err", nullptr).ok());
  EXPECT_EQ(*logs_->Read(7, 1, LogStream::kStdout, 0, 100), "one");
  EXPECT_EQ(*logs_->Read(7, 2, LogStream::kStdout, 0, 100), "two!");
  EXPECT_EQ(*logs_->Read(7, 2, LogStream::kStdout, 1, 2), "wo");
  EXPECT_EQ(*logs_->Read(7, 2, LogStream::kStderr, 0, 100), "err");
  EXPECT_EQ(*logs_->Read(8, 1, LogStream::kStdout, 0, 100), "");
  EXPECT_EQ(logs_->Size(7, 2, LogStream::kStdout), 4);
  EXPECT_TRUE(std::filesystem::exists(dir_.path() + "/logs/7/2.stderr"));
}

TEST_F(LogStoreTest, SizesSurviveAReopen) {
  ASSERT_TRUE(logs_->Append(3, 1, LogStream::kStdout, 0, "abcdef", nullptr).ok());
  auto again = LogStore::Open(dir_.path() + "/logs");
  ASSERT_TRUE(again.ok());
  int64_t size = 0;
  auto gap = (*again)->Append(3, 1, LogStream::kStdout, 10, "x", &size);
  EXPECT_EQ(gap.error().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(size, 6);
  EXPECT_EQ(*(*again)->Append(3, 1, LogStream::kStdout, 4, "efgh", nullptr), 8);
  EXPECT_EQ(*(*again)->Read(3, 1, LogStream::kStdout, 0, 100), "abcdefgh");
}

TEST_F(LogStoreTest, FollowerEndsOnceAfterMarkEnded) {
  std::string got;
  int ended = 0;
  auto pump =
      logs_->Follow(5, 0, LogStream::kStdout, 0, false, [&](std::string_view chunk, bool end) {
        got.append(chunk);
        if (end) ++ended;
        return true;
      });
  pump();
  EXPECT_EQ(got, "");
  ASSERT_TRUE(logs_->Append(5, 1, LogStream::kStdout, 0, "abc", nullptr).ok());
  ASSERT_TRUE(logs_->Append(5, 1, LogStream::kStderr, 0, "other", nullptr).ok());
  EXPECT_EQ(got, "abc");
  EXPECT_EQ(logs_->FollowerCountForTest(), 1u);
  RunAll(logs_->MarkEnded(5));
  EXPECT_EQ(ended, 1);
  EXPECT_EQ(logs_->FollowerCountForTest(), 0u);
  RunAll(logs_->MarkEnded(5));
  RunAll(logs_->EndAll());
  EXPECT_EQ(ended, 1);
}

TEST_F(LogStoreTest, LargeLogsArriveInChunksInOrder) {
  std::string big;
  for (int i = 0; i < 100000; ++i) big += std::to_string(i % 10);
  big += big + big + big;  // 400 KB: more than one chunk
  ASSERT_TRUE(logs_->Append(9, 1, LogStream::kStdout, 0, big, nullptr).ok());
  std::string got;
  int calls = 0;
  auto pump = logs_->Follow(9, 1, LogStream::kStdout, 0, true, [&](std::string_view chunk, bool) {
    got.append(chunk);
    ++calls;
    return true;
  });
  pump();
  EXPECT_EQ(got, big);
  EXPECT_GE(calls, 3);  // at least two data chunks and the end
}

}  // namespace
}  // namespace fastgpu::control
