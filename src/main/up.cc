#include "main/up.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "agent/agent.h"
#include "agent/gpu_probe.h"
#include "cli/config.h"
#include "main/signals.h"
#include "server/server.h"

namespace fastgpu::main {
namespace {

constexpr const char* kDefaultSimulation = "4xA100-80GB";

std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "local";
  return buf;
}

// The --simulate SPEC to use: the user's, none when NVML finds GPUs, else the default.
std::string ChooseSimulation(const UpOptions& options, std::string* note) {
  if (!options.simulate.empty()) {
    *note = "simulated GPUs (" + options.simulate + ", as asked)";
    return options.simulate;
  }
  std::string why;
  int real = agent::CountNvmlGpus(&why);
  if (real > 0) {
    *note = std::to_string(real) + " GPU(s) found through NVML";
    return "";
  }
  *note = std::string("no GPU found (") + why + "): using 4 simulated GPUs (" +
          kDefaultSimulation + ")";
  return kDefaultSimulation;
}

void PrintWelcome(const std::string& url, const std::string& key_path, const std::string& note) {
  std::printf(
      "fastgpu is up: %s\n"
      "  GPUs:       %s\n"
      "  dashboard:  %s/ (sign in with the admin key)\n"
      "  admin key:  %s\n"
      "  CLI config: %s (the fastgpu CLI needs no flags on this machine)\n"
      "Try, in another shell:\n"
      "  fastgpu run --gpus 1 -- nvidia-smi -L || fastgpu run --gpus 0.5 -- env\n"
      "Press Ctrl-C to stop.\n",
      url.c_str(), note.c_str(), url.c_str(), key_path.c_str(), cli::ClientConfigPath().c_str());
  std::fflush(stdout);
}

}  // namespace

std::string DefaultDataDir() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) {
    return std::string(xdg) + "/fastgpu";
  }
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.local/share/fastgpu";
}

int RunUp(const UpOptions& options) {
  BlockShutdownSignals();
  server::ServerOptions sopts;
  sopts.listen = options.listen;
  sopts.data_dir = options.data_dir.empty() ? DefaultDataDir() : options.data_dir;
  auto server = server::ServerHandle::Start(sopts);
  if (!server.ok()) {
    std::fprintf(stderr, "fastgpu up: %s\n", server.error().ToString().c_str());
    return 1;
  }
  std::string note;
  agent::AgentOptions aopts;
  aopts.server_url = (*server)->url();
  aopts.data_dir = sopts.data_dir + "/agent";
  aopts.name = HostName();
  aopts.simulate = ChooseSimulation(options, &note);
  aopts.join_token = (*server)->join_token();
  auto agent = agent::AgentHandle::Start(aopts);
  if (!agent.ok()) {
    std::fprintf(stderr, "fastgpu up: agent: %s\n", agent.error().ToString().c_str());
    (*server)->Stop();
    return 1;
  }
  std::string key_path = (*server)->admin_key_path();
  Status written = cli::WriteClientConfig((*server)->url(), ReadFirstLine(key_path));
  if (!written.ok()) {
    std::fprintf(stderr, "fastgpu up: warning: %s\n", written.ToString().c_str());
  }
  PrintWelcome((*server)->url(), key_path, note);
  WaitForShutdownSignal();
  std::printf("fastgpu: stopping (running jobs keep running under their supervisors)\n");
  (*agent)->Stop();
  (*server)->Stop();
  return 0;
}

}  // namespace fastgpu::main
