// PollDir and the script header of `fastgpu poll`.
#include "cli/poll_dir.h"

#include <gtest/gtest.h>

#include <fstream>

#include "fakes/temp_dir.h"

namespace fastgpu::cli {
namespace {

void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(PollDirTest, ClaimIsWonOnceAndFinishMovesTheScript) {
  test::TempDir tmp;
  PollDir a(tmp.path()), b(tmp.path());
  ASSERT_TRUE(a.Prepare().ok());
  Write(tmp.path() + "/to_run/s1.sh", "echo 1\n");
  Write(tmp.path() + "/to_run/.hidden", "x");
  Write(tmp.path() + "/to_run/s2.sh~", "x");
  EXPECT_EQ(a.Waiting(), std::vector<std::string>{"s1.sh"});  // editors' files left alone
  EXPECT_TRUE(a.Claim("s1.sh"));
  EXPECT_FALSE(b.Claim("s1.sh"));  // the second poller loses
  EXPECT_TRUE(a.Waiting().empty());
  EXPECT_EQ(*a.ReadScript("s1.sh"), "echo 1\n");
  EXPECT_TRUE(a.RunningWithJob().empty());
  ASSERT_TRUE(a.WriteOut("s1.sh", "jobid", "12\n").ok());
  EXPECT_EQ(a.RunningWithJob(), std::vector<std::string>{"s1.sh"});
  EXPECT_TRUE(a.Finish("s1.sh", true));
  EXPECT_FALSE(b.Finish("s1.sh", false));  // already finished
  EXPECT_TRUE(std::ifstream(tmp.path() + "/complete/s1.sh").good());
  EXPECT_EQ(*a.ReadOut("s1.sh", "jobid"), "12\n");
}

TEST(ScriptHeaderTest, ReadsFlagsFromTheHeaderComment) {
  Result<RunOptions> o = ParseScriptHeader(
      "#!/bin/bash\n# fastgpu: --gpus 0.5 --gpu-memory=10GiB\n#fastgpu: --env A=1 --name "
      "x\necho\n");
  ASSERT_TRUE(o.ok()) << o.error().message();
  EXPECT_EQ(o->gpus, "0.5");
  EXPECT_EQ(o->gpu_memory, "10GiB");
  EXPECT_EQ(o->env, std::vector<std::string>{"A=1"});
  EXPECT_EQ(o->name, "x");
  EXPECT_TRUE(ParseScriptHeader("echo hi\n")->gpus.empty());
}

TEST(ScriptHeaderTest, BadFlagsAreNamed) {
  Result<RunOptions> o = ParseScriptHeader("# fastgpu: --gpu 1\n");
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().field(), "--gpu");
  o = ParseScriptHeader("# fastgpu: --gpus\n");
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().field(), "--gpus");
}

TEST(ScriptArgvTest, ShebangOrShell) {
  EXPECT_EQ(ScriptArgv("#!/usr/bin/env python3\nprint(1)\n", "/d/s.py"),
            (std::vector<std::string>{"/usr/bin/env", "python3", "/d/s.py"}));
  EXPECT_EQ(ScriptArgv("echo 1\n", "/d/s.sh"), (std::vector<std::string>{"/bin/sh", "/d/s.sh"}));
}

}  // namespace
}  // namespace fastgpu::cli
