// `fastgpu sim fill` and `fastgpu sim replay` as a user runs them: tiny trace files in a
// temporary folder, the files each command writes, and errors that name the flag or column.

#include "sim/sim_command.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fakes/temp_dir.h"

namespace fastgpu::sim {
namespace {

struct Outcome {
  int exit_code = -1;
  std::string err;
};

Outcome RunSim(std::vector<std::string> args) {
  CLI::App app{"test"};
  app.require_subcommand(1);
  int exit_code = 0;
  RegisterSimCommand(app, exit_code);
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last first
  ::testing::internal::CaptureStderr();
  ::testing::internal::CaptureStdout();
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    exit_code = app.exit(e);
  }
  ::testing::internal::GetCapturedStdout();
  return Outcome{exit_code, ::testing::internal::GetCapturedStderr()};
}

class SimCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path();  // private: ctest -j runs these tests (and other trees') at once
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Write("nodes.csv",
          "sn,cpu_milli,memory_mib,gpu,model\nn0,32000,65536,2,G\nn1,32000,65536,2,G\n");
    Write("pods.csv",
          "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"
          "deletion_time,scheduled_time\n"
          "p0,1000,100,2,1000,,LS,Running,0,100,0\n"
          "p1,1000,100,1,500,,BE,Running,5,50,5\n"
          "p2,1000,100,2,1000,,LS,Running,10,200,10\n");
    Write("untimed.csv", "name,cpu_milli,memory_mib,num_gpu,gpu_milli\np0,1000,100,1,1000\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string Read(const std::string& name) const {
    std::ifstream in(Path(name));
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  fastgpu::test::TempDir tmp_;
  std::string dir_;
};

TEST_F(SimCommandTest, ReplayWritesItsReportAndTenants) {
  const Outcome o = RunSim({"sim", "replay", "--nodes", Path("nodes.csv"), "--pods",
                            Path("pods.csv"), "--out", Path("out")});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const std::string report = Read("out/replay.csv");
  EXPECT_NE(report.find("tasks,3\n"), std::string::npos) << report;
  EXPECT_NE(report.find("started,3\n"), std::string::npos) << report;
  const std::string tenants = Read("out/tenants.csv");
  EXPECT_EQ(tenants.rfind("tenant,tasks,started,gpu_hours,share_pct,mean_wait_s\n", 0), 0u);
  EXPECT_NE(tenants.find("\nBE,1,1,"), std::string::npos) << tenants;
  EXPECT_NE(tenants.find("\nLS,2,2,"), std::string::npos) << tenants;
}

TEST_F(SimCommandTest, CopiesSubmitEveryTaskAgain) {
  // Two copies of 2 + 1 + 2 GPUs on 4 GPUs: some copies wait for others to end.
  const Outcome o = RunSim({"sim", "replay", "--nodes", Path("nodes.csv"), "--pods",
                            Path("pods.csv"), "--copies", "2", "--out", Path("out")});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const std::string report = Read("out/replay.csv");
  EXPECT_NE(report.find("tasks,6\n"), std::string::npos) << report;
  EXPECT_NE(report.find("started,6\n"), std::string::npos) << report;
  EXPECT_EQ(report.find("wait_max_s,0\n"), std::string::npos) << report;
}

TEST_F(SimCommandTest, FillWritesItsThreeFiles) {
  const Outcome o = RunSim({"sim", "fill", "--nodes", Path("nodes.csv"), "--pods",
                            Path("pods.csv"), "--policy", "fgd+,bestfit", "--seeds", "1-2",
                            "--out", Path("fill")});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(Read("fill/alloc.csv").rfind("policy,seed,arrived_pct,alloc_pct\n", 0), 0u);
  EXPECT_EQ(Read("fill/summary.csv").rfind("policy,arrived_pct,alloc_pct_median\n", 0), 0u);
  EXPECT_NE(Read("fill/alloc.svg").find("<svg"), std::string::npos);
}

TEST_F(SimCommandTest, BadInputNamesTheFlagOrColumn) {
  const std::vector<std::string> base = {"sim", "replay", "--nodes", Path("nodes.csv")};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return RunSim(args);
  };
  Outcome o = with({"--pods", Path("pods.csv"), "--weights", "LS"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("--weights"), std::string::npos) << o.err;
  o = with({"--pods", Path("pods.csv"), "--compress", "0.5"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("--compress"), std::string::npos) << o.err;
  o = with({"--pods", Path("pods.csv"), "--copies", "0"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("--copies"), std::string::npos) << o.err;
  o = with({"--pods", Path("pods.csv"), "--stretch", "0"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("--stretch"), std::string::npos) << o.err;
  o = with({"--pods", Path("pods.csv"), "--tenants", "users"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("--tenants"), std::string::npos) << o.err;
  o = with({"--pods", Path("pods.csv"), "--policy", "nope"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("unknown placement policy 'nope'"), std::string::npos) << o.err;
  o = with({"--pods", Path("untimed.csv")});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("creation_time"), std::string::npos) << o.err;
  o = with({"--pods", Path("missing.csv")});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("cannot open"), std::string::npos) << o.err;
}

}  // namespace
}  // namespace fastgpu::sim
