#pragma once
// The files of one attempt folder (DATA/attempts/<job>-<attempt>/), shared by the runner (in
// the agent) and the supervisor (its own process):
//   spec.json       LaunchSpec, written by the runner before the supervisor starts
//   supervisor.pid  the supervisor's pid, written by the runner
//   pid             "PID STARTED_MS": the job's pid (= its process group id) and the wall
//                   clock just before its fork, written by the supervisor
//   stdout.log      the job's stdout; stderr.log its stderr
//   exit.json       ExitRecord, written by the supervisor when the job has ended
//   acked           marker: the server has committed the end; the agent forgets it (it is
//                   supervisor.pid renamed, so it may hold the supervisor's old pid)
// Every file that a reader may see half-written is written atomically (tmp, rename), and none
// is fsynced: they matter while the jobs they describe can still run, across a restart of the
// agent (the page cache keeps them), not across a restart of the machine (which ends those
// jobs). What a user was told is durable on the server: a job's end counts once the server has
// committed the agent's report of it. The one window this leaves: a job ends, and the machine
// loses power before the server has committed the agent's report; exit.json may then be gone
// after the reboot, and the agent reports the attempt as ended with no exit code and the error
// "the supervisor ended without recording the job's end" (a failure, never a success that did
// not happen). An fsync of exit.json cost 2-9 ms at the end of every job on this machine.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace fastgpu::agent {

inline constexpr const char* kSpecFile = "spec.json";
inline constexpr const char* kSupervisorPidFile = "supervisor.pid";
inline constexpr const char* kPidFile = "pid";
inline constexpr const char* kStdoutFile = "stdout.log";
inline constexpr const char* kStderrFile = "stderr.log";
inline constexpr const char* kExitFile = "exit.json";
inline constexpr const char* kAckedFile = "acked";

// What the supervisor runs: argv[0] looked up in the PATH of `env`, with exactly `env` as the
// environment, in `workdir`. No shell.
struct LaunchSpec {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  std::string workdir;  // empty: job_dir/work
  // The attempt's cgroup, relative to the agent's own ("fastgpu/12-1"); empty: none. Limits of
  // 0 mean unlimited. deny_devices ("c 195:0") are device numbers the job may not open,
  // enforced through device_backend ("auto", "cgroup-v1-devices", "bpf", "none").
  std::string cgroup;
  int32_t cpu_milli = 0;
  int64_t memory_mib = 0;
  std::vector<std::string> deny_devices;
  std::string device_backend = "auto";
  // The job's user and group; -1 keeps the supervisor's own (the agent's). With a uid the
  // supplementary groups are dropped.
  int64_t uid = -1;
  int64_t gid = -1;
  // The job's private folder (mode 0700, owned by uid:gid) with work/ and tmp/ in it, made
  // before the job starts and removed when it ends unless keep_job_dir. Empty: none.
  std::string job_dir;
  bool keep_job_dir = false;
  // Where emptied job folders wait for the next job of the same user (job_dirs.h); empty: they
  // are deleted.
  std::string spare_dir;
  // Made (0700, uid:gid) when missing; kept across attempts; never removed by the supervisor.
  std::string checkpoint_dir;
  // A mount namespace of its own: /tmp is job_dir/tmp, /dev/shm a fresh tmpfs, /proc shows
  // only the job user's processes (hidepid). The job's workdir and checkpoint_dir stay
  // visible at their paths even when they lie under /tmp.
  bool private_tmp = false;
  // More folders that stay visible at their paths inside a private /tmp when they lie under it
  // (an MPS control daemon's pipe folder); a missing one is skipped.
  std::vector<std::string> visible_paths;
  // With private_tmp: a folder the job sees as an empty tmpfs (the agent's data folder, or its
  // highest ancestor that other users may not enter), with the job's own folders bound back.
  std::string cover_dir;
  int64_t time_limit_ms = 0;      // 0: none; then stop_signal, SIGKILL after kill_grace_ms
  int32_t stop_signal = 15;       // what a stop (cancel, preemption, time limit) sends first
  int64_t kill_grace_ms = 10000;  // stop_signal -> SIGKILL
  int64_t log_max_bytes = 0;      // per stream kept on the node (see log_files.h); 0: no cap
  bool operator==(const LaunchSpec&) const = default;
};

// How a job ended. Exactly one of exit_code / signal is set when the process ran; `error` is
// non-empty when it could not be started (exit_code is then 127) or its end is unknown.
struct ExitRecord {
  std::optional<int32_t> exit_code;
  std::optional<int32_t> signal;
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
  std::string error;
  bool oom_killed = false;  // the kernel's OOM killer killed a process of the job's cgroup
  bool timed_out = false;   // stopped because it reached its time limit
  std::string warning;      // e.g. the job ran without its cgroup, and why
  bool operator==(const ExitRecord&) const = default;
};

std::string EncodeLaunchSpec(const LaunchSpec& spec);
// InvalidArgument (field "spec.json") for bad JSON or a missing/ill-typed argv, env, workdir.
Result<LaunchSpec> DecodeLaunchSpec(std::string_view text);

std::string EncodeExitRecord(const ExitRecord& record);
// InvalidArgument (field "exit.json") for bad JSON or ill-typed fields.
Result<ExitRecord> DecodeExitRecord(std::string_view text);

// How WriteFileAtomic leaves the file: kDurable survives a power loss (fsyncs the file and
// its folder, about 0.5 ms and a disk flush each); kAtomic only survives the crash of a process.
enum class Durability { kDurable, kAtomic };

// Writes `content` to `path` (mode `mode`, 0600 by default: attempt files are the agent's) so
// that readers see the old file or the whole new one: writes path.tmp, renames it over `path`;
// kDurable also fsyncs path.tmp before the rename and the folder after it. Internal with
// errno text.
Status WriteFileAtomic(const std::string& path, std::string_view content, int mode = 0600,
                       Durability durability = Durability::kDurable);

// The whole file. NotFound when it does not exist, Internal for other errors.
Result<std::string> ReadWholeFile(const std::string& path);

// Wall-clock milliseconds since the Unix epoch.
int64_t WallMs();

}  // namespace fastgpu::agent
