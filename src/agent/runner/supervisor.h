#pragma once
// The supervisor: one small process per attempt that owns the job's process group and records
// how it ended, so that jobs outlive the agent.
//
// RunSupervisor(DIR) is `fastgpu supervise DIR`. The runner starts it with fork+exec, its
// stdout/stderr on DIR/supervisor.log and SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD blocked
// (so no signal can end it before it handles them). It:
//  1. calls setsid() (no terminal, own session: the agent's death does not reach it) and becomes
//     a child subreaper, so that the job's orphaned descendants are its children;
//  2. reads DIR/spec.json (a LaunchSpec); makes the job's private folders (job_dirs.h) and its
//     cgroup with limits and device rules (a node that cannot make one runs the job without,
//     and exit.json's `warning` says why);
//  3. spawns the job (job_child.h): own process group, cgroup, optional private mounts, the
//     job's user, chdir(workdir), stdin /dev/null, stdout and stderr into pipes, execvpe() with
//     exactly the spec's environment. A failed step is reported back through a close-on-exec
//     pipe;
//  4. writes DIR/pid ("PID STARTED_MS": the job's pid, which is its process group id, and
//     the wall clock just before its spawn) atomically;
//  5. copies the pipes into DIR/stdout.log and DIR/stderr.log (capped and rotated, see
//     log_files.h);
//  6. on SIGTERM (a stop: cancel or preemption) sends the spec's stop_signal to the job's
//     group and SIGKILL after kill_grace_ms; at the time limit does the same and notes
//     timed_out; forwards SIGINT and SIGQUIT; ignores SIGHUP;
//  7. when the job's main process ends: SIGKILLs what is left of its process group and of its
//     cgroup, notes an OOM kill, drains the pipes, removes the cgroup and (unless
//     keep_job_dir) the private folders;
//  8. writes DIR/exit.json (an ExitRecord) atomically: exit_code or signal, started_ms,
//     finished_ms, and `error` with exit_code 127 when the job could not be started, e.g.
//     "exec 'nosuchcmd': No such file or directory".
// Returns 0 when exit.json was written, 1 otherwise (unreadable spec: it still tries to write
// an exit.json with the error).

#include <string>

namespace fastgpu::agent {

int RunSupervisor(const std::string& attempt_dir);

}  // namespace fastgpu::agent
