#include "control/validation.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace fastgpu::control {
namespace {

core::JobSpec Valid() {
  core::JobSpec spec;
  spec.argv = {"python3", "train.py"};
  spec.resources.gpu_count = 1;
  return spec;
}

struct Case {
  std::string name;
  std::function<void(core::JobSpec&)> mutate;
  std::string field;
};

TEST(ValidateSpecTest, AcceptsWellFormedSpecs) {
  EXPECT_TRUE(ValidateSpec(Valid()).ok());
  core::JobSpec slice = Valid();
  slice.resources.gpu_milli = 250;
  EXPECT_TRUE(ValidateSpec(slice).ok());
  core::JobSpec memory_only = Valid();
  memory_only.resources.gpu_milli = 0;
  memory_only.resources.gpu_memory_mib = 10240;
  EXPECT_TRUE(ValidateSpec(memory_only).ok());
  core::JobSpec cpu_only = Valid();
  cpu_only.resources.gpu_count = 0;
  cpu_only.resources.cpu_milli = 2000;
  EXPECT_TRUE(ValidateSpec(cpu_only).ok());
  core::JobSpec edges = Valid();
  edges.priority = -1000;
  edges.max_retries = 100;
  edges.name = std::string(128, 'n');
  edges.resources.gpu_count = 1024;
  EXPECT_TRUE(ValidateSpec(edges).ok());
}

TEST(ValidateSpecTest, NamesTheFieldAtFault) {
  const std::vector<Case> cases = {
      {"empty argv", [](core::JobSpec& s) { s.argv.clear(); }, "argv"},
      {"empty argv[0]", [](core::JobSpec& s) { s.argv[0] = ""; }, "argv"},
      {"NUL in argv", [](core::JobSpec& s) { s.argv[1] = std::string("a\0b", 3); }, "argv"},
      {"huge argv", [](core::JobSpec& s) { s.argv.push_back(std::string(70000, 'x')); }, "argv"},
      {"empty env key", [](core::JobSpec& s) { s.env[""] = "v"; }, "env"},
      {"= in env key", [](core::JobSpec& s) { s.env["A=B"] = "v"; }, "env"},
      {"NUL in env value", [](core::JobSpec& s) { s.env["A"] = std::string("\0", 1); }, "env"},
      {"long name", [](core::JobSpec& s) { s.name = std::string(129, 'n'); }, "name"},
      {"priority high", [](core::JobSpec& s) { s.priority = 1001; }, "priority"},
      {"priority low", [](core::JobSpec& s) { s.priority = -1001; }, "priority"},
      {"retries", [](core::JobSpec& s) { s.max_retries = 101; }, "max_retries"},
      {"negative retries", [](core::JobSpec& s) { s.max_retries = -1; }, "max_retries"},
      {"time limit", [](core::JobSpec& s) { s.time_limit_s = -1; }, "time_limit_s"},
      {"negative gpus", [](core::JobSpec& s) { s.resources.gpu_count = -1; }, "resources.gpus"},
      {"too many gpus", [](core::JobSpec& s) { s.resources.gpu_count = 1025; }, "resources.gpus"},
      {"milli over 1000", [](core::JobSpec& s) { s.resources.gpu_milli = 1001; }, "resources.gpus"},
      {"fraction of two",
       [](core::JobSpec& s) {
         s.resources.gpu_count = 2;
         s.resources.gpu_milli = 500;
       },
       "resources.gpus"},
      {"memory with two whole",
       [](core::JobSpec& s) {
         s.resources.gpu_count = 2;
         s.resources.gpu_memory_mib = 1024;
       },
       "resources.gpu_memory_mib"},
      {"negative gpu memory", [](core::JobSpec& s) { s.resources.gpu_memory_mib = -1; },
       "resources.gpu_memory_mib"},
      {"empty slice", [](core::JobSpec& s) { s.resources.gpu_milli = 0; }, "resources.gpus"},
      {"negative cpus", [](core::JobSpec& s) { s.resources.cpu_milli = -1; }, "resources.cpus"},
      {"negative memory", [](core::JobSpec& s) { s.resources.memory_mib = -1; },
       "resources.memory_mib"},
      {"empty model", [](core::JobSpec& s) { s.resources.gpu_models = {""}; },
       "resources.gpu_models"},
  };
  for (const Case& c : cases) {
    core::JobSpec spec = Valid();
    c.mutate(spec);
    Status st = ValidateSpec(spec);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << c.name;
    EXPECT_EQ(st.field(), c.field) << c.name << ": " << st.ToString();
    EXPECT_FALSE(st.message().empty()) << c.name;
  }
}

}  // namespace
}  // namespace fastgpu::control
