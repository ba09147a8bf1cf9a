#include "cli/format.h"

#include <gtest/gtest.h>

namespace fastgpu::cli {
namespace {

TEST(TableTest, AlignsColumnsAndTrimsLineEnds) {
  Table table({"ID", "NAME", "STATE"});
  table.AddRow({"7", "train-resnet", "running"});
  table.AddRow({"12", "x", ""});
  table.AddRow({"3"});
  EXPECT_EQ(table.Render(),
            "ID   NAME           STATE\n"
            "7    train-resnet   running\n"
            "12   x\n"
            "3\n");
}

TEST(TableTest, HeaderOnlyWhenEmpty) { EXPECT_EQ(Table({"A", "BB"}).Render(), "A   BB\n"); }

TEST(FormatDurationTest, KubectlStyle) {
  EXPECT_EQ(FormatDuration(-5000), "0s");
  EXPECT_EQ(FormatDuration(999), "0s");
  EXPECT_EQ(FormatDuration(45'000), "45s");
  EXPECT_EQ(FormatDuration(192'000), "3m12s");
  EXPECT_EQ(FormatDuration(180'000), "3m");
  EXPECT_EQ(FormatDuration(17 * 60'000 + 5'000), "17m");
  EXPECT_EQ(FormatDuration((2 * 60 + 5) * 60'000), "2h5m");
  EXPECT_EQ(FormatDuration((13 * 60 + 5) * 60'000), "13h");
  EXPECT_EQ(FormatDuration((3 * 24 + 4) * 3'600'000LL), "3d4h");
  EXPECT_EQ(FormatDuration((12 * 24 + 4) * 3'600'000LL), "12d");
}

TEST(FormatMilliTest, ShortDecimals) {
  EXPECT_EQ(FormatMilli(0), "0");
  EXPECT_EQ(FormatMilli(2000), "2");
  EXPECT_EQ(FormatMilli(250), "0.25");
  EXPECT_EQ(FormatMilli(1500), "1.5");
  EXPECT_EQ(FormatMilli(5), "0.005");
  EXPECT_EQ(FormatMilli(-250), "-0.25");
}

TEST(FormatGpuRequestTest, CountsFractionsAndMemory) {
  EXPECT_EQ(FormatGpuRequest(0, 0, 0), "-");
  EXPECT_EQ(FormatGpuRequest(2, 1000, 0), "2");
  EXPECT_EQ(FormatGpuRequest(1, 250, 0), "0.25");
  EXPECT_EQ(FormatGpuRequest(1, 250, 10240), "0.25/10GiB");
  EXPECT_EQ(FormatGpuRequest(1, 1000, 10240), "1/10GiB");
  EXPECT_EQ(FormatGpuRequest(1, 0, 512), "512MiB");
}

TEST(ErrorLineTest, NamesTheField) {
  EXPECT_EQ(ErrorLine(InvalidArgument("gpus must be a number", "resources.gpus")),
            "error: gpus must be a number (field resources.gpus)");
  EXPECT_EQ(ErrorLine(NotFound("job 9 not found")), "error: job 9 not found");
}

TEST(UsageErrorLineTest, FlagsLeadTheLine) {
  EXPECT_EQ(UsageErrorLine(InvalidArgument("abc: not an integer", "--priority")),
            "error: --priority abc: not an integer");
  EXPECT_EQ(UsageErrorLine(InvalidArgument("no command given", "command")),
            "error: no command given");
}

}  // namespace
}  // namespace fastgpu::cli
