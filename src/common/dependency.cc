#include "common/dependency.h"

#include <algorithm>
#include <charconv>

namespace fastgpu {
namespace {

constexpr const char* kHow = "write KIND:ID with KIND ok (after it succeeded) or any (after it "
                             "ended), e.g. ok:12 or ok:12,13,any:14";

Status Bad(std::string_view text, const std::string& what, const std::string& field) {
  return InvalidArgument("\"" + std::string(text) + "\": " + what + "; " + kHow, field);
}

// A positive job number, or 0.
int64_t JobNumber(std::string_view s) {
  int64_t v = 0;
  if (s.empty() || s.size() > 18) return 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v <= 0) return 0;
  return v;
}

}  // namespace

std::string_view DependencyKindName(DependencyKind kind) {
  return kind == DependencyKind::kOk ? "ok" : "any";
}

bool ParseDependencyKind(std::string_view text, DependencyKind* out) {
  if (text == "ok" || text == "afterok") {
    *out = DependencyKind::kOk;
  } else if (text == "any" || text == "afterany") {
    *out = DependencyKind::kAny;
  } else {
    return false;
  }
  return true;
}

std::string DependencyText(const Dependency& dep) {
  return std::string(DependencyKindName(dep.kind)) + ":" + std::to_string(dep.job);
}

std::string DependenciesText(const std::vector<Dependency>& deps) {
  std::string out;
  for (size_t i = 0; i < deps.size(); ++i) {
    if (i > 0) out += ',';
    if (i > 0 && deps[i].kind == deps[i - 1].kind) {
      out += std::to_string(deps[i].job);
    } else {
      out += DependencyText(deps[i]);
    }
  }
  return out;
}

Status AppendDependency(const Dependency& dep, const std::string& field,
                        std::vector<Dependency>* out) {
  if (std::find(out->begin(), out->end(), dep) != out->end()) return Status::Ok();
  if (out->size() >= kMaxDependencies) {
    return InvalidArgument("more than " + std::to_string(kMaxDependencies) +
                               " dependencies; a job may wait for at most " +
                               std::to_string(kMaxDependencies) +
                               " jobs (an array counts as one: depend on its ID)",
                           field);
  }
  out->push_back(dep);
  return Status::Ok();
}

Status ParseDependencies(std::string_view text, const std::string& field,
                         std::vector<Dependency>* out) {
  if (text.empty()) return Bad(text, "no dependency given", field);
  bool have_kind = false;
  DependencyKind kind = DependencyKind::kOk;
  std::string_view rest = text;
  while (true) {
    const size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    if (item.empty()) return Bad(text, "an empty item", field);
    std::string_view ids = item;
    if (size_t colon = item.find(':'); colon != std::string_view::npos) {
      const std::string_view name = item.substr(0, colon);
      if (JobNumber(name) == 0) {  // "ok:12", not "12:13"
        if (!ParseDependencyKind(name, &kind)) {
          return Bad(text, "unknown kind \"" + std::string(name) + "\"", field);
        }
        have_kind = true;
        ids = item.substr(colon + 1);
      }
    }
    if (!have_kind) {
      return Bad(text, "\"" + std::string(item) + "\" has no kind", field);
    }
    while (true) {
      const size_t colon = ids.find(':');
      const std::string_view id_text = ids.substr(0, colon);
      const int64_t id = JobNumber(id_text);
      if (id == 0) {
        return Bad(text, "\"" + std::string(id_text) + "\" is not a job ID (a positive number)",
                   field);
      }
      FG_RETURN_IF_ERROR(AppendDependency(Dependency{kind, id}, field, out));
      if (colon == std::string_view::npos) break;
      ids = ids.substr(colon + 1);
    }
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return Status::Ok();
}

}  // namespace fastgpu
