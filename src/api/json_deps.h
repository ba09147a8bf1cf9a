#pragma once
// Job dependencies in the JSON of the user API (see docs/api/openapi.yaml, JobSpec):
//   "dependencies": [{"kind": "ok", "job": 12}, {"kind": "any", "job": 13}]
//   "after": "ok:12,any:13"  or  ["ok:12", "any:13"]   (the CLI's --after text)
// Internal to the json_codec*.cc files: pulls in nlohmann/json.hpp.

#include <vector>

#include "api/json_util.h"
#include "common/dependency.h"
#include "common/status.h"

namespace fastgpu::api::json_deps {

// Appends the dependencies of a submit body's "dependencies" and "after" members (either, both
// or none; repeats dropped) to `*out`. InvalidArgument naming the member at fault
// ("dependencies[1].kind", "dependencies[0].job", "after") for a wrong type, an unknown kind, a
// job that is not a positive integer, malformed text, or more than kMaxDependencies in all.
Status Parse(const json_util::Json& body, std::vector<Dependency>* out);

// [{"kind":"ok","job":12},...]
nlohmann::ordered_json Encode(const std::vector<Dependency>& deps);

}  // namespace fastgpu::api::json_deps
