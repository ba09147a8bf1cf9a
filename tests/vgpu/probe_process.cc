#include "probe_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fastgpu::vgpu::test {

ProbeProcess::ProbeProcess(const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env, bool preload) {
  std::vector<std::string> strings = {"LD_LIBRARY_PATH=" FG_FAKE_DRIVER_DIR};
  if (preload) strings.push_back("LD_PRELOAD=" FG_VGPU_LIB);
  for (const auto& [k, v] : env) strings.push_back(k + "=" + v);
  std::vector<std::string> argv_strings = {FG_VGPU_PROBE};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> envp, argv;
  for (auto& s : strings) envp.push_back(s.data());
  for (auto& s : argv_strings) argv.push_back(s.data());
  envp.push_back(nullptr);
  argv.push_back(nullptr);
  int out[2], in[2];
  // O_CLOEXEC: later children must not inherit these ends, or stdin would never see EOF.
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(in, O_CLOEXEC) != 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], 1);
    dup2(in[0], 0);
    close(out[0]);
    close(in[1]);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(out[1]);
  close(in[0]);
  out_ = out[0];
  in_ = in[1];
}

ProbeProcess::~ProbeProcess() {
  if (!reaped_ && pid_ > 0) {
    Kill(SIGKILL);
    Wait();
  }
  if (out_ >= 0) close(out_);
  CloseStdin();
}

std::string ProbeProcess::ReadLine() {
  std::string line;
  char c;
  while (read(out_, &c, 1) == 1) {
    if (c == '\n') return line;
    line += c;
  }
  return line;
}

std::string ProbeProcess::ReadAll() {
  std::string all;
  char buf[4096];
  ssize_t n;
  while ((n = read(out_, buf, sizeof(buf))) > 0) all.append(buf, static_cast<size_t>(n));
  return all;
}

void ProbeProcess::CloseStdin() {
  if (in_ >= 0) close(in_);
  in_ = -1;
}

void ProbeProcess::Kill(int sig) {
  if (pid_ > 0 && !reaped_) kill(pid_, sig);
}

int ProbeProcess::Wait() {
  if (!reaped_ && pid_ > 0) {
    int raw = 0;
    waitpid(pid_, &raw, 0);
    reaped_ = true;
    status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  }
  return status_;
}

std::string RunProbe(const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env, int* status, bool preload) {
  ProbeProcess p(args, env, preload);
  p.CloseStdin();
  std::string out = p.ReadAll();
  int st = p.Wait();
  if (status != nullptr) *status = st;
  return out;
}

}  // namespace fastgpu::vgpu::test
