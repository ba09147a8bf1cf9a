// `fastgpu`: the client commands (run, submit, ps, show, logs, ...) in a lean binary that links
// no server, agent or HTTP library, because every CLI command is a process of its own. The
// other commands (server, agent, up, sim, supervise) are `fastgpu-daemon`'s: this binary execs
// the one beside it with the same arguments, so the process keeps its pid and command line.
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "common/self_exe.h"

namespace {

struct DaemonCommand {
  const char* name;
  const char* help;  // "" hides it from --help
};

// The same names and words as fastgpu-daemon's own (daemon_commands.cc, sim_command.cc).
constexpr DaemonCommand kDaemonCommands[] = {
    {"server", "Run the control plane (REST API, scheduler)"},
    {"agent", "Run the node agent of this GPU server"},
    {"up", "Run a one-node pool: server and agent in one process"},
    {"sim", "Replay GPU traces through the scheduler core"},
    {"supervise", ""},  // started by the agent
};

bool IsDaemonCommand(std::string_view arg) {
  return std::any_of(std::begin(kDaemonCommands), std::end(kDaemonCommands),
                     [&](const DaemonCommand& c) { return arg == c.name; });
}

// fastgpu-daemon in this binary's folder, else the first on PATH.
[[noreturn]] void ExecDaemon(char** argv) {
  const std::string self = fastgpu::SelfExecutable();
  std::string beside = "fastgpu-daemon";
  if (!self.empty()) {
    beside = self.substr(0, self.rfind('/') + 1) + "fastgpu-daemon";
    ::execv(beside.c_str(), argv);
  }
  ::execvp("fastgpu-daemon", argv);
  std::fprintf(stderr, "fastgpu: cannot run %s: %s\n", beside.c_str(), std::strerror(errno));
  std::exit(127);
}

// Lists the daemon commands in --help; reached only when options come before the command
// (`fastgpu --url U server ...`): it hands the whole command line over too.
void RegisterDaemonPlaceholders(CLI::App& app, char** argv) {
  for (const DaemonCommand& c : kDaemonCommands) {
    CLI::App* cmd = app.add_subcommand(c.name, c.help);
    if (*c.help == '\0') cmd->group("");
    cmd->set_help_flag();  // its --help is the daemon's
    cmd->prefix_command();
    cmd->allow_extras();
    cmd->callback([argv] { ExecDaemon(argv); });
  }
}

}  // namespace

int main(int argc, char** argv) {
  // `completion` too: fastgpu-daemon's app knows the flags of every command, its own included.
  if (argc >= 2 && (IsDaemonCommand(argv[1]) || std::string_view(argv[1]) == "completion")) {
    ExecDaemon(argv);
  }
  CLI::App app{"fastgpu: a shared, metered GPU pool"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "fastgpu 0.1.0");
  int exit_code = 0;
  RegisterDaemonPlaceholders(app, argv);
  fastgpu::cli::RegisterClientCommands(app, exit_code);
  std::vector<std::string> args(argv + 1, argv + argc);
  std::reverse(args.begin(), args.end());  // CLI11 takes a vector in reverse order
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
