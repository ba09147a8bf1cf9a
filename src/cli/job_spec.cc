#include "cli/job_spec.h"

#include <yaml-cpp/yaml.h>

#include <exception>
#include <map>
#include <set>
#include <utility>

namespace fastgpu::cli {
namespace {

// Where each YAML key's value lands, and which `run` flag has the same meaning.
const std::map<std::string, std::string>& FlagToKey() {
  static const auto* const kMap = new std::map<std::string, std::string>{
      {"--gpus", "resources.gpus"},
      {"--gpu-memory", "resources.gpu_memory"},
      {"--cpus", "resources.cpus"},
      {"--memory", "resources.memory"},
      {"--gpu-model", "resources.gpu_models"},
      {"--nodes", "resources.nodes"},
      {"--priority", "priority"},
      {"--env", "env"},
      {"--max-retries", "retries"},
      {"--time-limit", "time_limit"},
      {"--stop-signal", "stop_signal"},
      {"--array", "array"},
      {"--after", "after"},
      {"command", "command"},
  };
  return *kMap;
}

const std::set<std::string> kTopKeys = {"name",    "command",     "env",
                                        "workdir", "resources",   "priority",
                                        "retries", "max_retries", "time_limit",
                                        "stop_signal", "keep_outputs", "array",
                                        "after"};
const std::set<std::string> kResourceKeys = {"gpus",   "gpu_memory", "cpus",
                                             "memory", "gpu_models", "nodes"};

class SpecReader {
 public:
  explicit SpecReader(std::string source) : source_(std::move(source)) {}

  Status Error(const YAML::Node& node, const std::string& key, const std::string& what) const {
    std::string where =
        node.Mark().is_null() ? "" : "line " + std::to_string(node.Mark().line + 1) + ": ";
    return Fail(where + key + ": " + what);
  }

  Result<std::string> Scalar(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) return Error(node, key, "must be a single value, not a list or map");
    return node.Scalar();
  }

  Result<std::vector<std::string>> List(const YAML::Node& node, const std::string& key) const {
    if (node.IsScalar()) return std::vector<std::string>{node.Scalar()};
    if (!node.IsSequence()) return Error(node, key, "must be a list of strings");
    std::vector<std::string> out;
    for (const YAML::Node& item : node) {
      FG_ASSIGN_OR_RETURN(std::string s, Scalar(item, key + "[]"));
      out.push_back(std::move(s));
    }
    return out;
  }

  Status CheckKeys(const YAML::Node& map, const std::set<std::string>& known,
                   const std::string& prefix) const {
    for (const auto& kv : map) {
      std::string key = kv.first.as<std::string>();
      if (known.count(key) == 0) {
        std::string list;
        for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
        return Error(kv.first, prefix + key, "unknown key; use one of: " + list);
      }
    }
    return Status::Ok();
  }

  Status Command(const YAML::Node& node, RunOptions& o) const {
    if (node.IsScalar()) {
      o.argv = {"/bin/sh", "-c", node.Scalar()};
    } else {
      FG_ASSIGN_OR_RETURN(o.argv, List(node, "command"));
    }
    if (o.argv.empty() || o.argv[0].empty()) {
      return Error(node, "command", "must not be empty; e.g. command: python3 train.py");
    }
    return Status::Ok();
  }

  Status Resources(const YAML::Node& r, RunOptions& o) const {
    if (!r.IsMap()) return Error(r, "resources", "must be a map, e.g. {gpus: 1}");
    FG_RETURN_IF_ERROR(CheckKeys(r, kResourceKeys, "resources."));
    if (r["gpus"]) {
      FG_ASSIGN_OR_RETURN(o.gpus, Scalar(r["gpus"], "resources.gpus"));
    }
    if (r["gpu_memory"]) {
      FG_ASSIGN_OR_RETURN(o.gpu_memory, Scalar(r["gpu_memory"], "resources.gpu_memory"));
    }
    if (r["cpus"]) {
      FG_ASSIGN_OR_RETURN(o.cpus, Scalar(r["cpus"], "resources.cpus"));
    }
    if (r["memory"]) {
      FG_ASSIGN_OR_RETURN(o.memory, Scalar(r["memory"], "resources.memory"));
    }
    if (r["gpu_models"]) {
      FG_ASSIGN_OR_RETURN(o.gpu_models, List(r["gpu_models"], "resources.gpu_models"));
    }
    if (r["nodes"]) {
      FG_ASSIGN_OR_RETURN(o.nodes, Scalar(r["nodes"], "resources.nodes"));
    }
    return Status::Ok();
  }

