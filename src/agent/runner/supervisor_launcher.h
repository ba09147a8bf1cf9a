#pragma once
// The supervisor launcher: one long-lived, single-threaded process per agent that forks a
// supervisor (supervisor.h) for each attempt, so that an attempt costs a fork of a small
// process instead of an exec of the supervisor binary (the exec and the C library's start-up
// were a third of each supervisor's CPU).
//
// RunLauncher() is `fastgpu-supervise --launcher`. Its standard input is a SOCK_SEQPACKET
// socket to the agent; each request is one packet holding an attempt folder's path, and each
// answer one packet: the supervisor's pid in decimal, or "error: TEXT". The forked supervisor
// starts as the exec'd one does: stdin /dev/null, stdout and stderr on DIR/supervisor.log,
// SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD blocked, default dispositions, no other descriptor
// of the launcher's, PATH the only variable; and its working folder is DIR, which is how a
// restarted agent tells it from a process that took its pid (its command line is the
// launcher's).
//
// The launcher reaps its supervisors as they end. It exits when the agent closes the socket
// (the agent ended); running supervisors then live on, as exec'd ones do, re-parented.

namespace fastgpu::agent {

inline constexpr const char* kLauncherFlag = "--launcher";

// Serves requests on standard input until it is closed; returns the exit status.
int RunLauncher();

}  // namespace fastgpu::agent
