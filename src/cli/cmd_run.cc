// `fastgpu run`: submit a job, then stream its output and exit with its exit status.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "cli/cmd.h"
#include "cli/cmd_common.h"
#include "cli/follow.h"
#include "cli/format.h"
#include "cli/interrupt.h"

namespace fastgpu::cli {
namespace {

constexpr int kStatusPollMs = 1000;
constexpr int kMaxEndPolls = 600;  // x 500 ms: how long to wait for the end after the logs
constexpr std::chrono::milliseconds kEndPollDelay{500};

// Prints "job 12 pending: ..." lines to stderr when the job's state or reason changes.
// Safe for concurrent use.
class StatusLines {
 public:
  StatusLines(int64_t id, bool enabled) : id_(id), enabled_(enabled) {}

  void Update(const Job& job) {
    if (!enabled_ || job.Ended()) return;
    std::string line = "job " + std::to_string(id_) + " " + job.state;
    if (job.state == "pending") {
      if (!job.reason.empty()) line += ": " + job.reason;
      if (job.queue_position > 0) {
        line += " (queue position " + std::to_string(job.queue_position) + ")";
      }
    } else if (!job.node.empty()) {
      line += " on " + job.node;
      std::string gpus;
      for (const JobDevice& d : job.devices) {
        gpus += (gpus.empty() ? "" : ",") + std::to_string(d.index);
      }
      if (!gpus.empty()) line += " (GPU " + gpus + ")";
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (line == last_) return;
    last_ = line;
    std::fprintf(stderr, "%s\n", line.c_str());
  }

 private:
  const int64_t id_;
  const bool enabled_;
  std::mutex mu_;
  std::string last_;
};

// Runs on its own thread until woken: cancels the job on the first Ctrl-C, and while verbose
// polls the job to print its progress until it runs.
void WatchJob(ApiClient& client, int64_t id, InterruptWatcher& watcher, StatusLines& lines,
              bool poll) {
  bool cancel_sent = false;
  while (true) {
    InterruptWatcher::Event event = watcher.Wait(poll ? kStatusPollMs : -1);
    if (event == InterruptWatcher::Event::kWoken) return;
    if (event == InterruptWatcher::Event::kInterrupted && !cancel_sent) {
      cancel_sent = true;
      std::fprintf(stderr,
                   "fastgpu: cancelling job %" PRId64
                   "; waiting for it to stop (Ctrl-C again to stop waiting)\n",
                   id);
      Result<Job> job = client.Cancel(id);
      if (!job.ok() && job.error().code() != StatusCode::kFailedPrecondition) {
        std::fprintf(stderr, "fastgpu: cancel failed: %s\n", ErrorLine(job.error()).c_str());
      }
      continue;
    }
    if (event == InterruptWatcher::Event::kTimeout && poll) {
      Result<Job> job = client.GetJob(id);
      if (!job.ok()) continue;
      lines.Update(*job);
      if (job->state != "pending" && job->state != "scheduled") poll = false;
    }
  }
}

// The job once it has ended: the logs are complete only then, but the state may lag a little.
Result<Job> WaitForEnd(ApiClient& client, int64_t id) {
  Status last = Unavailable("job did not end");
  for (int i = 0; i < kMaxEndPolls; ++i) {
    Result<Job> job = client.GetJob(id);
    if (job.ok() && job->Ended()) return job;
    if (!job.ok()) {
      if (job.error().code() != StatusCode::kUnavailable) return job.error();
      last = job.error();
    }
    std::this_thread::sleep_for(kEndPollDelay);
  }
  return last;
}

int Attach(ApiClient& client, const Job& submitted, bool verbose) {
  const int64_t id = submitted.id;
  StatusLines lines(id, verbose);
  lines.Update(submitted);

  Result<std::unique_ptr<InterruptWatcher>> watcher = InterruptWatcher::Install();
  std::thread watch_thread;
  if (watcher.ok()) {
    bool poll = verbose && (submitted.state == "pending" || submitted.state == "scheduled");
    watch_thread = std::thread(
        [&client, id, &lines, poll, w = watcher->get()] { WatchJob(client, id, *w, lines, poll); });
  }
  Status out_status;
  Status err_status;
  std::thread out_thread(
      [&] { out_status = CopyLogToEnd(client, id, LogStream::kStdout, 0, stdout); });
  std::thread err_thread(
      [&] { err_status = CopyLogToEnd(client, id, LogStream::kStderr, 0, stderr); });
  out_thread.join();
  err_thread.join();
  if (watcher.ok()) {
    (*watcher)->Wake();
    watch_thread.join();
  }
  if (!out_status.ok()) return ReportError(out_status);
  if (!err_status.ok()) return ReportError(err_status);

  Result<Job> job = WaitForEnd(client, id);
  if (!job.ok()) return ReportError(job.error());
  int code = ExitCodeForJob(*job);
  if (code != 0 && (verbose || code == 127)) {
    std::string why = job->reason.empty() ? "exit status " + std::to_string(code) : job->reason;
    std::fprintf(stderr, "fastgpu: job %" PRId64 " %s: %s\n", id, job->state.c_str(), why.c_str());
  }
  return code;
}

}  // namespace

int RunCommand(const GlobalFlags& globals, const RunFlags& flags) {
  if (!flags.options.array.empty() && !flags.detach) {
    return ReportUsageError(InvalidArgument(
        "an array is many jobs, whose output run cannot stream: add --detach, or use fastgpu "
        "submit --array",
        "--array"));
  }
  Result<std::string> body = BuildSubmitBody(flags.options);
  if (!body.ok()) return ReportUsageError(body.error());
  std::unique_ptr<ApiClient> client = Connect(globals);
  if (client == nullptr) return kExitError;
  Result<Job> job = client->Submit(*body);
  if (!job.ok()) return ReportSubmitError(job.error());
  if (flags.detach) {
    std::printf("%" PRId64 "\n", job->id);
    return kExitOk;
  }
  return Attach(*client, *job, flags.verbose || isatty(STDERR_FILENO) == 1);
}

}  // namespace fastgpu::cli
