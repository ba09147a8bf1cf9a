#pragma once
// Internal helpers of the JSON codec (json_codec.cc, json_codec_agent.cc): strict readers of
// nlohmann::json values that return InvalidArgument naming the field instead of throwing.
// Include only from those .cc files: it pulls in nlohmann/json.hpp.

#include <cstdint>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace fastgpu::api::json_util {

using Json = nlohmann::json;

// Parses `body` as one JSON object. InvalidArgument (field "body") when it is not JSON or not
// an object.
Result<Json> ParseObject(std::string_view body);

// InvalidArgument naming `prefix + key` for the first member of `object` not in `known`.
Status CheckKnownKeys(const Json& object, std::initializer_list<std::string_view> known,
                      const std::string& prefix);

// Readers of one value; `field` names it in errors.
Result<int64_t> GetInt(const Json& value, const std::string& field, int64_t min, int64_t max);
Result<std::string> GetString(const Json& value, const std::string& field);
Result<bool> GetBool(const Json& value, const std::string& field);
Result<std::vector<std::string>> GetStringArray(const Json& value, const std::string& field);
Result<std::map<std::string, std::string>> GetStringMap(const Json& value,
                                                        const std::string& field);

// Compact dump that never throws (invalid UTF-8 is replaced).
std::string Dump(const Json& value);

}  // namespace fastgpu::api::json_util
