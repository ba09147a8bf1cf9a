#pragma once
// ProbeProcess: runs vgpu_probe as a child with exactly the environment a job gets from the
// agent (LD_PRELOAD=libfastgpu-vgpu.so, the FASTGPU_VGPU_* variables) plus LD_LIBRARY_PATH
// pointing at the fake driver. Reads its stdout line by line; can close its stdin and kill it.

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace fastgpu::vgpu::test {

class ProbeProcess {
 public:
  // Starts `vgpu_probe args...`. `preload` false: no LD_PRELOAD (the pass-through baseline).
  ProbeProcess(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
               bool preload = true);
  ~ProbeProcess();  // SIGKILLs and reaps the child if still running
  ProbeProcess(const ProbeProcess&) = delete;
  ProbeProcess& operator=(const ProbeProcess&) = delete;

  std::string ReadLine();  // "" at EOF
  std::string ReadAll();   // the rest of stdout
  void CloseStdin();
  void Kill(int sig);
  int Wait();  // exit status (128+signal when killed)
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  int in_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

// Runs a probe to its end; returns its stdout (exit status in *status when given).
std::string RunProbe(const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env, int* status = nullptr,
                     bool preload = true);

}  // namespace fastgpu::vgpu::test
