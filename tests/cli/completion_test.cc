// Completion scripts: generated from the command list; bash completes for real.
#include "cli/completion.h"

#include <gtest/gtest.h>

#include "cli/commands_extra.h"

namespace fastgpu::cli {
namespace {

CompletionSpec Spec() {
  return {{"--url", "--api-key"},
          {{"ps", "List jobs", {"--all", "--json"}},
           {"poll", "Run scripts [DIR]", {"--gpus"}},
           {"completion", "Print a script", {}}}};
}

TEST(CompletionTest, BashListsCommandsAndTheirFlags) {
  std::string s = BashCompletion(Spec());
  EXPECT_NE(s.find("words=\"ps poll completion --url --api-key\""), std::string::npos) << s;
  EXPECT_NE(s.find("    ps) words=\"--all --json\" ;;"), std::string::npos) << s;
  EXPECT_NE(s.find("completion) words=\"bash zsh\""), std::string::npos) << s;
  EXPECT_NE(s.find("complete -F _fastgpu fastgpu"), std::string::npos);
}

TEST(CompletionTest, ZshDescribesCommandsWithSafeText) {
  std::string s = ZshCompletion(Spec());
  EXPECT_EQ(s.rfind("#compdef fastgpu\n", 0), 0u);
  EXPECT_NE(s.find("'poll:Run scripts DIR'"), std::string::npos) << s;  // no [ ] in specs
  EXPECT_NE(s.find("ps) compadd -- --all --json ;;"), std::string::npos) << s;
}

TEST(NearestFlagTest, SuggestsCloseFlagsOnly) {
  std::vector<std::string> known = {"--gpus", "--gpu-memory", "--cpus", "--json"};
  EXPECT_EQ(NearestFlag("--gpu", known), "--gpus");                  // one letter short
  EXPECT_EQ(NearestFlag("--gpu-mem=10GiB", known), "--gpu-memory");  // a prefix
  EXPECT_EQ(NearestFlag("--jsno", known), "--json");                 // two letters swapped
  EXPECT_EQ(NearestFlag("--bogus-flag", known), "");
}

}  // namespace
}  // namespace fastgpu::cli
