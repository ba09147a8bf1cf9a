// The single `fastgpu` binary: daemons (server, agent, up, supervise) and client commands.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "main/daemon_commands.h"
#include "sim/sim_command.h"

int main(int argc, char** argv) {
  CLI::App app{"fastgpu: a shared, metered GPU pool"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "fastgpu 0.1.0");
  int exit_code = 0;
  fastgpu::main::RegisterDaemonCommands(app, exit_code);
  fastgpu::cli::RegisterClientCommands(app, exit_code);
  fastgpu::sim::RegisterSimCommand(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
