#include "server/run.h"

#include <pthread.h>
#include <signal.h>

#include <spdlog/spdlog.h>

#include <cstdio>

namespace fastgpu::server {

int RunServer(const ServerOptions& options) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not kill the server

  Result<std::unique_ptr<ServerHandle>> server = ServerHandle::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "fastgpu server: %s\n", server.error().ToString().c_str());
    return 1;
  }
  // Through the logger, so that with --log-format json every line of stdout is JSON.
  spdlog::info("fastgpu server listening on {} (dashboard at {}/, admin key in {})",
               (*server)->url(), (*server)->url(), (*server)->admin_key_path());
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("fastgpu server: signal {}, stopping: finishing the requests in flight and "
               "committing what was accepted", signal_number);
  (*server)->Stop();
  spdlog::info("fastgpu server: stopped");
  return 0;
}

}  // namespace fastgpu::server
