// `fastgpu-daemon`: every command, the daemons (server, agent, up, supervise), sim and the client
// commands. The lean `fastgpu` (cli_main.cc) execs it for all but the client commands.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "main/daemon_commands.h"
#include "sim/sim_command.h"

namespace {

// Blanks the value of --join-token in the process's own argv memory, which is what every local
// user (and every job) can read in /proc/PID/cmdline. The parser gets a copy first.
void BlankSecretArguments(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    char* value = nullptr;
    if (std::strcmp(argv[i], "--join-token") == 0 && i + 1 < argc) {
      value = argv[i + 1];
    } else if (std::strncmp(argv[i], "--join-token=", 13) == 0) {
      value = argv[i] + 13;
    }
    if (value != nullptr) std::memset(value, '*', std::strlen(value));
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"fastgpu: a shared, metered GPU pool"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "fastgpu 0.1.0");
  int exit_code = 0;
  fastgpu::main::RegisterDaemonCommands(app, exit_code);
  fastgpu::cli::RegisterClientCommands(app, exit_code);
  fastgpu::sim::RegisterSimCommand(app, exit_code);
  std::vector<std::string> args(argv + 1, argv + argc);
  std::reverse(args.begin(), args.end());  // CLI11 takes a vector in reverse order
  BlankSecretArguments(argc, argv);
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