  Result<std::string> TimeLimit(const YAML::Node& node) const {
    FG_ASSIGN_OR_RETURN(std::string text, Scalar(node, "time_limit"));
    static const std::map<char, long long> kUnits = {
        {'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
    long long mult = 1;
    std::string digits = text;
    if (!text.empty() && kUnits.count(text.back()) > 0) {
      mult = kUnits.at(text.back());
      digits.pop_back();
    }
    if (digits.empty() || digits.size() > 12 ||
        digits.find_first_not_of("0123456789") != std::string::npos) {
      return Error(node, "time_limit",
                   text + ": not a duration; use seconds (3600) or 90m, 2h, 1d");
    }
    return std::to_string(std::stoll(digits) * mult);
  }

  Status Top(const YAML::Node& root, RunOptions& o) const {
    FG_RETURN_IF_ERROR(CheckKeys(root, kTopKeys, ""));
    if (!root["command"]) {
      return Fail("command: missing; add e.g. `command: python3 train.py`");
    }
    FG_RETURN_IF_ERROR(Command(root["command"], o));
    if (root["name"]) {
      FG_ASSIGN_OR_RETURN(o.name, Scalar(root["name"], "name"));
    }
    if (root["workdir"]) {
      FG_ASSIGN_OR_RETURN(o.workdir, Scalar(root["workdir"], "workdir"));
    }
    if (root["priority"]) {
      FG_ASSIGN_OR_RETURN(o.priority, Scalar(root["priority"], "priority"));
    }
    for (const char* key : {"retries", "max_retries"}) {
      if (root[key]) {
        FG_ASSIGN_OR_RETURN(o.max_retries, Scalar(root[key], key));
      }
    }
    if (root["time_limit"]) {
      FG_ASSIGN_OR_RETURN(o.time_limit, TimeLimit(root["time_limit"]));
    }
    if (root["stop_signal"]) {
      FG_ASSIGN_OR_RETURN(o.stop_signal, Scalar(root["stop_signal"], "stop_signal"));
    }
    if (root["array"]) {
      FG_ASSIGN_OR_RETURN(o.array, Scalar(root["array"], "array"));
    }
    if (root["after"]) {  // "ok:12,13" or a list of such
      FG_ASSIGN_OR_RETURN(o.after, List(root["after"], "after"));
    }
    if (root["keep_outputs"]) {
      FG_ASSIGN_OR_RETURN(std::string keep, Scalar(root["keep_outputs"], "keep_outputs"));
      if (keep != "true" && keep != "false") {
        return Error(root["keep_outputs"], "keep_outputs", "must be true or false");
      }
      o.keep_outputs = keep == "true";
    }
    if (const YAML::Node env = root["env"]) {
      if (!env.IsMap()) return Error(env, "env", "must be a map of NAME: value");
      for (const auto& kv : env) {
        FG_ASSIGN_OR_RETURN(std::string v, Scalar(kv.second, "env." + kv.first.Scalar()));
        o.env.push_back(kv.first.Scalar() + "=" + v);
      }
    }
    if (root["resources"]) {
      FG_RETURN_IF_ERROR(Resources(root["resources"], o));
    }
    return Status::Ok();
  }

  // A BuildSubmitBody error about a flag, told in the file's words.
  Status Translate(const Status& status) const {
    auto it = FlagToKey().find(status.field());
    std::string key = it == FlagToKey().end() ? status.field() : it->second;
    return Fail(key + ": " + status.message());
  }

  // Errors name the flag -f: "-f job.yaml: line 3: KEY: problem".
  Status Fail(const std::string& what) const {
    return InvalidArgument(source_ + ": " + what, "-f");
  }

 private:
  std::string source_;
};

}  // namespace

Result<RunOptions> ParseJobSpec(const std::string& yaml, const std::string& source) {
  SpecReader reader(source);
  RunOptions o;
  try {
    YAML::Node root = YAML::Load(yaml);
    if (!root.IsMap()) {
      return reader.Fail("not a job spec: expected a YAML map with at least `command:`");
    }
    FG_RETURN_IF_ERROR(reader.Top(root, o));
  } catch (const YAML::Exception& e) {
    return reader.Fail("line " + std::to_string(e.mark.line + 1) + ": YAML: " + e.msg);
  } catch (const std::exception& e) {
    return reader.Fail(std::string("YAML: ") + e.what());
  }
  Result<std::string> body = BuildSubmitBody(o);
  if (!body.ok()) return reader.Translate(body.error());
  return o;
}

RunOptions MergeRunOptions(RunOptions base, const RunOptions& f) {
  auto over = [](std::string& dst, const std::string& src) {
    if (!src.empty()) dst = src;
  };
  over(base.gpus, f.gpus);
  over(base.gpu_memory, f.gpu_memory);
  over(base.cpus, f.cpus);
  over(base.memory, f.memory);
  over(base.nodes, f.nodes);
  over(base.priority, f.priority);
  over(base.name, f.name);
  over(base.workdir, f.workdir);
  over(base.max_retries, f.max_retries);
  over(base.time_limit, f.time_limit);
  over(base.stop_signal, f.stop_signal);
  over(base.array, f.array);
  base.keep_outputs = base.keep_outputs || f.keep_outputs;
  base.env.insert(base.env.end(), f.env.begin(), f.env.end());
  base.after.insert(base.after.end(), f.after.begin(), f.after.end());
  base.gpu_models.insert(base.gpu_models.end(), f.gpu_models.begin(), f.gpu_models.end());
  if (!f.argv.empty()) base.argv = f.argv;
  return base;
}

}  // namespace fastgpu::cli
