#include "sim/sim_command.h"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sim/fill.h"
#include "sim/fill_report.h"
#include "sim/trace.h"

namespace fastgpu::sim {
namespace {

struct FillOptions {
  std::string nodes;
  std::string pods;
  std::string policies = "random,bestfit,pack,fgd,fgd+";
  std::string seeds = "42-51";
  double inflate = 1.3;
  std::string out;
  int threads = 0;
};

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t comma = s.find(',', start);
    const size_t end = comma == std::string::npos ? s.size() : comma;
    if (end > start) out.push_back(s.substr(start, end - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// "42-51" or "1,5,9" or "7".
Result<std::vector<uint64_t>> ParseSeeds(const std::string& text) {
  std::vector<uint64_t> seeds;
  for (const std::string& part : SplitComma(text)) {
    const size_t dash = part.find('-');
    char* end = nullptr;
    const uint64_t lo = std::strtoull(part.c_str(), &end, 10);
    uint64_t hi = lo;
    if (dash != std::string::npos) hi = std::strtoull(part.c_str() + dash + 1, &end, 10);
    if (end == nullptr || *end != '\0' || hi < lo || hi - lo > 10000) {
      return InvalidArgument("bad seeds '" + text + "' (e.g. 42-51 or 1,2,3)", "seeds");
    }
    for (uint64_t s = lo; s <= hi; ++s) seeds.push_back(s);
  }
  if (seeds.empty()) return InvalidArgument("no seeds", "seeds");
  return seeds;
}

Status RunFillCommand(const FillOptions& o) {
  FG_ASSIGN_OR_RETURN(std::vector<uint64_t> seeds, ParseSeeds(o.seeds));
  FillInput input;
  FG_ASSIGN_OR_RETURN(input.nodes, LoadTraceNodes(o.nodes));
  FG_ASSIGN_OR_RETURN(input.tasks, LoadTracePods(o.pods));
  input.workload = core::BuildWorkloadProfile(input.tasks);
  input.inflate = o.inflate;
  const int threads = o.threads > 0 ? o.threads
                                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  FG_ASSIGN_OR_RETURN(std::vector<FillRun> runs,
                      RunFills(input, SplitComma(o.policies), seeds, threads));
  const FillSummary summary = Summarize(runs);
  std::error_code ec;
  std::filesystem::create_directories(o.out, ec);
  if (ec) return Internal("cannot create " + o.out + ": " + ec.message());
  const std::string title = std::filesystem::path(o.pods).filename().string() + ", " +
                            std::to_string(seeds.size()) + " seeds";
  FG_RETURN_IF_ERROR(WriteTextFile(o.out + "/alloc.csv", AllocCsv(runs)));
  FG_RETURN_IF_ERROR(WriteTextFile(o.out + "/summary.csv", SummaryCsv(summary)));
  FG_RETURN_IF_ERROR(WriteTextFile(o.out + "/alloc.svg", AllocSvg(summary, title)));
  std::printf("%s: %zu nodes, %zu tasks, %zu seeds; GPU allocated (%%, median) at arrival:\n%s",
              title.c_str(), input.nodes.size(), input.tasks.size(), seeds.size(),
              SummaryTable(summary).c_str());
  return Status::Ok();
}

void AddFill(CLI::App& sim, int& exit_code) {
  auto o = std::make_shared<FillOptions>();
  CLI::App* cmd = sim.add_subcommand(
      "fill", "The FGD paper's fill experiment: shuffled, inflated tasks placed one at a time");
  cmd->add_option("--nodes", o->nodes, "Node list CSV (sn,cpu_milli,memory_mib,gpu,model)")
      ->required();
  cmd->add_option("--pods", o->pods, "Pod list CSV (cpu_milli,memory_mib,num_gpu,gpu_milli,...)")
      ->required();
  cmd->add_option("--policy", o->policies, "Policies, comma separated")->capture_default_str();
  cmd->add_option("--seeds", o->seeds, "Seeds: 42-51 or 1,2,3")->capture_default_str();
  cmd->add_option("--inflate", o->inflate, "Clone tasks up to this x cluster GPUs")
      ->capture_default_str();
  cmd->add_option("--out", o->out, "Folder for alloc.csv, summary.csv, alloc.svg")->required();
  cmd->add_option("--threads", o->threads, "Worker threads (default: all cores)");
  cmd->callback([o, &exit_code] {
    const Status s = RunFillCommand(*o);
    if (!s.ok()) std::fprintf(stderr, "fastgpu sim fill: %s\n", s.ToString().c_str());
    exit_code = s.ok() ? 0 : 1;
  });
}

}  // namespace

void RegisterSimCommand(CLI::App& app, int& exit_code) {
  CLI::App* sim = app.add_subcommand("sim", "Replay GPU traces through the scheduler core");
  sim->require_subcommand(1);
  AddFill(*sim, exit_code);
}

}  // namespace fastgpu::sim
