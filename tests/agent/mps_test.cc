#include "agent/mps.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "fakes/temp_dir.h"

namespace fastgpu::agent {
namespace {

// The control daemon leaves a `control` pipe in its pipe folder: that is how the agent knows.
TEST(Mps, FoundWhereTheControlPipeIs) {
  test::TempDir dir;
  EXPECT_EQ(FindMpsPipeDirectory(dir.path()), "");  // nothing there
  std::ofstream(dir.File("control")) << "not a pipe";
  EXPECT_EQ(FindMpsPipeDirectory(dir.path()), "");  // a plain file is not a daemon
  test::TempDir daemon;
  ASSERT_EQ(mkfifo(daemon.File("control").c_str(), 0600), 0);
  EXPECT_EQ(FindMpsPipeDirectory(daemon.path() + "/"), daemon.path());
}

TEST(Mps, DefaultsToTheEnvironmentsPipeDirectory) {
  test::TempDir daemon;
  ASSERT_EQ(mkfifo(daemon.File("control").c_str(), 0600), 0);
  setenv("CUDA_MPS_PIPE_DIRECTORY", daemon.path().c_str(), 1);
  EXPECT_EQ(FindMpsPipeDirectory(""), daemon.path());
  unsetenv("CUDA_MPS_PIPE_DIRECTORY");
}

}  // namespace
}  // namespace fastgpu::agent
