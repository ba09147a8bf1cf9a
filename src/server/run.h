#pragma once
// `fastgpu server` as a blocking call.

#include "server/server.h"

namespace fastgpu::server {

// Blocks SIGINT and SIGTERM in the calling thread (call it before starting any other thread, so
// that every thread inherits the mask), starts a ServerHandle, prints one line with its URL and
// the admin key path, waits for SIGINT/SIGTERM (sigwait), stops the server gracefully and
// returns 0. Returns 1 after printing the error to stderr when the server cannot start.
int RunServer(const ServerOptions& options);

}  // namespace fastgpu::server
