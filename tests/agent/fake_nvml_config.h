#pragma once
// FakeNvmlConfig: points the fake NVML (fake_nvml.c, loaded in this test process) at a
// configuration file of the current test, and lets the test change it while NVML is in use.

#include <stdlib.h>

#include <fstream>
#include <string>

#include "fakes/temp_dir.h"

namespace fastgpu::agent {

class FakeNvmlConfig {
 public:
  explicit FakeNvmlConfig(const std::string& text) : path_(dir_.File("nvml.conf")) {
    Write(text);
    setenv("FAKE_NVML_CONFIG", path_.c_str(), 1);
  }
  ~FakeNvmlConfig() { unsetenv("FAKE_NVML_CONFIG"); }
  FakeNvmlConfig(const FakeNvmlConfig&) = delete;
  FakeNvmlConfig& operator=(const FakeNvmlConfig&) = delete;

  void Write(const std::string& text) { std::ofstream(path_, std::ios::trunc) << text; }
  void Append(const std::string& line) { std::ofstream(path_, std::ios::app) << line << "\n"; }
  const std::string& dir() const { return dir_.path(); }

 private:
  test::TempDir dir_;
  std::string path_;
};

}  // namespace fastgpu::agent
