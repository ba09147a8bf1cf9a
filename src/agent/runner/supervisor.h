#pragma once
// The supervisor: one small process per attempt that owns the job's process group and records
// how it ended, so that jobs outlive the agent.
//
// RunSupervisor(DIR) is `fastgpu supervise DIR`. The runner starts it with fork+exec and its
// stdout/stderr on DIR/supervisor.log. It:
//  1. calls setsid() (no terminal, own session: the agent's death does not reach it) and becomes
//     a child subreaper, so that the job's orphaned descendants are its children;
//  2. reads DIR/spec.json (a LaunchSpec);
//  3. forks the job: the child calls setpgid(0,0), chdir(workdir), takes stdin from /dev/null,
//     stdout from DIR/stdout.log, stderr from DIR/stderr.log, and execvpe()s argv with exactly
//     the spec's environment (argv[0] looked up in the spec's PATH; no shell). A failed chdir or
//     exec is reported back through a close-on-exec pipe;
//  4. writes DIR/pid (the job's pid, which is its process group id) atomically;
//  5. forwards SIGTERM, SIGINT and SIGQUIT it receives to the job's process group; ignores
//     SIGHUP;
//  6. waits for the job; when it ends, SIGKILLs what is left of its process group and reaps it;
//  7. writes DIR/exit.json (an ExitRecord) atomically: exit_code or signal, started_ms,
//     finished_ms, and `error` with exit_code 127 when the job could not be started, e.g.
//     "exec 'nosuchcmd': No such file or directory".
// Returns 0 when exit.json was written, 1 otherwise (unreadable spec: it still tries to write
// an exit.json with the error).

#include <string>

namespace fastgpu::agent {

int RunSupervisor(const std::string& attempt_dir);

}  // namespace fastgpu::agent
