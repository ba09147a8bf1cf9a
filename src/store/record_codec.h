#pragma once
// JSON text for the structured columns of the store (jobs.spec_json, jobs.placement_json,
// nodes.spec_json). The format mirrors the structs field by field with snake_case keys, e.g.
//   {"name":"train","argv":["python","t.py"],"env":{"A":"1"},"workdir":"",
//    "resources":{"gpu_count":1,"gpu_milli":500,"gpu_memory_mib":0,"cpu_milli":0,
//                 "memory_mib":0,"gpu_models":[]},
//    "priority":0,"max_retries":0,"time_limit_s":0}
// Decoding is lenient about missing keys (they keep the struct's default, so rows written
// before a field existed still decode) and strict about types. Pure functions; thread-safe.

#include <string>
#include <string_view>

#include "common/result.h"
#include "core/model/job.h"
#include "core/model/resources.h"

namespace fastgpu::store {

// The JSON text of the value. InvalidArgument (field "spec" / "placement" / "node") when a
// string in it is not valid UTF-8, which JSON cannot carry.
Result<std::string> EncodeJobSpec(const core::JobSpec& spec);
Result<std::string> EncodePlacement(const core::Placement& placement);
Result<std::string> EncodeNodeSpec(const core::NodeSpec& spec);

// The value of JSON text written by the encoders. Internal ("corrupt ...") when the text is
// not JSON or a key has the wrong type: a stored row that fails to decode is damage, not input.
Result<core::JobSpec> DecodeJobSpec(std::string_view json);
Result<core::Placement> DecodePlacement(std::string_view json);
Result<core::NodeSpec> DecodeNodeSpec(std::string_view json);

}  // namespace fastgpu::store
