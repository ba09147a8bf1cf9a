#include "agent/mps.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

namespace fastgpu::agent {

std::string FindMpsPipeDirectory(const std::string& configured) {
  std::string dir = configured;
  if (dir.empty()) {
    const char* env = std::getenv("CUDA_MPS_PIPE_DIRECTORY");
    dir = env != nullptr && *env != '\0' ? env : "/tmp/nvidia-mps";
  }
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(dir, ec);
  if (ec) return "";
  struct stat st;
  const std::string control = (abs / "control").string();
  if (::stat(control.c_str(), &st) != 0) return "";
  if (!S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode)) return "";
  std::string out = abs.lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

}  // namespace fastgpu::agent
