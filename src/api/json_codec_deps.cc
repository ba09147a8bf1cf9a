// Job dependencies in the user API's JSON: see json_deps.h.
#include <limits>
#include <string>

#include "api/json_deps.h"

namespace fastgpu::api::json_deps {
namespace {

using json_util::Json;

Status ParseStructured(const Json& list, std::vector<Dependency>* out) {
  if (!list.is_array()) {
    return InvalidArgument("dependencies must be a list of {\"kind\": \"ok\"|\"any\", \"job\": ID}",
                           "dependencies");
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string at = "dependencies[" + std::to_string(i) + "]";
    const Json& item = list[i];
    if (!item.is_object()) {
      return InvalidArgument(at + " must be an object {\"kind\": \"ok\"|\"any\", \"job\": ID}", at);
    }
    FG_RETURN_IF_ERROR(json_util::CheckKnownKeys(item, {"kind", "job"}, at + "."));
    Dependency dep;
    if (!item.contains("kind")) return InvalidArgument(at + ".kind is required", at + ".kind");
    FG_ASSIGN_OR_RETURN(std::string kind, json_util::GetString(item["kind"], at + ".kind"));
    if (!ParseDependencyKind(kind, &dep.kind)) {
      return InvalidArgument(at + ".kind must be \"ok\" (after the job succeeded) or \"any\" "
                                  "(after it ended), got \"" + kind + "\"",
                             at + ".kind");
    }
    if (!item.contains("job")) return InvalidArgument(at + ".job is required", at + ".job");
    FG_ASSIGN_OR_RETURN(dep.job, json_util::GetInt(item["job"], at + ".job", 1,
                                                   std::numeric_limits<int64_t>::max()));
    FG_RETURN_IF_ERROR(AppendDependency(dep, "dependencies", out));
  }
  return Status::Ok();
}

Status ParseText(const Json& after, std::vector<Dependency>* out) {
  std::vector<std::string> texts;
  if (after.is_string()) {
    texts.push_back(after.get<std::string>());
  } else {
    FG_ASSIGN_OR_RETURN(texts, json_util::GetStringArray(after, "after"));
  }
  for (const std::string& text : texts) {
    std::vector<Dependency> parsed;
    FG_RETURN_IF_ERROR(ParseDependencies(text, "after", &parsed));
    for (const Dependency& dep : parsed) FG_RETURN_IF_ERROR(AppendDependency(dep, "after", out));
  }
  return Status::Ok();
}

}  // namespace

Status Parse(const Json& body, std::vector<Dependency>* out) {
  if (auto it = body.find("dependencies"); it != body.end() && !it->is_null()) {
    FG_RETURN_IF_ERROR(ParseStructured(*it, out));
  }
  if (auto it = body.find("after"); it != body.end() && !it->is_null()) {
    FG_RETURN_IF_ERROR(ParseText(*it, out));
  }
  return Status::Ok();
}

nlohmann::ordered_json Encode(const std::vector<Dependency>& deps) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const Dependency& d : deps) {
    out.push_back({{"kind", std::string(DependencyKindName(d.kind))}, {"job", d.job}});
  }
  return out;
}

}  // namespace fastgpu::api::json_deps
