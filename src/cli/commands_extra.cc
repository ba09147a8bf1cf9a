#include "cli/commands_extra.h"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <string>

#include "cli/cmd_common.h"
#include "cli/completion.h"

namespace fastgpu::cli {
namespace {

CLI::App* AddCommand(CLI::App& app, const char* name, const char* help) {
  CLI::App* cmd = app.add_subcommand(name, help);
  cmd->fallthrough();
  return cmd;
}

void AddSubmit(CLI::App& app, const std::shared_ptr<GlobalFlags>& globals, int& exit_code) {
  auto flags = std::make_shared<SubmitFlags>();
  CLI::App* cmd =
      AddCommand(app, "submit", "Submit a job from a YAML spec (or flags); print its ID");
  cmd->footer(
      "Example job.yaml:\n"
      "  name: train\n"
      "  command: python3 train.py --epochs 3   # or a list: [python3, train.py]\n"
      "  env: {WANDB_MODE: offline}\n"
      "  resources: {gpus: 0.5, gpu_memory: 10GiB, cpus: 2, memory: 16GiB}\n"
      "  priority: 10\n"
      "  retries: 2\n"
      "  time_limit: 2h\n"
      "  array: 0-99%8        # optional: one job per index, at most 8 at once\n"
      "  after: [ok:12]       # optional: start after job 12 succeeded (any:12: after it ended)\n"
      "Flags given with -f override the file's values.");
  cmd->add_option("-f,--file", flags->file, "YAML job spec ('-' reads stdin)");
  AddJobOptions(cmd, flags->options);
  cmd->add_flag("--json", flags->json, "Print the job object instead of its ID");
  cmd->add_option("command", flags->options.argv, "The command, after -- (instead of the file's)");
  cmd->callback([globals, flags, &exit_code] { exit_code = SubmitCommand(*globals, *flags); });
}

void AddWhy(CLI::App& app, const std::shared_ptr<GlobalFlags>& globals, int& exit_code) {
  auto id = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd =
      AddCommand(app, "why", "Why a job is not running: reason, position, what would start it");
  cmd->add_option("ID", *id, "Job ID")->required();
  cmd->add_flag("--json", *json, "Print the answer as JSON");
  cmd->callback([=, &exit_code] { exit_code = WhyCommand(*globals, *id, *json); });
}

void AddTop(CLI::App& app, const std::shared_ptr<GlobalFlags>& globals, int& exit_code) {
  auto flags = std::make_shared<TopFlags>();
  CLI::App* cmd = AddCommand(app, "top", "Live view of the pool and the queue (q quits)");
  cmd->add_option("-n,--interval", flags->interval_s, "Seconds between refreshes (default 2)");
  cmd->add_flag("--once", flags->once, "Print one screen and exit");
  cmd->callback([=, &exit_code] { exit_code = TopCommand(*globals, *flags); });
}

void AddPoll(CLI::App& app, const std::shared_ptr<GlobalFlags>& globals, int& exit_code) {
  auto flags = std::make_shared<PollFlags>();
  CLI::App* cmd =
      AddCommand(app, "poll", "Run the scripts dropped in DIR/to_run (fast.ai fastgpu)");
  cmd->footer(
      "Scripts in DIR/to_run move to DIR/running, then DIR/complete or DIR/fail; output goes\n"
      "to DIR/out/NAME.stdout, .stderr and .exitcode. A header comment sets resources:\n"
      "  # fastgpu: --gpus 0.5 --gpu-memory 10GiB\n"
      "Several pollers may watch one folder: each script runs exactly once.");
  cmd->add_option("DIR", flags->dir, "The folder")->required();
  cmd->add_option("--gpus", flags->gpus, "GPUs per script without a header (default 1)");
  cmd->add_option("--max-running", flags->max_running,
                  "At most this many of this poller's scripts at once (0: no limit)");
  cmd->add_option("--interval", flags->interval_s, "Seconds between scans (default 1)");
  cmd->add_flag("--exit-when-done", flags->exit_when_done,
                "Exit once to_run is empty and every script of this poller has ended");
  cmd->callback([=, &exit_code] { exit_code = PollCommand(*globals, *flags); });
}

CompletionSpec SpecOf(const CLI::App& app) {
  CompletionSpec spec;
  auto names = [](const CLI::Option* opt, std::vector<std::string>& out) {
    for (const std::string& l : opt->get_lnames()) out.push_back("--" + l);
    for (const std::string& s : opt->get_snames()) out.push_back("-" + s);
  };
  for (const CLI::Option* opt : app.get_options()) names(opt, spec.global_flags);
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    CompletionCommand c{sub->get_name(), sub->get_description(), {}};
    for (const CLI::Option* opt : sub->get_options()) names(opt, c.flags);
    spec.commands.push_back(std::move(c));
  }
  return spec;
}

void AddCompletion(CLI::App& app, int& exit_code) {
  auto shell = std::make_shared<std::string>();
  CLI::App* cmd = AddCommand(app, "completion", "Print a shell completion script (bash or zsh)");
  cmd->footer(
      "bash: source <(fastgpu completion bash)    (or save it in "
      "/etc/bash_completion.d/fastgpu)\n"
      "zsh:  source <(fastgpu completion zsh)     (or save it as _fastgpu in $fpath)");
  cmd->add_option("SHELL", *shell, "bash or zsh")->required();
  cmd->callback([&app, shell, &exit_code] {
    if (*shell == "bash") {
      std::fputs(BashCompletion(SpecOf(app)).c_str(), stdout);
    } else if (*shell == "zsh") {
      std::fputs(ZshCompletion(SpecOf(app)).c_str(), stdout);
    } else {
      exit_code = ReportUsageError(
          InvalidArgument("unknown shell '" + *shell + "'; use bash or zsh", "SHELL"));
      return;
    }
    exit_code = kExitOk;
  });
}

}  // namespace

