#include "cli/why.h"

#include <algorithm>
#include <map>
#include <set>

#include "cli/format.h"
#include "common/units.h"

namespace fastgpu::cli {
namespace {

struct Need {
  int64_t devices = 0;
  int64_t milli = 0;
  int64_t memory_mib = 0;
};

Need NeedOf(const Job& job) {
  Need n;
  n.devices = std::max<int64_t>(job.gpu_count, job.gpu_memory_mib > 0 ? 1 : 0);
  n.milli = job.gpu_milli;
  n.memory_mib = job.gpu_memory_mib;
  return n;
}

bool ModelOk(const Job& job, const Gpu& gpu) {
  return job.gpu_models.empty() ||
         std::find(job.gpu_models.begin(), job.gpu_models.end(), gpu.model) != job.gpu_models.end();
}

bool FitsFree(const Need& n, const Gpu& gpu) {
  return gpu.free_milli >= n.milli && gpu.free_memory_mib >= n.memory_mib;
}

// The jobs on `gpu` whose end would leave room for `n` (largest first), or empty when even
// ending all of them would not.
std::vector<GpuAllocation> JobsToEnd(const Need& n, const Gpu& gpu) {
  std::vector<GpuAllocation> allocs = gpu.allocations;
  std::sort(allocs.begin(), allocs.end(), [](const GpuAllocation& a, const GpuAllocation& b) {
    return a.milli != b.milli ? a.milli > b.milli : a.job < b.job;
  });
  Gpu g = gpu;
  std::vector<GpuAllocation> out;
  for (const GpuAllocation& a : allocs) {
    if (FitsFree(n, g)) break;
    g.free_milli += a.milli;
    g.free_memory_mib += a.memory_mib;
    out.push_back(a);
  }
  return FitsFree(n, g) ? out : std::vector<GpuAllocation>{};
}

std::string What(const Need& n) {
  std::string per = FormatMilli(n.milli) + " GPU";
  if (n.memory_mib > 0) per += (n.milli > 0 ? " and " : "") + FormatMiB(n.memory_mib);
  if (n.milli == 0 && n.memory_mib > 0) per = FormatMiB(n.memory_mib) + " of GPU memory";
  return std::to_string(n.devices) + (n.devices == 1 ? " device" : " devices") + " with " + per +
         " free each";
}

void ExplainNeverFits(const Job& job, const Need& need, size_t best, WhyAnswer& a) {
  a.verdict = "it can never start on the pool as it is: no ready node has " + What(need) +
              " in total capacity";
  if (best > 0 && static_cast<int64_t>(best) < need.devices) {
    a.actions.push_back("ask for at most " + std::to_string(best) +
                        " GPUs (--gpus): the largest ready node has " + std::to_string(best) +
                        " that match");
  }
  if (!job.gpu_models.empty()) {
    a.actions.push_back("accept more models (--gpu-model), or drop the model constraint");
  }
  if (need.memory_mib > 0) a.actions.push_back("ask for less GPU memory (--gpu-memory)");
  a.actions.push_back("add a node that has them (fastgpu agent --server URL ...)");
}

// How `need` stands on one node: fits now, or which jobs' end would make room.
struct NodeOption {
  bool fits_now = false;
  bool possible = false;             // enough matching devices, and jobs whose end frees them
  size_t jobs_to_end = 0;            // how many jobs must end
  std::vector<std::string> actions;  // "job 3 (tenant a) ends on n1", one per device short
};

NodeOption Evaluate(const std::string& node, const std::vector<const Gpu*>& gpus,
                    const Need& need) {
  NodeOption option;
  if (static_cast<int64_t>(gpus.size()) < need.devices) return option;
  std::vector<std::vector<GpuAllocation>> frees;
  int64_t free_now = 0;
  for (const Gpu* g : gpus) {
    if (FitsFree(need, *g)) {
      ++free_now;
    } else if (auto ends = JobsToEnd(need, *g); !ends.empty()) {
      frees.push_back(ends);
    }
  }
  option.fits_now = free_now >= need.devices;
  size_t short_by = option.fits_now ? 0 : static_cast<size_t>(need.devices - free_now);
  if (frees.size() < short_by) return option;
  option.possible = true;
  std::sort(frees.begin(), frees.end(),
            [](const auto& x, const auto& y) { return x.size() < y.size(); });
  for (size_t i = 0; i < short_by; ++i) {
    std::string list;
    std::set<std::string> tenants;
    for (const GpuAllocation& g : frees[i]) {
      list += (list.empty() ? "" : ", ") + std::to_string(g.job);
      tenants.insert(g.tenant);
    }
    std::string who;
    for (const std::string& t : tenants) who += (who.empty() ? "" : ", ") + t;
    bool many = frees[i].size() > 1;
    option.actions.push_back("job" + std::string(many ? "s " : " ") + list + " (tenant " + who +
                             ") end" + (many ? "" : "s") + " on " + node);
    option.jobs_to_end += frees[i].size();
  }
  return option;
}

// Pending: fits now somewhere, waits for the fewest jobs to end on one node, or never fits.
void ExplainPending(const Job& job, const Need& need, const Pool& pool, WhyAnswer& a) {
  std::map<std::string, std::vector<const Gpu*>> nodes;
  for (const Gpu& gpu : pool.gpus) {
    if (gpu.node_ready && ModelOk(job, gpu)) nodes[gpu.node].push_back(&gpu);
  }
  size_t most_devices = 0;
  std::string best_node;
  NodeOption best;
  for (const auto& [node, gpus] : nodes) {
    most_devices = std::max(most_devices, gpus.size());
    NodeOption option = Evaluate(node, gpus, need);
    if (option.fits_now) {
      a.verdict = "it fits now on " + node + "; it starts at the scheduler's next pass" +
                  (job.queue_position > 1
                       ? ", after the " + std::to_string(job.queue_position - 1) + " jobs ahead"
                       : "");
      return;
    }
    if (option.possible && (best_node.empty() || option.jobs_to_end < best.jobs_to_end)) {
      best_node = node;
      best = std::move(option);
    }
  }
  if (best_node.empty()) {
    ExplainNeverFits(job, need, most_devices, a);
    return;
  }
  a.verdict = "it needs " + What(need) + " on one node and waits for room on " + best_node;
  a.actions = best.actions;
  if (need.devices > 1 || need.milli < 1000) {
    a.actions.push_back("or ask for less (--gpus, --gpu-memory) and submit again");
  }
}

}  // namespace

WhyAnswer ExplainJob(const Job& job, const Pool& pool) {
  WhyAnswer a;
  a.state = job.state;
  a.reason = job.reason.empty() ? "-" : job.reason;
  a.queue_position = job.queue_position;
  if (job.Ended()) {
    a.verdict = "it has ended";
    if (job.exit_code) a.verdict += " with exit code " + std::to_string(*job.exit_code);
    if (job.signal) a.verdict += " by signal " + std::to_string(*job.signal);
    return a;
  }
  if (job.state != "pending") {
    a.verdict = "it is bound to " + (job.node.empty() ? std::string("a node") : job.node);
    if (job.cancel_requested) a.verdict += "; a cancel was requested";
    return a;
  }
  if (!job.waiting_for.empty()) {  // held: the scheduler does not look for room for it yet
    std::string list;
    for (const std::string& dep : job.waiting_for) list += (list.empty() ? "" : ", ") + dep;
    a.verdict = "it waits for its dependencies (" + list +
                "); it is not placed, nor is room kept for it, until they are met";
    for (const std::string& dep : job.waiting_for) {
      const size_t colon = dep.find(':');
      const std::string id = dep.substr(colon + 1);
      a.actions.push_back("job " + id + (dep.rfind("ok:", 0) == 0 ? " must succeed" : " must end") +
                          " (fastgpu why " + id + ")");
    }
    return a;
  }
  Need need = NeedOf(job);
  if (need.devices == 0) {
    a.verdict = "it needs no GPU; it waits for CPU or memory on a node";
    a.actions.push_back("ask for less (--cpus, --memory), or wait for other jobs to end");
    return a;
  }
  ExplainPending(job, need, pool, a);
  return a;
}

std::string RenderWhy(const Job& job, const WhyAnswer& a) {
  std::string out = "job " + std::to_string(job.id) + " is " + a.state + "\n";
  out += "reason:         " + a.reason + "\n";
  if (a.queue_position > 0) {
    out += "queue position: " + std::to_string(a.queue_position) + "\n";
  }
  out += "verdict:        " + a.verdict + "\n";
  if (!a.actions.empty()) {
    out += "to start it:\n";
    for (const std::string& action : a.actions) out += "  - " + action + "\n";
  }
  return out;
}

}  // namespace fastgpu::cli
