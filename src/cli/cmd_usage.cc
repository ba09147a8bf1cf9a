// `fastgpu usage` and `fastgpu price`: metered usage and cost, and the price table
// (docs/billing.md).
#include <cctype>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/cmd_admin.h"
#include "cli/cmd_common.h"
#include "cli/format.h"

namespace fastgpu::cli {
namespace {

using Json = nlohmann::json;

CLI::App* AddCommand(CLI::App& parent, const char* name, const char* help) {
  CLI::App* cmd = parent.add_subcommand(name, help);
  cmd->fallthrough();
  return cmd;
}

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

struct UsageFlags {
  std::string from, to, tenant, by = "tenant", period;
  bool csv = false, json = false;
};

std::string UsagePath(const UsageFlags& f) {
  std::string path = "/v1/usage?by=" + f.by;
  if (!f.period.empty()) path += "&period=" + f.period;
  if (!f.from.empty()) path += "&from=" + f.from;
  if (!f.to.empty()) path += "&to=" + f.to;
  if (!f.tenant.empty()) path += "&tenant=" + f.tenant;
  if (f.csv) path += "&format=csv";
  return path;
}

void PrintUsageTable(const Json& j) {
  std::vector<std::string> dims;
  for (const char* d : {"period", "tenant", "user", "model", "job"}) {
    if (!j["rows"].empty() && j["rows"][0].contains(d)) dims.push_back(d);
  }
  std::vector<std::string> header;
  if (dims.empty()) header.push_back("");
  for (const std::string& d : dims) {
    std::string upper = d;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    header.push_back(upper);
  }
  for (const char* h : {"GPU-HOURS", "CPU-HOURS", "MEM-GIB-H", "COST"}) header.push_back(h);
  Table table(header);
  auto add = [&](const Json& row, bool total) {
    std::vector<std::string> cells;
    for (size_t i = 0; i < dims.size(); ++i) {
      const Json& v = row.value(dims[i], Json());
      cells.push_back(total ? (i == 0 ? "TOTAL" : "")
                            : v.is_string() ? v.get<std::string>() : v.dump());
    }
    if (dims.empty()) cells.push_back(total ? "TOTAL" : "");
    cells.push_back(Fixed(row.value("gpu_hours", 0.0), 4));
    cells.push_back(Fixed(row.value("cpu_hours", 0.0), 2));
    cells.push_back(Fixed(row.value("memory_gib_hours", 0.0), 2));
    cells.push_back(Fixed(row.value("cost", 0.0), 2));
    table.AddRow(std::move(cells));
  };
  for (const Json& row : j["rows"]) add(row, false);
  add(j["total"], true);
  std::printf("usage from %s to %s (%s)\n", j.value("from", "").c_str(), j.value("to", "").c_str(),
              j.value("currency", "").c_str());
  std::fputs(table.Render().c_str(), stdout);
}

void AddUsage(CLI::App& app, const std::shared_ptr<GlobalFlags>& g, int& exit_code) {
  auto f = std::make_shared<UsageFlags>();
  CLI::App* cmd = AddCommand(app, "usage", "Metered GPU, CPU and memory use and its cost");
  cmd->footer(
      "Examples:\n"
      "  fastgpu usage                                 # this month, by tenant\n"
      "  fastgpu usage --by tenant,model --period day --from 2024-05-01\n"
      "  fastgpu usage --by user,job --csv > may.csv");
  cmd->add_option("--from", f->from, "First day, YYYY-MM-DD or YYYY-MM (default: this month)");
  cmd->add_option("--to", f->to, "Day after the last, YYYY-MM-DD or YYYY-MM (default: now)");
  cmd->add_option("--tenant", f->tenant, "Only this tenant (admins)");
  cmd->add_option("--by", f->by, "Group by tenant, user, model, job (comma-separated)");
  cmd->add_option("--period", f->period, "Also by day or month");
  cmd->add_flag("--csv", f->csv, "Print CSV");
  cmd->add_flag("--json", f->json, "Print JSON");
  cmd->callback([g, f, &exit_code] {
    std::unique_ptr<ApiClient> client = Connect(*g);
    if (client == nullptr) {
      exit_code = kExitError;
      return;
    }
    Result<std::string> reply = client->Call("GET", UsagePath(*f), "");
    if (!reply.ok()) {
      exit_code = ReportError(reply.error());
      return;
    }
    exit_code = kExitOk;
    if (f->csv) {
      std::fputs(reply->c_str(), stdout);
      return;
    }
    Json j = Json::parse(*reply, nullptr, false);
    if (j.is_discarded()) {
      exit_code = ReportError(Internal("the server's reply is not JSON"));
      return;
    }
    if (f->json) {
      std::printf("%s\n", j.dump(2).c_str());
      return;
    }
    PrintUsageTable(j);
  });
}

void AddPrice(CLI::App& app, const std::shared_ptr<GlobalFlags>& g, int& exit_code) {
  CLI::App* price = app.add_subcommand("price", "The price table: list, set");
  price->require_subcommand(1);
  auto json = std::make_shared<bool>(false);
  CLI::App* list = AddCommand(*price, "list", "Prices with the dates they apply from");
  list->add_flag("--json", *json, "Print JSON");
  auto print = [](const Json& j) {
    Table table({"RESOURCE", "PRICE", "UNIT", "FROM"});
    for (const Json& p : j["prices"]) {
      const std::string r = p.value("resource", "");
      const char* unit = r == "cpu"       ? "per CPU-hour"
                         : r == "memory"  ? "per GiB-hour"
                         : r == "storage" ? "per GiB-month"
                                          : "per GPU-hour";
      table.AddRow({r, Fixed(p.value("price", 0.0), 4) + " " + j.value("currency", ""), unit,
                    p.value("from", "")});
    }
    std::fputs(table.Render().c_str(), stdout);
  };
  list->callback([=, &exit_code] {
    std::unique_ptr<ApiClient> client = Connect(*g);
    if (client == nullptr) {
      exit_code = kExitError;
      return;
    }
    Result<std::string> reply = client->Call("GET", "/v1/prices", "");
    if (!reply.ok()) {
      exit_code = ReportError(reply.error());
      return;
    }
    exit_code = kExitOk;
    Json j = Json::parse(*reply, nullptr, false);
    if (*json) {
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      print(j);
    }
  });
  struct SetFlags {
    std::string resource, from;
    double price = -1;
  };
  auto f = std::make_shared<SetFlags>();
  CLI::App* set = AddCommand(*price, "set", "Set a price from a date on (admins)");
  set->footer(
      "RESOURCE: gpu:<model> (e.g. gpu:A100-80GB), gpu:* (any other model), cpu, memory,\n"
      "storage. PRICE per GPU-hour, CPU-hour, GiB-hour, or GiB-month for storage.\n"
      "Example: fastgpu price set gpu:A100-80GB 2.50 --from 2024-06-01");
  set->add_option("RESOURCE", f->resource, "What the price is for")->required();
  set->add_option("PRICE", f->price, "Price in the currency, per unit-hour")->required();
  set->add_option("--from", f->from, "First day it applies, YYYY-MM-DD (default: now)");
  set->callback([=, &exit_code] {
    Json body = {{"resource", f->resource}, {"price", f->price}};
    if (!f->from.empty()) body["from"] = f->from;
    std::unique_ptr<ApiClient> client = Connect(*g);
    if (client == nullptr) {
      exit_code = kExitError;
      return;
    }
    Result<std::string> reply = client->Call("PUT", "/v1/prices", body.dump());
    if (!reply.ok()) {
      exit_code = ReportError(reply.error());
      return;
    }
    exit_code = kExitOk;
    print(Json::parse(*reply, nullptr, false));
  });
}

}  // namespace

void RegisterUsageCommands(CLI::App& app, const std::shared_ptr<GlobalFlags>& globals,
                           int& exit_code) {
  AddUsage(app, globals, exit_code);
  AddPrice(app, globals, exit_code);
}

}  // namespace fastgpu::cli
