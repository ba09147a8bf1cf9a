// `fastgpu key`, `fastgpu tenant`, `fastgpu audit` and `fastgpu whoami`: the tenant API
// (docs/security.md). Replies are read as JSON here: they have no typed struct elsewhere.
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/cmd_admin.h"
#include "cli/cmd_common.h"
#include "cli/format.h"
#include "common/units.h"

namespace fastgpu::cli {
namespace {

using Json = nlohmann::json;

CLI::App* AddCommand(CLI::App& parent, const char* name, const char* help) {
  CLI::App* cmd = parent.add_subcommand(name, help);
  cmd->fallthrough();
  return cmd;
}

// Calls the API and parses the reply; prints the error and returns nullopt on failure.
std::optional<Json> CallJson(const GlobalFlags& globals, const char* method,
                             const std::string& path, const std::string& body, int& exit_code) {
  std::unique_ptr<ApiClient> client = Connect(globals);
  if (client == nullptr) {
    exit_code = kExitError;
    return std::nullopt;
  }
  Result<std::string> reply = client->Call(method, path, body);
  if (!reply.ok()) {
    exit_code = ReportError(reply.error());
    return std::nullopt;
  }
  Json j = Json::parse(*reply, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    exit_code = ReportError(Internal("the server's reply is not JSON"));
    return std::nullopt;
  }
  exit_code = kExitOk;
  return j;
}

void PrintJson(const Json& j) { std::printf("%s\n", j.dump(2).c_str()); }

std::string Str(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string Limit(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer() || it->get<int64_t>() < 0) return "-";
  return std::to_string(it->get<int64_t>());
}

std::string When(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return "-";
  const int64_t ms = it->get<int64_t>();
  return ms > NowMs() ? "in " + FormatDuration(ms - NowMs()) : FormatDuration(NowMs() - ms) + " ago";
}

// "30d", "12h", "90m", "3600" (seconds) -> milliseconds.
Result<int64_t> ParseDurationMs(const std::string& text, const std::string& flag) {
  static const std::map<char, int64_t> kUnits = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
  std::string digits = text;
  int64_t mult = 1;
  if (!text.empty() && kUnits.count(text.back()) > 0) {
    mult = kUnits.at(text.back());
    digits.pop_back();
  }
  if (digits.empty() || digits.size() > 9 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return InvalidArgument(text + ": not a duration; use 3600 (seconds), 90m, 12h or 30d", flag);
  }
  return std::stoll(digits) * mult * 1000;
}

std::string BudgetText(const Json& t) {
  const Json& b = t.value("budget", Json());
  if (!b.is_object()) return "-";
  const double limit = b.value("limit", 0.0);
  char buf[64];
  if (b.value("kind", "") == "gpu_hours") {
    std::snprintf(buf, sizeof buf, "%g GPU-h/month", limit);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f/month", limit);
  }
  std::string out = buf;
  if (b.value("preempt", false)) out += " (preempt)";
  if (b.contains("used") && b["used"].is_number()) {
    std::snprintf(buf, sizeof buf, b.value("kind", "") == "gpu_hours" ? " (%g used)" : " (%.2f used)",
                  b["used"].get<double>());
    out += buf;
  }
  return out;
}

// A key's budget flags (`key create`, `key set`).
struct KeyBudgetFlags {
  std::optional<double> currency, gpu_hours;
  std::optional<int> warn;
  bool none = false;

