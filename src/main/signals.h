#pragma once
// Process-wide shutdown signals for the daemons (server, agent, up).

namespace fastgpu::main {

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread; call before any thread starts so
// every thread inherits the mask and only WaitForShutdownSignal() sees them. Also ignores
// SIGPIPE (a client that hangs up must not kill the server).
void BlockShutdownSignals();

// Waits for one of the blocked signals and returns its number.
int WaitForShutdownSignal();

}  // namespace fastgpu::main