void AddJobOptions(CLI::App* cmd, RunOptions& o) {
  cmd->add_option("--gpus", o.gpus, "GPUs: a whole count (2) or a fraction of one GPU (0.25)");
  cmd->add_option("--gpu-memory", o.gpu_memory, "GPU memory per device, e.g. 10GiB");
  // One value per occurrence, so that `--env A=1 cmd` does not swallow the command.
  cmd->add_option("--gpu-model", o.gpu_models, "Acceptable GPU model (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--cpus", o.cpus, "CPU cores, e.g. 2 or 0.5");
  cmd->add_option("--memory", o.memory, "Host memory, e.g. 16GiB");
  cmd->add_option("--nodes", o.nodes,
                  "Run on N nodes at once (a multi-node job): the other resources are per node");
  cmd->add_option("--priority", o.priority, "Priority, -1000..1000 (higher first)");
  cmd->add_option("--name", o.name, "Job name (default: the command's name)");
  cmd->add_option("--env", o.env, "Environment variable NAME=VALUE (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--workdir", o.workdir, "Working folder of the job on its node");
  cmd->add_option("--max-retries", o.max_retries, "Retries after a node loss, 0..100");
  cmd->add_option("--time-limit", o.time_limit, "Time limit in seconds (0: none)");
  cmd->add_option("--stop-signal", o.stop_signal,
                  "Signal a stop sends before SIGKILL (default SIGTERM), e.g. SIGUSR1");
  cmd->add_flag("--keep-outputs", o.keep_outputs,
                "Keep the job's private folders on its node after it ends");
  cmd->add_option("--array", o.array,
                  "A job array: one job per index, e.g. 0-99%8 (at most 8 at once); each has "
                  "FASTGPU_ARRAY_INDEX");
  cmd->add_option("--after", o.after,
                  "Start only after other jobs: ok:ID (it succeeded) or any:ID (it ended), "
                  "e.g. ok:12,13 (repeatable); an array's ID means all its tasks")
      ->allow_extra_args(false);
}

std::string NearestFlag(const std::string& typed, const std::vector<std::string>& known) {
  auto distance = [](const std::string& a, const std::string& b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      size_t diag = row[0];
      row[0] = i;
      for (size_t j = 1; j <= b.size(); ++j) {
        size_t up = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
        diag = up;
      }
    }
    return row[b.size()];
  };
  std::string flag = typed.substr(0, typed.find('='));
  std::string best;
  size_t best_d = 3;
  for (const std::string& k : known) {
    size_t d = distance(flag, k);
    bool prefix = flag.size() >= 4 && (k.rfind(flag, 0) == 0 || flag.rfind(k, 0) == 0);
    if (prefix) d = std::min<size_t>(d, 1);
    if (d < best_d) {
      best_d = d;
      best = k;
    }
  }
  return best;
}

void InstallFailureHints(CLI::App& app) {
  app.failure_message([](const CLI::App* root, const CLI::Error& e) {
    std::string out = std::string("error: ") + e.what() + "\n";
    const CLI::App* cmd = nullptr;
    for (const CLI::App* sub : root->get_subcommands()) cmd = sub;
    std::vector<std::string> known;
    for (const CLI::App* a : {root, cmd}) {
      if (a == nullptr) continue;
      for (const CLI::Option* opt : a->get_options()) {
        for (const std::string& l : opt->get_lnames()) known.push_back("--" + l);
      }
    }
    std::string what = e.what();
    size_t colon = what.find(": ");
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr && colon != std::string::npos) {
      std::istringstream words(what.substr(colon + 2));
      std::string word;
      while (words >> word) {
        if (word.size() < 2 || word[0] != '-') continue;
        std::string near = NearestFlag(word, known);
        if (!near.empty()) out += "did you mean " + near + " instead of " + word + "?\n";
      }
    }
    std::string name = cmd == nullptr ? "" : " " + cmd->get_name();
    out += "run `fastgpu" + name + " --help` for the flags and examples\n";
    return out;
  });
}

void RegisterMoreCommands(CLI::App& app, const std::shared_ptr<GlobalFlags>& globals,
                          int& exit_code) {
  AddSubmit(app, globals, exit_code);
  AddWhy(app, globals, exit_code);
  AddTop(app, globals, exit_code);
  AddPoll(app, globals, exit_code);
  AddCompletion(app, exit_code);
}

}  // namespace fastgpu::cli