  void Add(CLI::App& cmd, bool with_none) {
    cmd.add_option("--budget", currency, "Monthly budget of this key's jobs, in currency");
    cmd.add_option("--budget-gpu-hours", gpu_hours, "Monthly budget in GPU-hours");
    cmd.add_option("--budget-warn", warn, "Warning event at this percent (default 80)");
    if (with_none) cmd.add_flag("--no-budget", none, "Remove the key's budget");
  }
  // The "budget" member to send; nullopt when no budget flag is given.
  Result<std::optional<Json>> Body() const {
    if (currency && gpu_hours) {
      return InvalidArgument("give --budget or --budget-gpu-hours, not both", "--budget");
    }
    if (none) return std::optional<Json>(Json(nullptr));
    if (!currency && !gpu_hours) {
      if (warn) return InvalidArgument("--budget-warn needs --budget or --budget-gpu-hours",
                                       "--budget-warn");
      return std::optional<Json>();
    }
    Json b = {{"kind", currency ? "currency" : "gpu_hours"},
              {"limit", currency ? *currency : *gpu_hours}};
    if (warn) b["warn_percent"] = *warn;
    return std::optional<Json>(std::move(b));
  }
};

void AddKeySet(CLI::App& key, const std::shared_ptr<GlobalFlags>& g, int& exit_code) {
  struct SetFlags {
    std::string prefix;
    KeyBudgetFlags budget;
  };
  auto f = std::make_shared<SetFlags>();
  CLI::App* set = AddCommand(key, "set", "Set or remove a key's monthly budget (admins)");
  set->add_option("PREFIX", f->prefix, "The key's prefix, e.g. fgk_1a2b3c4d")->required();
  f->budget.Add(*set, true);
  set->callback([g, f, &exit_code] {
    Result<std::optional<Json>> budget = f->budget.Body();
    if (budget.ok() && !*budget) {
      budget = InvalidArgument("nothing to change: give --budget, --budget-gpu-hours or "
                               "--no-budget", "PREFIX");
    }
    if (!budget.ok()) {
      exit_code = ReportUsageError(budget.error());
      return;
    }
    Json body = {{"budget", **budget}};
    std::optional<Json> k = CallJson(*g, "PUT", "/v1/keys/" + f->prefix, body.dump(), exit_code);
    if (k) std::printf("key %s: budget %s\n", Str(*k, "prefix").c_str(), BudgetText(*k).c_str());
  });
}

void AddKey(CLI::App& app, const std::shared_ptr<GlobalFlags>& g, int& exit_code) {
  CLI::App* key =
      app.add_subcommand("key", "API keys: create (shown once), list, set a budget, revoke");
  key->require_subcommand(1);
  struct CreateFlags {
    std::string tenant, role = "member", user, label, expires;
    KeyBudgetFlags budget;
    bool json = false;
  };
  auto f = std::make_shared<CreateFlags>();
  CLI::App* create = AddCommand(*key, "create", "Create a key (admins); it is printed once");
  create->add_option("--tenant", f->tenant, "Tenant of the key (default: yours)");
  create->add_option("--role", f->role, "admin, member (default), viewer or submit-only");
  create->add_option("--user", f->user, "Who holds it, e.g. alice or ci-bot");
  create->add_option("--label", f->label, "A note, e.g. 'CI of repo x'");
  create->add_option("--expires", f->expires, "Lifetime: 3600 (seconds), 90m, 12h, 30d");
  f->budget.Add(*create, false);
  create->add_flag("--json", f->json, "Print the key object as JSON");
  create->callback([g, f, &exit_code] {
    Json body = {{"role", f->role}};
    Result<std::optional<Json>> budget = f->budget.Body();
    if (!budget.ok()) {
      exit_code = ReportUsageError(budget.error());
      return;
    }
    if (*budget) body["budget"] = **budget;
    if (!f->tenant.empty()) body["tenant"] = f->tenant;
    if (!f->user.empty()) body["user"] = f->user;
    if (!f->label.empty()) body["label"] = f->label;
    if (!f->expires.empty()) {
      Result<int64_t> ms = ParseDurationMs(f->expires, "--expires");
      if (!ms.ok()) {
        exit_code = ReportUsageError(ms.error());
        return;
      }
      body["expires_ms"] = NowMs() + *ms;
    }
    std::optional<Json> k = CallJson(*g, "POST", "/v1/keys", body.dump(), exit_code);
    if (!k) return;
    if (f->json) return PrintJson(*k);
    std::printf("%s\n", Str(*k, "key").c_str());
    std::fprintf(stderr,
                 "key %s for tenant %s (role %s) created; it is shown only now: store it safely\n",
                 Str(*k, "prefix").c_str(), Str(*k, "tenant").c_str(), Str(*k, "role").c_str());
  });

  auto list_tenant = std::make_shared<std::string>();
  auto list_json = std::make_shared<bool>(false);
  CLI::App* list = AddCommand(*key, "list", "List keys without their secrets (admins)");
  list->add_option("--tenant", *list_tenant, "Only this tenant's keys");
  list->add_flag("--json", *list_json, "Print JSON");
  list->callback([=, &exit_code] {
    std::string path = "/v1/keys";
    if (!list_tenant->empty()) path += "?tenant=" + *list_tenant;
    std::optional<Json> j = CallJson(*g, "GET", path, "", exit_code);
    if (!j) return;
    if (*list_json) return PrintJson((*j)["keys"]);
    Table table({"PREFIX", "TENANT", "ROLE", "USER", "CREATED", "EXPIRES", "STATE", "BUDGET",
                 "LABEL"});
    for (const Json& k : (*j)["keys"]) {
      table.AddRow({Str(k, "prefix"), Str(k, "tenant"), Str(k, "role"), Str(k, "user"),
                    When(k, "created_ms"), When(k, "expires_ms"),
                    k.value("revoked", false) ? "revoked" : "active", BudgetText(k),
                    Str(k, "label")});
    }
    std::fputs(table.Render().c_str(), stdout);
  });

  auto prefix = std::make_shared<std::string>();
  CLI::App* revoke = AddCommand(*key, "revoke", "Revoke a key at once (admins: any key)");
  revoke->add_option("PREFIX", *prefix, "The key's prefix, e.g. fgk_1a2b3c4d")->required();
  revoke->callback([=, &exit_code] {
    std::optional<Json> k =
        CallJson(*g, "POST", "/v1/keys/" + *prefix + "/revoke", "", exit_code);
    if (k) std::printf("revoked %s\n", Str(*k, "prefix").c_str());
  });
  AddKeySet(*key, g, exit_code);
}

struct TenantFlags {
  std::string name;
  std::optional<int> weight, guaranteed_gpus, max_gpus, max_running_jobs;
  std::string max_gpu_memory;
  std::optional<double> budget_currency, budget_gpu_hours;
  std::optional<int> budget_warn;
  bool budget_preempt = false, no_budget = false;
};

// The PUT body of `tenant set`; InvalidArgument naming the flag.
Result<Json> TenantBody(const TenantFlags& f) {
  Json body = Json::object();
  if (f.weight) body["weight"] = *f.weight;
  if (f.guaranteed_gpus) body["guaranteed_gpus"] = *f.guaranteed_gpus;
  if (f.max_gpus) body["max_gpus"] = *f.max_gpus;
  if (f.max_running_jobs) body["max_running_jobs"] = *f.max_running_jobs;
  if (!f.max_gpu_memory.empty()) {
    if (f.max_gpu_memory == "-1" || f.max_gpu_memory == "none") {
      body["max_gpu_memory_mib"] = -1;
    } else {
      FG_ASSIGN_OR_RETURN(int64_t mib, ParseSizeMiB(f.max_gpu_memory, "--max-gpu-memory"));
      body["max_gpu_memory_mib"] = mib;
    }
  }
  if (f.budget_currency && f.budget_gpu_hours) {
    return InvalidArgument("give --budget or --budget-gpu-hours, not both", "--budget");
  }
  if (f.no_budget) {
    body["budget"] = nullptr;
  } else if (f.budget_currency || f.budget_gpu_hours) {
    Json b = {{"kind", f.budget_currency ? "currency" : "gpu_hours"},
              {"limit", f.budget_currency ? *f.budget_currency : *f.budget_gpu_hours},
              {"preempt", f.budget_preempt}};
    if (f.budget_warn) b["warn_percent"] = *f.budget_warn;
    body["budget"] = b;
  } else if (f.budget_warn || f.budget_preempt) {
    return InvalidArgument("--budget-warn and --budget-preempt need --budget or "
                           "--budget-gpu-hours",
                           "--budget-warn");
  }
  if (body.empty()) return InvalidArgument("nothing to change: give a quota or budget flag", "NAME");
  return body;
}

void PrintTenants(const Json& tenants) {
  Table table({"TENANT", "WEIGHT", "GUARANTEED", "MAX-GPUS", "MAX-JOBS", "MAX-GPU-MEM", "BUDGET"});
  for (const Json& t : tenants) {
    const int64_t mem = t.value("max_gpu_memory_mib", int64_t{-1});
    table.AddRow({Str(t, "name"), Str(t, "weight"), Str(t, "guaranteed_gpus"),
                  Limit(t, "max_gpus"), Limit(t, "max_running_jobs"),
                  mem < 0 ? "-" : FormatMiB(mem), BudgetText(t)});
  }
  std::fputs(table.Render().c_str(), stdout);
}

void AddTenant(CLI::App& app, const std::shared_ptr<GlobalFlags>& g, int& exit_code) {
  CLI::App* tenant = app.add_subcommand("tenant", "Tenants: quotas and budgets");
  tenant->require_subcommand(1);
  auto json = std::make_shared<bool>(false);
  CLI::App* list = AddCommand(*tenant, "list", "Tenants with quotas and budgets");
  list->add_flag("--json", *json, "Print JSON");
  list->callback([=, &exit_code] {
    std::optional<Json> j = CallJson(*g, "GET", "/v1/tenants", "", exit_code);
    if (!j) return;
    if (*json) return PrintJson((*j)["tenants"]);
    PrintTenants((*j)["tenants"]);
  });
  auto name = std::make_shared<std::string>();
  CLI::App* show = AddCommand(*tenant, "show", "One tenant");
  show->add_option("NAME", *name, "Tenant")->required();
  show->add_flag("--json", *json, "Print JSON");
  show->callback([=, &exit_code] {
    std::optional<Json> j = CallJson(*g, "GET", "/v1/tenants/" + *name, "", exit_code);
    if (!j) return;
    if (*json) return PrintJson(*j);
    PrintTenants(Json::array({*j}));
  });
  auto f = std::make_shared<TenantFlags>();
  CLI::App* set = AddCommand(*tenant, "set", "Change a tenant's quotas and budget (admins)");
  set->footer("Example: fastgpu tenant set research --max-gpus 8 --budget 500 --budget-warn 80\n"
              "Quotas take effect at once; -1 removes a limit.");
  set->add_option("NAME", f->name, "Tenant")->required();
  set->add_option("--weight", f->weight, "Fair-share weight (>= 1)");
  set->add_option("--guaranteed-gpus", f->guaranteed_gpus, "GPUs held for it");
  set->add_option("--max-gpus", f->max_gpus, "Most GPUs it holds at once (-1: none)");
  set->add_option("--max-running-jobs", f->max_running_jobs, "Most jobs at once (-1: none)");
  set->add_option("--max-gpu-memory", f->max_gpu_memory,
                  "Largest GPU memory slice per job, e.g. 40GiB (-1: none)");
  set->add_option("--budget", f->budget_currency, "Monthly budget in the price currency");
  set->add_option("--budget-gpu-hours", f->budget_gpu_hours, "Monthly budget in GPU-hours");
  set->add_option("--budget-warn", f->budget_warn, "Warn at this percent (default 80)");
  set->add_flag("--budget-preempt", f->budget_preempt,
                "At 100 % also stop its running preemptible jobs");
  set->add_flag("--no-budget", f->no_budget, "Remove the budget");
  set->callback([=, &exit_code] {
    Result<Json> body = TenantBody(*f);
    if (!body.ok()) {
      exit_code = ReportUsageError(body.error());
      return;
    }
    std::optional<Json> j = CallJson(*g, "PUT", "/v1/tenants/" + f->name, body->dump(), exit_code);
    if (j) PrintTenants(Json::array({*j}));
  });
}

void AddAudit(CLI::App& app, const std::shared_ptr<GlobalFlags>& g, int& exit_code) {
  auto tenant = std::make_shared<std::string>();
  auto limit = std::make_shared<int>(50);
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = AddCommand(app, "audit", "The audit log of changes, newest first (admins)");
  cmd->add_option("--tenant", *tenant, "Only this tenant's requests");
  cmd->add_option("-n,--limit", *limit, "How many entries (default 50, at most 1000)");
  cmd->add_flag("--json", *json, "Print JSON");
  cmd->callback([=, &exit_code] {
    std::string path = "/v1/audit?limit=" + std::to_string(*limit);
    if (!tenant->empty()) path += "&tenant=" + *tenant;
    std::optional<Json> j = CallJson(*g, "GET", path, "", exit_code);
    if (!j) return;
    if (*json) return PrintJson((*j)["entries"]);
    Table table({"WHEN", "KEY", "TENANT", "USER", "REQUEST", "STATUS", "FROM"});
    for (const Json& e : (*j)["entries"]) {
      table.AddRow({When(e, "at_ms"), Str(e, "key_prefix"), Str(e, "tenant"), Str(e, "user"),
                    Str(e, "method") + " " + Str(e, "path"), Str(e, "status"), Str(e, "remote")});
    }
    std::fputs(table.Render().c_str(), stdout);
  });
}

void AddWhoami(CLI::App& app, const std::shared_ptr<GlobalFlags>& g, int& exit_code) {
  CLI::App* cmd = AddCommand(app, "whoami", "The tenant, role and user of your API key");
  cmd->callback([=, &exit_code] {
    std::optional<Json> j = CallJson(*g, "GET", "/v1/whoami", "", exit_code);
    if (!j) return;
    std::printf("tenant %s, role %s, key %s%s\n", Str(*j, "tenant").c_str(),
                Str(*j, "role").c_str(), Str(*j, "key_prefix").c_str(),
                Str(*j, "user").empty() ? "" : (", user " + Str(*j, "user")).c_str());
  });
}

}  // namespace

void RegisterAdminCommands(CLI::App& app, const std::shared_ptr<GlobalFlags>& globals,
                           int& exit_code) {
  AddKey(app, globals, exit_code);
  AddTenant(app, globals, exit_code);
  AddAudit(app, globals, exit_code);
  AddWhoami(app, globals, exit_code);
}

}  // namespace fastgpu::cli
