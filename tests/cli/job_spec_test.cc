// Job spec files (submit -f): YAML to RunOptions, and errors that name the key and the fix.
#include "cli/job_spec.h"

#include <gtest/gtest.h>

namespace fastgpu::cli {
namespace {

TEST(JobSpecTest, EveryKey) {
  Result<RunOptions> o = ParseJobSpec(R"(
name: train
command: python3 train.py --epochs 3
env: {WANDB_MODE: offline, SEED: 7}
workdir: /data
resources: {gpus: 0.5, gpu_memory: 10GiB, cpus: 2, memory: 16GiB, gpu_models: [A100-80GB]}
priority: 10
retries: 2
time_limit: 2h
)",
                                      "job.yaml");
  ASSERT_TRUE(o.ok()) << o.error().message();
  EXPECT_EQ(o->name, "train");
  // A string command runs under the shell.
  EXPECT_EQ(o->argv, (std::vector<std::string>{"/bin/sh", "-c", "python3 train.py --epochs 3"}));
  EXPECT_EQ(o->env, (std::vector<std::string>{"WANDB_MODE=offline", "SEED=7"}));
  EXPECT_EQ(o->workdir, "/data");
  EXPECT_EQ(o->gpus, "0.5");
  EXPECT_EQ(o->gpu_memory, "10GiB");
  EXPECT_EQ(o->cpus, "2");
  EXPECT_EQ(o->memory, "16GiB");
  EXPECT_EQ(o->gpu_models, (std::vector<std::string>{"A100-80GB"}));
  EXPECT_EQ(o->priority, "10");
  EXPECT_EQ(o->max_retries, "2");
  EXPECT_EQ(o->time_limit, "7200");  // 2h in seconds
}

TEST(JobSpecTest, ListCommandIsTheArgv) {
  Result<RunOptions> o = ParseJobSpec("command: [echo, 'a b']\n", "j.yaml");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->argv, (std::vector<std::string>{"echo", "a b"}));
}

TEST(JobSpecTest, ErrorsNameTheFileLineKeyAndFix) {
  auto message = [](const std::string& yaml) {
    Result<RunOptions> o = ParseJobSpec(yaml, "job.yaml");
    EXPECT_FALSE(o.ok());
    EXPECT_EQ(o.error().field(), "-f");
    return o.ok() ? std::string() : o.error().message();
  };
  EXPECT_EQ(
      message("command: x\ngpu: 1\n").rfind("job.yaml: line 2: gpu: unknown key; use one of:", 0),
      0u);
  EXPECT_EQ(
      message("command: x\nresources: {gpus: 1.5}\n").rfind("job.yaml: resources.gpus: 1.5: ", 0),
      0u)
      << message("command: x\nresources: {gpus: 1.5}\n");
  EXPECT_EQ(message("name: x\n"),
            "job.yaml: command: missing; add e.g. `command: python3 train.py`");
  EXPECT_EQ(
      message("command: x\ntime_limit: soon\n"),
      "job.yaml: line 2: time_limit: soon: not a duration; use seconds (3600) or 90m, 2h, 1d");
  EXPECT_EQ(message("command: [x\n").rfind("job.yaml: line ", 0), 0u);  // YAML syntax error
  EXPECT_EQ(message("- a\n- b\n"),
            "job.yaml: not a job spec: expected a YAML map with at least `command:`");
}

TEST(JobSpecTest, FlagsOverrideTheFile) {
  RunOptions file;
  file.gpus = "1";
  file.name = "a";
  file.env = {"A=1"};
  file.argv = {"x"};
  RunOptions flags;
  flags.gpus = "0.5";
  flags.env = {"B=2"};
  RunOptions m = MergeRunOptions(file, flags);
  EXPECT_EQ(m.gpus, "0.5");
  EXPECT_EQ(m.name, "a");
  EXPECT_EQ(m.env, (std::vector<std::string>{"A=1", "B=2"}));
  EXPECT_EQ(m.argv, (std::vector<std::string>{"x"}));
}

}  // namespace
}  // namespace fastgpu::cli
