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

TEST(TableTest, FitsAWidthByCuttingTheLastColumnFirst) {
  Table table({"ID", "NAME", "REASON"});
  table.AddRow({"7", "train-resnet-50", "waiting for 10 GPUs on one node"});
  // Full width is 2+3+15+3+31 = 54; at 40 the reason is cut to 17 with "~".
  EXPECT_EQ(table.Render(40, false),
            "ID   NAME              REASON\n"
            "7    train-resnet-50   waiting for 10 G~\n");
  // At 20 the reason stops at 4 characters and the name (the widest left) is cut to 8.
  std::string narrow = table.Render(20, false);
  EXPECT_EQ(narrow, "ID   NAME       REA~\n7    train-r~   wai~\n") << narrow;
}

TEST(TableTest, LongNamesGiveWayBeforeTheLastColumn) {
  Table table({"ID", "NAME", "REASON"});
  table.AddRow({"7", std::string(30, 'n'), "waiting for 10 GPUs"});
  // Full width 2+3+30+3+19 = 57; at 45 the name goes down to 18 and the reason stays whole.
  EXPECT_EQ(table.Render(45, false), "ID   NAME                 REASON\n7    " +
                                         std::string(17, 'n') + "~   waiting for 10 GPUs\n");
  // At 30 the name stops at 16 and the reason is cut to 6.
  EXPECT_EQ(table.Render(30, false),
            "ID   NAME               REASON\n7    " + std::string(15, 'n') + "~   waiti~\n");
}

TEST(TableTest, ColorWrapsTheTextNotThePadding) {
  Table table({"STATE", "X"});
  table.AddRow({"run", "1"});
  table.SetColumnColor(0, [](const std::string& cell) { return cell == "run" ? "32" : ""; });
  EXPECT_EQ(table.Render(0, true), "STATE   X\n\033[32mrun\033[0m     1\n");
  EXPECT_EQ(table.Render(), "STATE   X\nrun     1\n");
}

}  // namespace
}  // namespace fastgpu::cli
