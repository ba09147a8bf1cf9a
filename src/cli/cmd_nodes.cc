// `fastgpu nodes`: the registered nodes as a table or JSON.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "cli/api_codec.h"
#include "cli/cmd.h"
#include "cli/cmd_common.h"
#include "cli/format.h"
#include "common/units.h"

namespace fastgpu::cli {
namespace {

// "A100-80GB", or "2xA100-80GB,1xT4-16GB" for a mixed node; "-" without GPUs.
std::string Models(const Node& node) {
  std::map<std::string, int> count;
  for (const NodeDevice& d : node.devices) ++count[d.model.empty() ? "?" : d.model];
  if (count.empty()) return "-";
  std::string out;
  for (const auto& [model, n] : count) {
    if (!out.empty()) out += ",";
    out += count.size() == 1 ? model : std::to_string(n) + "x" + model;
  }
  if (node.simulated) out += " (simulated)";
  return out;
}

}  // namespace

int NodesCommand(const GlobalFlags& globals, bool json) {
  std::unique_ptr<ApiClient> client = Connect(globals);
  if (client == nullptr) return kExitError;
  Result<std::vector<Node>> nodes = client->ListNodes();
  if (!nodes.ok()) return ReportError(nodes.error());
  if (json) {
    std::vector<std::string> objects;
    for (const Node& node : *nodes) objects.push_back(node.json);
    std::printf("%s\n", JsonArray(objects).c_str());
    return kExitOk;
  }
  Table table({"NAME", "STATE", "GPUS", "MODEL", "CPUS", "MEMORY", "LAST-SEEN"});
  for (const Node& node : *nodes) {
    std::string seen = node.last_seen_ms > 0 ? Age(node.last_seen_ms) + " ago" : "-";
    table.AddRow({node.name, node.state, std::to_string(node.devices.size()), Models(node),
                  FormatMilli(node.cpu_milli), FormatMiB(node.memory_mib), seen});
  }
  std::fputs(table.Render().c_str(), stdout);
  return kExitOk;
}

}  // namespace fastgpu::cli
