// `fastgpu poll DIR`: fast.ai fastgpu's folder workflow on the pool (layout: poll_dir.h).
#include <unistd.h>

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>

#include "cli/cmd.h"
#include "cli/cmd_common.h"
#include "cli/format.h"
#include "cli/interrupt.h"
#include "cli/poll_dir.h"

namespace fastgpu::cli {
namespace {

class Poller {
 public:
  Poller(ApiClient& client, const PollFlags& flags)
      : client_(client), flags_(flags), dir_(flags.dir) {}

  Status Start() {
    FG_RETURN_IF_ERROR(dir_.Prepare());
    for (const std::string& name : dir_.RunningWithJob()) {  // left by a poller that stopped
      Result<std::string> text = dir_.ReadOut(name, "jobid");
      if (!text.ok()) continue;
      Result<int64_t> id = ParseJobId(text->substr(0, text->find('\n')));
      if (id.ok()) jobs_[name] = *id;
    }
    return Status::Ok();
  }

  // One pass: finishes ended jobs, then claims and submits waiting scripts. False when the
  // server cannot be reached (the pass stopped early).
  bool Pass() {
    for (auto it = jobs_.begin(); it != jobs_.end();) {
      Result<Job> job = client_.GetJob(it->second);
      if (!job.ok() && job.error().code() == StatusCode::kUnavailable) return false;
      bool done = !job.ok() || job->Ended();
      if (done && !Collect(it->first, job)) return false;
      it = done ? jobs_.erase(it) : std::next(it);
    }
    for (const std::string& name : dir_.Waiting()) {
      if (flags_.max_running > 0 && static_cast<int>(jobs_.size()) >= flags_.max_running) break;
      if (!dir_.Claim(name)) continue;  // another poller won it
      if (!Submit(name)) return false;
    }
    return true;
  }

  bool Idle() const { return jobs_.empty() && dir_.Waiting().empty(); }

 private:
  void Fail(const std::string& name, const std::string& why, int code) {
    (void)dir_.WriteOut(name, "stdout", "");
    (void)dir_.WriteOut(name, "stderr", "fastgpu poll: " + why + "\n");
    (void)dir_.WriteOut(name, "exitcode", std::to_string(code) + "\n");
    dir_.Finish(name, false);
    std::printf("%s: not submitted: %s -> fail\n", name.c_str(), why.c_str());
    std::fflush(stdout);
  }

  bool Submit(const std::string& name) {
    Result<std::string> script = dir_.ReadScript(name);
    if (!script.ok()) return true;  // vanished: nothing to do
    Result<RunOptions> header = ParseScriptHeader(*script);
    if (!header.ok()) {
      Fail(name, UsageErrorLine(header.error()).substr(7), kExitUsage);
      return true;
    }
    RunOptions o = *header;
    if (o.gpus.empty() && o.gpu_memory.empty()) o.gpus = flags_.gpus;
    if (o.name.empty()) o.name = name;
    o.argv = ScriptArgv(*script, dir_.RunningPath(name));
    Result<std::string> body = BuildSubmitBody(o);
    if (!body.ok()) {
      Fail(name, UsageErrorLine(body.error()).substr(7), kExitUsage);
      return true;
    }
    Result<Job> job = client_.Submit(*body);
    if (!job.ok() && job.error().code() == StatusCode::kUnavailable) {
      dir_.Unclaim(name);  // try again on a later pass
      return false;
    }
    if (!job.ok()) {
      Fail(name, ErrorLine(job.error()).substr(7), 1);
      return true;
    }
    (void)dir_.WriteOut(name, "jobid", std::to_string(job->id) + "\n");
    jobs_[name] = job->id;
    std::printf("%s: submitted as job %" PRId64 "\n", name.c_str(), job->id);
    std::fflush(stdout);
    return true;
  }

  // Writes the outputs of an ended (or vanished) job and moves its script. False when the
  // server cannot be reached for the logs.
  bool Collect(const std::string& name, const Result<Job>& job) {
    std::string out, err;
    int code = 1;
    if (job.ok()) {
      Result<std::string> o = client_.ReadLogs(job->id, LogStream::kStdout, 0);
      Result<std::string> e = client_.ReadLogs(job->id, LogStream::kStderr, 0);
      if (!o.ok() || !e.ok()) return false;
      out = *o;
      err = *e;
      code = ExitCodeForJob(*job);
    } else {
      err = "fastgpu poll: " + ErrorLine(job.error()) + "\n";
    }
    bool ok = job.ok() && job->state == "succeeded";
    (void)dir_.WriteOut(name, "stdout", out);
    (void)dir_.WriteOut(name, "stderr", err);
    (void)dir_.WriteOut(name, "exitcode", std::to_string(code) + "\n");
    if (dir_.Finish(name, ok)) {
      std::printf("%s: %s -> %s\n", name.c_str(), job.ok() ? job->state.c_str() : "lost",
                  ok ? "complete" : "fail");
      std::fflush(stdout);
    }
    return true;
  }

  ApiClient& client_;
  const PollFlags& flags_;
  PollDir dir_;
  std::map<std::string, int64_t> jobs_;  // script name -> job ID, for scripts we run
};

}  // namespace

int PollCommand(const GlobalFlags& globals, const PollFlags& flags) {
  if (!(flags.interval_s >= 0.05 && flags.interval_s <= 3600)) {
    return ReportUsageError(InvalidArgument(
        std::to_string(flags.interval_s) + ": must be between 0.05 and 3600 seconds, e.g. 1",
        "--interval"));
  }
  if (flags.max_running < 0) {
    return ReportUsageError(InvalidArgument(
        std::to_string(flags.max_running) + ": must be 0 (no limit) or more", "--max-running"));
  }
  std::unique_ptr<ApiClient> client = Connect(globals);
  if (client == nullptr) return kExitError;
  Poller poller(*client, flags);
  if (Status s = poller.Start(); !s.ok()) return ReportError(s);
  Result<std::unique_ptr<InterruptWatcher>> watcher = InterruptWatcher::Install();
  const int interval_ms = static_cast<int>(std::lround(flags.interval_s * 1000));
  bool warned = false;
  while (true) {
    bool reached = poller.Pass();
    if (!reached && !warned) {
      std::fprintf(stderr, "fastgpu poll: server unreachable; retrying\n");
    }
    warned = !reached;
    if (flags.exit_when_done && reached && poller.Idle()) return kExitOk;
    if (!watcher.ok()) {
      usleep(static_cast<useconds_t>(interval_ms) * 1000);
    } else if ((*watcher)->Wait(interval_ms) == InterruptWatcher::Event::kInterrupted) {
      std::fprintf(stderr,
                   "fastgpu poll: stopped; jobs keep running, and `fastgpu poll %s` picks "
                   "them up again\n",
                   flags.dir.c_str());
      return kExitOk;
    }
  }
}

}  // namespace fastgpu::cli
