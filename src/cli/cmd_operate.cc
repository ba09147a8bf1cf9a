// `fastgpu cordon|uncordon|drain NODE` and `fastgpu events ID`. See cmd_operate.h.
#include "cli/cmd_operate.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/cmd_common.h"
#include "cli/format.h"

namespace fastgpu::cli {
namespace {

using Json = nlohmann::json;

// The reply of `method path` parsed, or an exit code after printing the error.
int CallJson(const GlobalFlags& globals, const char* method, const std::string& path, Json* out) {
  std::unique_ptr<ApiClient> client = Connect(globals);
  if (client == nullptr) return kExitError;
  Result<std::string> reply = client->Call(method, path, method[0] == 'P' ? "{}" : "");
  if (!reply.ok()) return ReportError(reply.error());
  *out = Json::parse(*reply, nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded() || !out->is_object()) {
    return ReportError(Internal("the server's reply is not a JSON object"));
  }
  return kExitOk;
}

std::string Text(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

int NodeAction(const GlobalFlags& globals, const std::string& node, const char* action) {
  Json reply;
  if (int code = CallJson(globals, "POST", "/v1/nodes/" + node + "/" + action, &reply)) {
    return code;
  }
  std::printf("node %s: %s (%s job(s) on it)\n", Text(reply, "name").c_str(),
              Text(reply, "state").c_str(), Text(reply, "jobs").c_str());
  return kExitOk;
}

// One line of detail for an event: where it ran, why, how it ended.
std::string Detail(const Json& e) {
  std::string out;
  const std::string node = Text(e, "node");
  if (!node.empty()) out += "on " + node;
  if (e.contains("devices") && e["devices"].is_array() && !e["devices"].empty()) {
    out += " GPU " + e["devices"].dump();
  }
  const std::string reason = Text(e, "reason");
  if (!reason.empty()) out += (out.empty() ? "" : ": ") + reason;
  const std::string code = Text(e, "exit_code");
  if (!code.empty()) out += (out.empty() ? "" : "; ") + std::string("exit code ") + code;
  return out;
}

int EventsCommand(const GlobalFlags& globals, const std::string& id, bool json) {
  Json reply;
  if (int code = CallJson(globals, "GET", "/v1/jobs/" + id + "/events", &reply)) return code;
  if (json) {
    std::printf("%s\n", reply.dump(2).c_str());
    return kExitOk;
  }
  Table table({"TIME", "EVENT", "STATE", "ATTEMPT", "DETAIL"});
  for (const Json& e : reply.value("events", Json::array())) {
    const int64_t at = e.value("time_ms", int64_t{0});
    table.AddRow({FormatDuration(NowMs() - at) + " ago", Text(e, "type"), Text(e, "state"),
                  Text(e, "attempt"), Detail(e)});
  }
  std::fputs(table.Render().c_str(), stdout);
  return kExitOk;
}

void AddNodeAction(CLI::App& app, const std::shared_ptr<GlobalFlags>& globals, int& exit_code,
                   const char* name, const char* help) {
  auto node = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(name, help);
  cmd->fallthrough();
  cmd->add_option("NODE", *node, "Node name (see fastgpu nodes)")->required();
  cmd->callback([=, &exit_code] { exit_code = NodeAction(*globals, *node, name); });
}

}  // namespace

void RegisterOperateCommands(CLI::App& app, const std::shared_ptr<GlobalFlags>& globals,
                             int& exit_code) {
  AddNodeAction(app, globals, exit_code, "cordon",
                "Send no new jobs to a node (its jobs keep running; admins)");
  AddNodeAction(app, globals, exit_code, "uncordon", "Undo cordon or drain (admins)");
  AddNodeAction(app, globals, exit_code, "drain",
                "Cordon a node and show it draining until its jobs end, then drained (admins)");
  auto id = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("events", "A job's history: submitted, scheduled, ...");
  cmd->fallthrough();
  cmd->add_option("ID", *id, "Job ID")->required();
  cmd->add_flag("--json", *json, "Print the events as JSON");
  cmd->callback([=, &exit_code] { exit_code = EventsCommand(*globals, *id, *json); });
}

}  // namespace fastgpu::cli
