// `fastgpu-sim sim fill|replay ...`: the same commands as `fastgpu sim ...` in a small binary
// that builds without the server and agent (used by bench/sim_fgd.sh).
#include <CLI/CLI.hpp>

#include "sim/sim_command.h"

int main(int argc, char** argv) {
  CLI::App app{"fastgpu-sim: replay GPU traces through the scheduler core"};
  app.require_subcommand(1);
  int exit_code = 0;
  fastgpu::sim::RegisterSimCommand(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
