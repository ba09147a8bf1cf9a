#include "sim/sim_command.h"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sim/fill.h"
#include "sim/fill_report.h"
#include "sim/replay.h"
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

struct ReplayOptions {
  std::string nodes;
  std::string pods;
  std::string policy;
  std::string sorter = "drf";
  bool backfill = true;
  bool preemption = true;
  int64_t grace_s = 30;
  int64_t tick_s = 1;
  std::string tenants = "qos";
  std::string weights;
  bool qos_priority = false;
  double compress = 1;
  double stretch = 1;
  int copies = 1;
  std::string out;
};

// "LS=3,BE=1" into the tenants' weights.
Status ParseWeights(const std::string& text, core::QueueOptions& queue) {
  for (const std::string& part : SplitComma(text)) {
    const size_t eq = part.find('=');
    char* end = nullptr;
    const long w = eq == std::string::npos ? 0 : std::strtol(part.c_str() + eq + 1, &end, 10);
    if (eq == std::string::npos || eq == 0 || end == nullptr || *end != '\0' || w < 1 ||
        w > 1000000) {
      return InvalidArgument("bad --weights '" + text + "' (e.g. LS=3,BE=1; weights >= 1)",
                             "weights");
    }
    queue.tenants[part.substr(0, eq)].weight = static_cast<int32_t>(w);
  }
  return Status::Ok();
}

Status RunReplayCommand(const ReplayOptions& o) {
  if (o.tenants != "qos" && o.tenants != "none") {
    return InvalidArgument("--tenants must be qos or none, not '" + o.tenants + "'", "tenants");
  }
  if (o.grace_s < 0) return InvalidArgument("--grace must be >= 0", "grace");
  if (!(o.compress >= 1 && o.compress <= 1e6)) {
    return InvalidArgument("--compress must be in [1, 1e6]", "compress");
  }
  if (o.copies < 1 || o.copies > 100) {
    return InvalidArgument("--copies must be in [1, 100]", "copies");
  }
  if (!(o.stretch >= 1 && o.stretch <= 1e6)) {
    return InvalidArgument("--stretch must be in [1, 1e6]", "stretch");
  }
  ReplayInput input;
  FG_ASSIGN_OR_RETURN(input.nodes, LoadTraceNodes(o.nodes));
  FG_ASSIGN_OR_RETURN(std::vector<TimedPod> pods, LoadTimedPods(o.pods));
  std::vector<core::ResourceRequest> requests;
  for (const TimedPod& pod : pods) requests.push_back(pod.request);
  for (int copy = 0; copy < o.copies; ++copy) {
    for (const TimedPod& pod : pods) {
      ReplayTask t;
      t.request = pod.request;
      t.tenant = o.tenants == "qos" ? pod.qos : "";
      // Latency-sensitive and guaranteed pods above best-effort and burstable ones.
      t.priority = o.qos_priority && (pod.qos == "LS" || pod.qos == "Guaranteed") ? 1 : 0;
      t.arrival_s = static_cast<int64_t>(static_cast<double>(pod.creation_s) / o.compress);
      t.runtime_s = static_cast<int64_t>(static_cast<double>(pod.runtime_s) * o.stretch);
      input.tasks.push_back(std::move(t));
    }
  }
  input.workload = core::BuildWorkloadProfile(requests);
  input.policy = o.policy;
  input.queue.sorter = o.sorter;
  input.queue.backfill = o.backfill;
  input.queue.preemption = o.preemption;
  input.queue.preemption_grace_ms = o.grace_s * 1000;
  FG_RETURN_IF_ERROR(ParseWeights(o.weights, input.queue));
  input.tick_s = o.tick_s;
  FG_ASSIGN_OR_RETURN(ReplayReport report, RunReplay(input));
  if (!o.out.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.out, ec);
    if (ec) return Internal("cannot create " + o.out + ": " + ec.message());
    FG_RETURN_IF_ERROR(WriteTextFile(o.out + "/replay.csv", ReplayCsv(report)));
    FG_RETURN_IF_ERROR(WriteTextFile(o.out + "/tenants.csv", ReplayTenantsCsv(report)));
  }
  std::printf("%s, policy %s, %zu nodes, arrivals compressed %gx, runtimes stretched %gx:\n%s",
              std::filesystem::path(o.pods).filename().string().c_str(),
              o.policy.empty() ? "default" : o.policy.c_str(), input.nodes.size(), o.compress,
              o.stretch,
              ReplayTable(report).c_str());
  return Status::Ok();
}

void AddReplay(CLI::App& sim, int& exit_code) {
  auto o = std::make_shared<ReplayOptions>();
  CLI::App* cmd = sim.add_subcommand(
      "replay", "Arrivals and departures in time through the full queue (fair share, backfill)");
  cmd->add_option("--nodes", o->nodes, "Node list CSV (sn,cpu_milli,memory_mib,gpu,model)")
      ->required();
  cmd->add_option("--pods", o->pods, "Pod list CSV with creation_time and deletion_time")
      ->required();
  cmd->add_option("--policy", o->policy, "Placement policy (default: the server's default)");
  cmd->add_option("--sorter", o->sorter, "Queue order: drf or fifo")->capture_default_str();
  cmd->add_option("--backfill", o->backfill, "EASY backfill")->capture_default_str();
  cmd->add_option("--preemption", o->preemption, "Preempt lower-priority or borrowed work")
      ->capture_default_str();
  cmd->add_option("--grace", o->grace_s, "Preemption grace, seconds")->capture_default_str();
  cmd->add_option("--tick", o->tick_s, "Scheduling interval, seconds")->capture_default_str();
  cmd->add_option("--tenants", o->tenants, "qos: one tenant per qos class; none: one tenant")
      ->capture_default_str();
  cmd->add_option("--weights", o->weights, "Fair-share weights, e.g. LS=3,BE=1");
  cmd->add_option("--compress", o->compress,
                  "Divide arrival times by this (runtimes kept): the trace's own arrivals use "
                  "about 1 % of its cluster")
      ->capture_default_str();
  cmd->add_option("--copies", o->copies,
                  "Submit every task this many times (more demand than the cluster holds)")
      ->capture_default_str();
  cmd->add_option("--stretch", o->stretch, "Multiply runtimes by this, to load the cluster")
      ->capture_default_str();
  cmd->add_flag("--qos-priority", o->qos_priority, "LS and Guaranteed pods at priority 1");
  cmd->add_option("--out", o->out, "Folder for replay.csv and tenants.csv");
  cmd->callback([o, &exit_code] {
    const Status s = RunReplayCommand(*o);
    if (!s.ok()) std::fprintf(stderr, "fastgpu sim replay: %s\n", s.ToString().c_str());
    exit_code = s.ok() ? 0 : 1;
  });
}

}  // namespace

void RegisterSimCommand(CLI::App& app, int& exit_code) {
  CLI::App* sim = app.add_subcommand("sim", "Replay GPU traces through the scheduler core");
  sim->require_subcommand(1);
  AddFill(*sim, exit_code);
  AddReplay(*sim, exit_code);
}

}  // namespace fastgpu::sim
