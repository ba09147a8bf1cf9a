#include "server/run.h"

#include <pthread.h>
#include <signal.h>

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
  std::printf("fastgpu server listening on %s (dashboard at %s/, admin key in %s)\n",
              (*server)->url().c_str(), (*server)->url().c_str(),
              (*server)->admin_key_path().c_str());
  std::fflush(stdout);
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  std::fprintf(stderr, "fastgpu server: signal %d, stopping\n", signal_number);
  (*server)->Stop();
  return 0;
}

}  // namespace fastgpu::server
