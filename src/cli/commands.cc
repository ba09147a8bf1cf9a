#include "cli/commands.h"

#include <memory>
#include <string>

#include "cli/cmd.h"
#include "cli/cmd_admin.h"
#include "cli/cmd_operate.h"
#include "cli/commands_extra.h"

namespace fastgpu::cli {
namespace {

constexpr const char* kIdHelp = "Job ID";

CLI::App* AddCommand(CLI::App& app, const char* name, const char* help) {
  CLI::App* cmd = app.add_subcommand(name, help);
  cmd->fallthrough();  // --url / --api-key may also come after the command name
  return cmd;
}

void AddRun(CLI::App& app, const std::shared_ptr<GlobalFlags>& globals, int& exit_code) {
  auto flags = std::make_shared<RunFlags>();
  RunOptions& o = flags->options;
  CLI::App* cmd = AddCommand(app, "run", "Run a command on the pool and stream its output");
  cmd->footer(
      "Examples:\n"
      "  fastgpu run --gpus 1 -- python3 train.py --epochs 3\n"
      "  fastgpu run --gpus 0.25 --gpu-memory 10GiB -- python3 infer.py\n"
      "Without --detach the exit status is the job's; Ctrl-C cancels the job.");
  AddJobOptions(cmd, o);
  cmd->add_flag("-d,--detach", flags->detach, "Print the job ID and return at once");
  cmd->add_flag("-v,--verbose", flags->verbose,
                "Print the job's progress on stderr even when it is not a terminal");
  cmd->add_option("command", o.argv, "The command and its arguments, after --")->required();
  cmd->callback([globals, flags, &exit_code] { exit_code = RunCommand(*globals, *flags); });
}

void AddPs(CLI::App& app, const std::shared_ptr<GlobalFlags>& globals, int& exit_code) {
  auto all = std::make_shared<bool>(false);
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = AddCommand(app, "ps", "List active jobs (pending, scheduled, running)");
  cmd->add_flag("-a,--all", *all, "List every job, ended ones too");
  cmd->add_flag("--json", *json, "Print a JSON array of job objects");
  cmd->footer(
      "The table fits the terminal; colors only on a terminal (NO_COLOR=1 turns them off).");
  cmd->callback([=, &exit_code] { exit_code = PsCommand(*globals, *all, *json); });
}

void AddShow(CLI::App& app, const std::shared_ptr<GlobalFlags>& globals, int& exit_code) {
  auto id = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = AddCommand(app, "show", "Show one job: state, reason, node, devices, exit");
  cmd->add_option("ID", *id, kIdHelp)->required();
  cmd->add_flag("--json", *json, "Print the job object as JSON");
  cmd->callback([=, &exit_code] { exit_code = ShowCommand(*globals, *id, *json); });
}

void AddLogs(CLI::App& app, const std::shared_ptr<GlobalFlags>& globals, int& exit_code) {
  auto id = std::make_shared<std::string>();
  auto follow = std::make_shared<bool>(false);
  auto err = std::make_shared<bool>(false);
  CLI::App* cmd = AddCommand(app, "logs", "Print a job's output");
  cmd->add_option("ID", *id, kIdHelp)->required();
  cmd->add_flag("-f,--follow", *follow, "Keep printing new output until the job ends");
  cmd->add_flag("--stderr", *err, "The job's stderr instead of its stdout");
  cmd->callback([=, &exit_code] { exit_code = LogsCommand(*globals, *id, *follow, *err); });
}

void AddCancel(CLI::App& app, const std::shared_ptr<GlobalFlags>& globals, int& exit_code) {
  auto id = std::make_shared<std::string>();
  CLI::App* cmd = AddCommand(app, "cancel", "Cancel a job (SIGTERM, then SIGKILL)");
  cmd->add_option("ID", *id, kIdHelp)->required();
  cmd->callback([=, &exit_code] { exit_code = CancelCommand(*globals, *id); });
}

void AddNodes(CLI::App& app, const std::shared_ptr<GlobalFlags>& globals, int& exit_code) {
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = AddCommand(app, "nodes", "List the nodes of the pool");
  cmd->add_flag("--json", *json, "Print a JSON array of node objects");
  cmd->callback([=, &exit_code] { exit_code = NodesCommand(*globals, *json); });
}

void AddGpus(CLI::App& app, const std::shared_ptr<GlobalFlags>& globals, int& exit_code) {
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = AddCommand(app, "gpus", "List every GPU with its free memory and compute");
  cmd->add_flag("--json", *json, "Print the pool view as JSON");
  cmd->callback([=, &exit_code] { exit_code = GpusCommand(*globals, *json); });
}

}  // namespace

void RegisterClientCommands(CLI::App& app, int& exit_code) {
  auto globals = std::make_shared<GlobalFlags>();
  app.add_option("--url", globals->url, "Server URL (default: $FASTGPU_URL, then the config file)");
  app.add_option("--ca-file", globals->ca_file,
                 "CA file (PEM) that an https server's certificate must chain to (default: "
                 "$FASTGPU_CA_FILE, the config file's ca_file, then the system's CAs)");
  app.add_option("--api-key", globals->api_key,
                 "API key (default: $FASTGPU_API_KEY, then the config file)");
  AddRun(app, globals, exit_code);
  AddPs(app, globals, exit_code);
  AddShow(app, globals, exit_code);
  AddLogs(app, globals, exit_code);
  AddCancel(app, globals, exit_code);
  AddNodes(app, globals, exit_code);
  AddGpus(app, globals, exit_code);
  RegisterMoreCommands(app, globals, exit_code);
  RegisterAdminCommands(app, globals, exit_code);
  RegisterUsageCommands(app, globals, exit_code);
  RegisterOperateCommands(app, globals, exit_code);
  InstallFailureHints(app);
}

}  // namespace fastgpu::cli
