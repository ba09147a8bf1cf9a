#pragma once
// Job dependencies as users write them (Slurm's afterok / afterany): "ok:12" runs the job only
// after job 12 succeeded, "any:12" after job 12 ended in any way. A value type and its text
// form, shared by the CLI (which must not link core) and the server. Pure; thread-compatible.
//
// Text: items separated by commas; an item is KIND:ID[:ID...] or a bare ID, which takes the
// kind of the item before it. KIND is ok or any (afterok / afterany are accepted too), ID a
// positive job number: "ok:12,13,any:14" = ok:12 ok:13 any:14.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace fastgpu {

enum class DependencyKind {
  kOk,   // after the job (every task of an array) succeeded
  kAny,  // after the job (every task of an array) ended: succeeded, failed, cancelled, lost
};

struct Dependency {
  DependencyKind kind = DependencyKind::kOk;
  int64_t job = 0;
  bool operator==(const Dependency&) const = default;
};

// The most dependencies one job may have.
inline constexpr size_t kMaxDependencies = 100;

// "ok" / "any"; ParseDependencyKind accepts those and "afterok" / "afterany".
std::string_view DependencyKindName(DependencyKind kind);
bool ParseDependencyKind(std::string_view text, DependencyKind* out);

// "ok:12".
std::string DependencyText(const Dependency& dep);
// "ok:12,13,any:14": consecutive items of one kind share it.
std::string DependenciesText(const std::vector<Dependency>& deps);

// Appends `dep` to `*out` unless it is there already; InvalidArgument with `field` when that
// would make more than kMaxDependencies.
Status AppendDependency(const Dependency& dep, const std::string& field,
                        std::vector<Dependency>* out);

// Appends the dependencies of `text` to `*out`, in order, without repeats (an exact repeat is
// dropped). InvalidArgument with `field` and a message that quotes the text and says how to
// write it, for: an empty item, an unknown kind (foo:12), an ID that is not a positive whole
// number (ok:abc), a first item without a kind (12), and more than kMaxDependencies in all.
Status ParseDependencies(std::string_view text, const std::string& field,
                         std::vector<Dependency>* out);

}  // namespace fastgpu
