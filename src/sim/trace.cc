#include "sim/trace.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <sstream>

namespace fastgpu::sim {
namespace {

std::vector<std::string> SplitRow(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, sep)) out.push_back(field);
  if (!line.empty() && line.back() == sep) out.emplace_back();
  return out;
}

// A CSV file as header-name -> column plus rows of fields.
struct Table {
  std::map<std::string, size_t> columns;
  std::vector<std::vector<std::string>> rows;
};

Result<Table> ReadTable(const std::string& path, const std::vector<std::string>& required) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot open " + path, "path");
  Table t;
  std::string line;
  if (!std::getline(in, line)) return InvalidArgument(path + ": empty file", "path");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const std::vector<std::string> header = SplitRow(line, ',');
  for (size_t i = 0; i < header.size(); ++i) t.columns[header[i]] = i;
  for (const std::string& name : required) {
    if (t.columns.count(name) == 0) {
      return InvalidArgument(path + ": no column '" + name + "'", "path");
    }
  }
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    t.rows.push_back(SplitRow(line, ','));
    t.rows.back().resize(header.size());
  }
  return t;
}

bool ParseInt(const std::string& s, int64_t* out) {
  if (s.empty()) {
    *out = 0;
    return true;
  }
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

Status RowError(const std::string& path, size_t row, const std::string& what) {
  return InvalidArgument(path + ":" + std::to_string(row + 2) + ": bad " + what, "path");
}

}  // namespace

Result<std::vector<core::NodeSpec>> LoadTraceNodes(const std::string& path) {
  FG_ASSIGN_OR_RETURN(Table t, ReadTable(path, {"sn", "cpu_milli", "memory_mib", "gpu", "model"}));
  std::vector<core::NodeSpec> nodes;
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const auto& row = t.rows[i];
    core::NodeSpec spec;
    spec.name = row[t.columns["sn"]];
    int64_t cpu = 0, memory = 0, gpus = 0;
    if (!ParseInt(row[t.columns["cpu_milli"]], &cpu)) return RowError(path, i, "cpu_milli");
    if (!ParseInt(row[t.columns["memory_mib"]], &memory)) return RowError(path, i, "memory_mib");
    if (!ParseInt(row[t.columns["gpu"]], &gpus) || gpus < 0) return RowError(path, i, "gpu");
    spec.cpu_milli = static_cast<int32_t>(cpu);
    spec.memory_mib = memory;
    const std::string& model = row[t.columns["model"]];
    for (int32_t g = 0; g < gpus; ++g) {
      spec.devices.push_back(core::DeviceSpec{g, spec.name + "-gpu" + std::to_string(g), model,
                                              kTraceGpuMemoryMib});
    }
    nodes.push_back(std::move(spec));
  }
  return nodes;
}

Result<std::vector<core::ResourceRequest>> LoadTracePods(const std::string& path) {
  FG_ASSIGN_OR_RETURN(Table t,
                      ReadTable(path, {"cpu_milli", "memory_mib", "num_gpu", "gpu_milli"}));
  const bool has_spec = t.columns.count("gpu_spec") > 0;
  std::vector<core::ResourceRequest> pods;
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const auto& row = t.rows[i];
    int64_t cpu = 0, memory = 0, num = 0, milli = 0;
    if (!ParseInt(row[t.columns["cpu_milli"]], &cpu)) return RowError(path, i, "cpu_milli");
    if (!ParseInt(row[t.columns["memory_mib"]], &memory)) return RowError(path, i, "memory_mib");
    if (!ParseInt(row[t.columns["num_gpu"]], &num)) return RowError(path, i, "num_gpu");
    if (!ParseInt(row[t.columns["gpu_milli"]], &milli)) return RowError(path, i, "gpu_milli");
    core::ResourceRequest r;
    r.cpu_milli = static_cast<int32_t>(cpu);
    r.memory_mib = memory;
    r.gpu_count = static_cast<int32_t>(num);
    r.gpu_milli = num > 0 ? static_cast<int32_t>(milli) : core::kWholeGpuMilli;
    if (has_spec && !row[t.columns["gpu_spec"]].empty()) {
      r.gpu_models = SplitRow(row[t.columns["gpu_spec"]], '|');
    }
    pods.push_back(std::move(r));
  }
  return pods;
}

Result<std::vector<TimedPod>> LoadTimedPods(const std::string& path) {
  FG_ASSIGN_OR_RETURN(std::vector<core::ResourceRequest> requests, LoadTracePods(path));
  Result<Table> table = ReadTable(path, {"creation_time", "deletion_time"});
  if (!table.ok()) {
    return InvalidArgument(path + ": a time replay needs the creation_time and deletion_time "
                           "columns: " + table.error().message(), "pods");
  }
  Table& t = *table;
  const bool has_scheduled = t.columns.count("scheduled_time") > 0;
  const bool has_qos = t.columns.count("qos") > 0;
  std::vector<TimedPod> pods;
  for (size_t i = 0; i < t.rows.size() && i < requests.size(); ++i) {
    const auto& row = t.rows[i];
    int64_t created = 0, deleted = 0, scheduled = 0;
    if (!ParseInt(row[t.columns["creation_time"]], &created)) {
      return RowError(path, i, "creation_time");
    }
    if (!ParseInt(row[t.columns["deletion_time"]], &deleted)) {
      return RowError(path, i, "deletion_time");
    }
    if (has_scheduled && !ParseInt(row[t.columns["scheduled_time"]], &scheduled)) {
      return RowError(path, i, "scheduled_time");
    }
    const bool ran = has_scheduled && !row[t.columns["scheduled_time"]].empty();
    TimedPod pod;
    pod.request = std::move(requests[i]);
    pod.qos = has_qos ? row[t.columns["qos"]] : "";
    pod.creation_s = created;
    pod.runtime_s = std::max<int64_t>(1, deleted - (ran ? scheduled : created));
    pods.push_back(std::move(pod));
  }
  return pods;
}

}  // namespace fastgpu::sim
