// Capped, rotated log streams: what the supervisor writes and the shipper reads.
#include "agent/runner/log_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "agent/runner/attempt_files.h"
#include "fakes/temp_dir.h"

namespace fastgpu::agent {
namespace {

using ::fastgpu::test::TempDir;

// Bytes 0..n-1 of a stream whose byte i is 'a' + i % 26: any offset mix-up shows.
std::string Pattern(int64_t from, int64_t n) {
  std::string s;
  for (int64_t i = from; i < from + n; ++i) s.push_back(static_cast<char>('a' + i % 26));
  return s;
}

std::string ReadAll(const std::string& dir, int64_t from, int64_t* lost = nullptr) {
  std::string out;
  int64_t at = from;
  for (int i = 0; i < 1000; ++i) {
    auto r = ReadLog(dir, "stdout", at, 1000);
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    if (!r.ok() || r.value().bytes.empty()) break;
    if (lost != nullptr) *lost += r->lost;
    if (out.empty()) from = r->first;
    out += r->bytes;
    at = r->first + static_cast<int64_t>(r->bytes.size());
  }
  return out;
}

TEST(LogFiles, UncappedStreamIsOneFile) {
  TempDir t;
  auto w = LogWriter::Open(t.path(), "stdout", 0, -1);
  ASSERT_TRUE(w.ok()) << w.error().ToString();
  ASSERT_TRUE((*w)->Append(Pattern(0, 5000)).ok());
  EXPECT_EQ((*w)->end(), 5000);
  EXPECT_EQ(ReadWholeFile(t.File("stdout.log")).value(), Pattern(0, 5000));
  EXPECT_FALSE(std::filesystem::exists(t.File("stdout.log.1")));
  auto r = ReadLog(t.path(), "stdout", 4990, 100);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->bytes, Pattern(4990, 10));
  EXPECT_EQ(r->end, 5000);
  EXPECT_EQ(r->lost, 0);
}

TEST(LogFiles, FilesAreReadableByTheAgentOnly) {
  TempDir t;
  auto w = LogWriter::Open(t.path(), "stderr", 0, -1);
  ASSERT_TRUE(w.ok());
  struct stat st;
  ASSERT_EQ(::stat(t.File("stderr.log").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST(LogFiles, CapKeepsTheNewestBytesAcrossRotations) {
  TempDir t;
  auto w = LogWriter::Open(t.path(), "stdout", 1000, -1);  // segments of 500 bytes
  ASSERT_TRUE(w.ok());
  for (int i = 0; i < 37; ++i) ASSERT_TRUE((*w)->Append(Pattern(i * 100, 100)).ok());
  EXPECT_EQ((*w)->end(), 3700);
  // 3700 bytes: segments [3000,3500) in .1 and [3500,3700) current; the rest rotated away.
  EXPECT_EQ(std::filesystem::file_size(t.File("stdout.log")), 200u);
  EXPECT_EQ(std::filesystem::file_size(t.File("stdout.log.1")), 500u);
  EXPECT_EQ(ReadWholeFile(t.File("stdout.log.offset")).value(), "3500\n");

  // From the start: the lost bytes are counted and reading goes on at the oldest kept byte.
  int64_t lost = 0;
  EXPECT_EQ(ReadAll(t.path(), 0, &lost), Pattern(3000, 700));
  EXPECT_EQ(lost, 3000);
  // Inside the previous segment, reading crosses into the current one.
  lost = 0;
  EXPECT_EQ(ReadAll(t.path(), 3400, &lost), Pattern(3400, 300));
  EXPECT_EQ(lost, 0);
  auto end = ReadLog(t.path(), "stdout", 3700, 10);
  ASSERT_TRUE(end.ok());
  EXPECT_TRUE(end->bytes.empty());
  EXPECT_EQ(end->end, 3700);
}

TEST(LogFiles, OneBigWriteIsSplitAtSegmentEdges) {
  TempDir t;
  auto w = LogWriter::Open(t.path(), "stdout", 100, -1);  // segments of 50
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append(Pattern(0, 175)).ok());
  EXPECT_EQ(std::filesystem::file_size(t.File("stdout.log")), 25u);
  EXPECT_EQ(std::filesystem::file_size(t.File("stdout.log.1")), 50u);
  EXPECT_EQ(ReadAll(t.path(), 0), Pattern(100, 75));
}

TEST(LogFiles, StreamNeverWrittenReadsEmpty) {
  TempDir t;
  auto r = ReadLog(t.path(), "stdout", 0, 100);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->bytes.empty());
  EXPECT_EQ(r->end, 0);
}

TEST(LogFiles, ReopenedWriterContinuesTheLogicalOffsets) {
  TempDir t;
  {
    auto w = LogWriter::Open(t.path(), "stdout", 100, -1);
    ASSERT_TRUE((*w)->Append(Pattern(0, 120)).ok());
  }
  auto w = LogWriter::Open(t.path(), "stdout", 100, -1);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->end(), 120);
  ASSERT_TRUE((*w)->Append(Pattern(120, 10)).ok());
  EXPECT_EQ(ReadAll(t.path(), 50), Pattern(50, 80));
}

}  // namespace
}  // namespace fastgpu::agent
