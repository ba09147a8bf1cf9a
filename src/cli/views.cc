#include "cli/views.h"

#include <algorithm>
#include <map>
#include <utility>

#include "cli/term.h"
#include "common/units.h"

namespace fastgpu::cli {
namespace {

constexpr int kDefaultWidth = 80;
constexpr int kMinBar = 5;
constexpr int kMaxBar = 40;
// Background colors for tenants A, B, C, ... (blue, green, yellow, magenta, cyan, red).
constexpr const char* kTenantColors[] = {"44", "42", "43", "45", "46", "41"};

std::map<std::string, int> TenantLetters(const Pool& pool) {
  std::map<std::string, int> letters;
  for (const Gpu& gpu : pool.gpus) {
    for (const GpuAllocation& a : gpu.allocations) letters.emplace(a.tenant, 0);
  }
  int i = 0;
  for (auto& [tenant, letter] : letters) letter = i++;
  return letters;
}

char LetterFor(int index, bool lower) {
  char c = static_cast<char>('A' + index % 26);
  return lower ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string Paint(const std::string& cells, int tenant, bool color) {
  if (!color || cells.empty() || tenant < 0) return cells;
  const char* bg = kTenantColors[tenant % std::size(kTenantColors)];
  return std::string("\033[30;") + bg + "m" + cells + "\033[0m";
}

// The bar's cells for one device, `width` cells between the brackets.
std::string Bar(const Gpu& gpu, const std::map<std::string, int>& letters, int width, bool color) {
  std::string out;
  int64_t cum = 0;
  int used = 0;
  std::map<int, bool> lower;  // tenant -> case of its next job
  for (const GpuAllocation& a : gpu.allocations) {
    if (a.milli <= 0) continue;
    cum += a.milli;
    int end = static_cast<int>(std::min<int64_t>(width, (cum * width + 500) / 1000));
    if (end <= used && used < width) end = used + 1;
    int tenant = letters.at(a.tenant);
    std::string cells(static_cast<size_t>(std::max(0, end - used)),
                      LetterFor(tenant, lower[tenant]));
    lower[tenant] = !lower[tenant];
    out += Paint(cells, tenant, color);
    used = std::max(used, end);
  }
  out += std::string(static_cast<size_t>(width - used), '.');
  return out;
}

std::string DeviceName(const Gpu& gpu) {
  return gpu.node + "/" + std::to_string(gpu.index) + (gpu.node_ready ? "" : " (not ready)") +
         (gpu.healthy ? "" : " (unhealthy)");
}

std::string FreeText(const Gpu& gpu) {
  return "free " + FormatMilli(gpu.free_milli) + " " + FormatMiB(gpu.free_memory_mib) + "/" +
         FormatMiB(gpu.memory_mib);
}

std::string LegendLines(const Pool& pool, const std::map<std::string, int>& letters, size_t width,
                        bool color) {
  std::map<std::string, std::string> jobs;
  for (const Gpu& gpu : pool.gpus) {
    for (const GpuAllocation& a : gpu.allocations) {
      std::string& list = jobs[a.tenant];
      std::string share = a.milli > 0 ? FormatMilli(a.milli) : FormatMiB(a.memory_mib);
      list += (list.empty() ? "" : ", ") + std::to_string(a.job) + " (" + share + ")";
    }
  }
  std::string out;
  for (const auto& [tenant, index] : letters) {
    std::string text = tenant + ": jobs " + jobs[tenant];
    out += Paint(std::string(1, LetterFor(index, false)), index, color) + " " +
           Truncate(text, width > 2 ? width - 2 : text.size()) + "\n";
  }
  return out;
}

}  // namespace

Table JobTable(const std::vector<Job>& jobs, int64_t now_ms) {
  Table table({"ID", "NAME", "STATE", "GPUS", "NODE", "AGE", "REASON"});
  for (const Job& job : jobs) {
    std::string age = job.submitted_ms > 0 ? FormatDuration(now_ms - job.submitted_ms) : "-";
    std::string name = job.name.empty() ? "-" : job.name;
    if (job.array_id > 0) name += "[" + std::to_string(job.array_index) + "]";  // an array task
    table.AddRow({std::to_string(job.id), name, job.state,
                  FormatGpuRequest(job.gpu_count, job.gpu_milli, job.gpu_memory_mib),
                  job.node.empty() ? "-" : job.node, age, job.reason});
  }
  table.SetColumnColor(2, StateColor);
  return table;
}

std::string PoolSummaryLine(const PoolSummary& s) {
  return std::to_string(s.nodes) + (s.nodes == 1 ? " node, " : " nodes, ") +
         std::to_string(s.gpus) + (s.gpus == 1 ? " GPU" : " GPUs") + " (" +
         std::to_string(s.idle_gpus) + " idle); free compute " + FormatMilli(s.free_milli) +
         " of " + FormatMilli(s.total_milli) + " GPUs; free memory " +
         FormatMiB(s.free_memory_mib) + " of " + FormatMiB(s.total_memory_mib) + "; " +
         std::to_string(s.pending_jobs) + " pending " + (s.pending_jobs == 1 ? "job" : "jobs");
}

std::string RenderPoolBars(const Pool& pool, int width, bool color) {
  if (pool.gpus.empty()) return "no GPUs in the pool\n";
  if (width <= 0) width = kDefaultWidth;
  size_t name_w = 0, model_w = 0, free_w = 0;
  for (const Gpu& gpu : pool.gpus) {
    name_w = std::max(name_w, DeviceName(gpu).size());
    model_w = std::max(model_w, gpu.model.size());
    free_w = std::max(free_w, FreeText(gpu).size());
  }
  int fixed = static_cast<int>(name_w + 2 + model_w + 2 + 2 + 2 + free_w);
  int bar = std::clamp(width - fixed, kMinBar, kMaxBar);
  if (fixed + bar > width && width >= 40) {  // too narrow: drop the model column
    model_w = 0;
    fixed = static_cast<int>(name_w + 2 + 2 + 2 + free_w);
    bar = std::clamp(width - fixed, kMinBar, kMaxBar);
  }
  std::map<std::string, int> letters = TenantLetters(pool);
  std::string out;
  for (const Gpu& gpu : pool.gpus) {
    std::string name = DeviceName(gpu);
    std::string line = name + std::string(name_w - name.size() + 2, ' ');
    if (model_w > 0) line += gpu.model + std::string(model_w - gpu.model.size() + 2, ' ');
    line += "[" + Bar(gpu, letters, bar, color) + "]  " + FreeText(gpu);
    out += line + "\n";
  }
  out += LegendLines(pool, letters, static_cast<size_t>(width), color);
  return out;
}

std::string RenderTopFrame(const std::string& url, const Pool& pool, const std::vector<Job>& jobs,
                           int64_t now_ms, int columns, int rows, bool color) {
  const size_t width = static_cast<size_t>(columns > 0 ? columns : kDefaultWidth);
  std::vector<std::string> lines;
  auto add = [&](const std::string& text) {
    size_t start = 0;
    while (start < text.size()) {
      size_t nl = text.find('\n', start);
      if (nl == std::string::npos) nl = text.size();
      lines.push_back(text.substr(start, nl - start));
      start = nl + 1;
    }
  };
  add(Truncate("fastgpu top - " + url + " - q quits", width));
  add(Truncate(PoolSummaryLine(pool.summary), width));
  add(RenderPoolBars(pool, static_cast<int>(width), color));
  lines.push_back("");
  Table table = JobTable(jobs, now_ms);
  std::vector<std::string> table_lines;
  std::string rendered = table.Render(width, color);
  size_t before = lines.size();
  add(rendered);
  table_lines.assign(lines.begin() + static_cast<long>(before), lines.end());
  lines.resize(before);
  size_t room = rows > 0 && static_cast<size_t>(rows) > before ? rows - before : SIZE_MAX;
  if (rows > 0 && static_cast<size_t>(rows) <= before) room = 0;
  if (table_lines.size() <= room) {
    lines.insert(lines.end(), table_lines.begin(), table_lines.end());
  } else if (room > 0) {
    lines.insert(lines.end(), table_lines.begin(),
                 table_lines.begin() + static_cast<long>(room - 1));
    lines.push_back("... " + std::to_string(table_lines.size() - (room - 1)) + " more jobs");
  }
  if (rows > 0 && lines.size() > static_cast<size_t>(rows)) lines.resize(static_cast<size_t>(rows));
  std::string out;
  for (const std::string& line : lines) out += line + "\n";
  return out;
}

}  // namespace fastgpu::cli
