#include "cli/poll_dir.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace fastgpu::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSubdirs[] = {"to_run", "running", "complete", "fail", "out"};
constexpr int kHeaderLines = 20;

bool Ignored(const std::string& name) {
  auto ends = [&](const char* s) {
    size_t n = std::strlen(s);
    return name.size() >= n && name.compare(name.size() - n, n, s) == 0;
  };
  return name.empty() || name[0] == '.' || ends("~") || ends(".tmp") || ends(".swp");
}

std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::error_code type_ec;
    if (!entry.is_regular_file(type_ec)) continue;
    std::string name = entry.path().filename().string();
    if (!Ignored(name)) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

}  // namespace

std::string PollDir::Path(const char* sub, const std::string& name) const {
  return root_ + "/" + sub + "/" + name;
}

Status PollDir::Prepare() const {
  for (const char* sub : kSubdirs) {
    std::error_code ec;
    fs::create_directories(root_ + "/" + sub, ec);
    if (ec) return Internal("cannot create " + root_ + "/" + sub + ": " + ec.message());
  }
  return Status::Ok();
}

std::vector<std::string> PollDir::Waiting() const { return Names(root_ + "/to_run"); }

std::vector<std::string> PollDir::RunningWithJob() const {
  std::vector<std::string> out;
  for (const std::string& name : Names(root_ + "/running")) {
    if (access(Path("out", name + ".jobid").c_str(), F_OK) == 0) out.push_back(name);
  }
  return out;
}

bool PollDir::Claim(const std::string& name) const {
  // rename(2) is atomic: of several pollers renaming one file, exactly one succeeds.
  return std::rename(Path("to_run", name).c_str(), Path("running", name).c_str()) == 0;
}

void PollDir::Unclaim(const std::string& name) const {
  (void)std::rename(Path("running", name).c_str(), Path("to_run", name).c_str());
}

bool PollDir::Finish(const std::string& name, bool ok) const {
  return std::rename(Path("running", name).c_str(), Path(ok ? "complete" : "fail", name).c_str()) ==
         0;
}

Status PollDir::WriteOut(const std::string& name, const std::string& suffix,
                         const std::string& content) const {
  std::string path = Path("out", name + "." + suffix);
  std::string tmp = path + "." + std::to_string(getpid()) + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out.flush()) return Internal("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Internal("cannot rename " + tmp + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

Result<std::string> PollDir::ReadOut(const std::string& name, const std::string& suffix) const {
  return ReadFile(Path("out", name + "." + suffix));
}

Result<std::string> PollDir::ReadScript(const std::string& name) const {
  return ReadFile(Path("running", name));
}

std::string PollDir::RunningPath(const std::string& name) const {
  std::error_code ec;
  fs::path abs = fs::absolute(Path("running", name), ec);
  return ec ? Path("running", name) : abs.lexically_normal().string();
}

Result<RunOptions> ParseScriptHeader(const std::string& script) {
  static const std::map<std::string, std::string RunOptions::*> kStrings = {
      {"--gpus", &RunOptions::gpus},
      {"--gpu-memory", &RunOptions::gpu_memory},
      {"--cpus", &RunOptions::cpus},
      {"--memory", &RunOptions::memory},
      {"--priority", &RunOptions::priority},
      {"--name", &RunOptions::name},
      {"--max-retries", &RunOptions::max_retries},
      {"--time-limit", &RunOptions::time_limit}};
  RunOptions o;
  std::istringstream in(script);
  std::string line;
  for (int n = 0; n < kHeaderLines && std::getline(in, line); ++n) {
    std::vector<std::string> w = Words(line);
    bool header =
        (w.size() >= 2 && w[0] == "#" && w[1] == "fastgpu:") || (!w.empty() && w[0] == "#fastgpu:");
    if (!header) continue;
    w.erase(w.begin(), w.begin() + (w[0] == "#" ? 2 : 1));
    for (size_t i = 0; i < w.size(); ++i) {
      std::string flag = w[i], value;
      size_t eq = flag.find('=');
      if (eq != std::string::npos) {
        value = flag.substr(eq + 1);
        flag = flag.substr(0, eq);
      } else if (i + 1 < w.size()) {
        value = w[++i];
      } else {
        return InvalidArgument("needs a value in the script's `# fastgpu:` header", flag);
      }
      if (auto it = kStrings.find(flag); it != kStrings.end()) {
        o.*(it->second) = value;
      } else if (flag == "--env") {
        o.env.push_back(value);
      } else if (flag == "--gpu-model") {
        o.gpu_models.push_back(value);
      } else {
        return InvalidArgument(
            "is not a `# fastgpu:` header flag; use --gpus, --gpu-memory, --cpus, --memory, "
            "--priority, --name, --env, --gpu-model, --max-retries or --time-limit",
            flag);
      }
    }
  }
  return o;
}

std::vector<std::string> ScriptArgv(const std::string& script, const std::string& path) {
  std::vector<std::string> argv;
  if (script.rfind("#!", 0) == 0) {
    std::string first = script.substr(2, script.find('\n') - 2);
    argv = Words(first);
  }
  if (argv.empty()) argv = {"/bin/sh"};
  argv.push_back(path);
  return argv;
}

}  // namespace fastgpu::cli
