#pragma once
// ProcessRunner: starts one supervisor process per attempt and tracks the attempts of this node
// through their folders DATA/attempts/<job>-<attempt>/ (see attempt_files.h).
//
// Jobs outlive the agent: a new ProcessRunner on the same data folder re-adopts every attempt
// folder not yet marked acked, as running (the job's pid is alive or its supervisor is) or
// exited (exit.json exists). Supervisors are forked by the launcher, which reaps them; those this
// object exec'd itself (no launcher) are reaped in Poll(). Either way none stays a zombie.
// Destroying the runner leaves every job running.
//
// Safe for concurrent use (one mutex; Poll() does small file reads under it).

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/runner/attempt_files.h"
#include "agent/runner/attempt_key.h"
#include "agent/runner/launcher_client.h"
#include "agent/runner/supervisor_launcher.h"
#include "common/result.h"

namespace fastgpu::agent {

struct RunnerOptions {
  std::string data_dir;  // attempts live in data_dir/attempts/
  // The command that runs a supervisor; the attempt folder is appended. Empty: the current
  // binary's `fastgpu-supervise` beside it, else {readlink("/proc/self/exe"), "supervise"}.
  std::vector<std::string> supervisor_command;
  int64_t kill_grace_ms = 10000;  // SIGTERM -> SIGKILL
  // Supervisors are forked by a resident launcher (supervisor_launcher.h) started with
  // supervisor_command + "--launcher"; where none can be started, each is exec'd. false:
  // always exec'd.
  bool use_launcher = true;
};

enum class AttemptPhase {
  kStarting,  // supervisor started, job pid not written yet
  kRunning,   // job running (pid known)
  kExited,    // ended, or could not be started; `exit` says how
};

struct AttemptStatus {
  AttemptKey key;
  AttemptPhase phase = AttemptPhase::kStarting;
  int pid = 0;             // the job's pid (= its process group id); 0 while unknown
  int64_t started_ms = 0;  // 0 while unknown
  ExitRecord exit;         // meaningful when phase is kExited
  bool stopping = false;   // Signal(SIGTERM/SIGINT/SIGKILL) was called
  std::string dir;         // the attempt folder
};

class ProcessRunner {
 public:
  // Creates data_dir/attempts/ when missing and adopts the attempt folders found there.
  // Returns InvalidArgument (field "data_dir") for an empty data_dir, Internal when the folder
  // cannot be created or read.
  static Result<std::unique_ptr<ProcessRunner>> Create(RunnerOptions options);

  ~ProcessRunner();
  ProcessRunner(const ProcessRunner&) = delete;
  ProcessRunner& operator=(const ProcessRunner&) = delete;

  // Creates the attempt folder (0711), writes spec.json (with kill_grace_ms from the options,
  // and job_dir DIR/job when the spec has none) and starts a supervisor for it. Returns
  // AlreadyExists when the folder exists
  // (an attempt is never started twice, even across agent restarts). Other failures return
  // Internal and also leave the attempt tracked as exited with that error, so it is reported.
  Status Start(const AttemptKey& key, const LaunchSpec& spec);

  // Records an attempt that the agent could not start (`error`, e.g. no user for its tenant):
  // creates its folder with an exit.json saying so, tracked as exited. AlreadyExists as Start.
  Status Fail(const AttemptKey& key, const std::string& error);

  // SIGTERM is a stop: it goes to the attempt's supervisor, which sends the job's stop signal
  // and SIGKILL kill_grace_ms later. Other signals (and SIGTERM when the supervisor is gone)
  // go to the job's process group (or, while its pid is unknown, as soon as it is). SIGTERM
  // and SIGINT also arm the runner's own escalation: SIGKILL to the group once kill_grace_ms
  // (plus a 2 s margin behind the supervisor's) have passed, checked in Poll(); calling it
  // again does not move that deadline. NotFound for an
  // unknown attempt; OK and nothing sent for one that has exited.
  Status Signal(const AttemptKey& key, int sig);

  // Reaps supervisors, escalates overdue stops, reads pid and exit files; returns every tracked
  // attempt, ordered by key.
  std::vector<AttemptStatus> Poll();

  // Stops tracking an exited attempt and marks its folder acked (nothing is deleted).
  // FailedPrecondition when it has not exited; NotFound when unknown.
  Status Forget(const AttemptKey& key);

  // Every attempt tracked now (running or exited, not forgotten).
  std::vector<AttemptKey> Tracked() const;

  std::string AttemptDir(const AttemptKey& key) const;

 private:
  struct Entry;
  explicit ProcessRunner(RunnerOptions options);
  Status Adopt();
  Status SpawnSupervisor(const std::string& dir, int* pid, bool* own_child);
  Status ExecSupervisor(const std::string& dir, int* pid);
  void Refresh(Entry& e);
  void DeliverSignals(Entry& e);

  const RunnerOptions options_;
  const std::string attempts_dir_;
  mutable std::mutex mu_;
  std::map<AttemptKey, std::unique_ptr<Entry>> entries_;  // guarded by mu_
  std::vector<int> unreaped_;  // supervisors of forgotten attempts to reap; guarded by mu_
  std::unique_ptr<LauncherClient> launcher_;  // null: exec each supervisor; guarded by mu_
};

}  // namespace fastgpu::agent
