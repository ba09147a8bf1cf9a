#include "api/json_util.h"

#include <limits>

namespace fastgpu::api::json_util {

Result<Json> ParseObject(std::string_view body) {
  Json parsed;
  try {
    parsed = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("malformed JSON: ") + e.what(), "body");
  }
  if (parsed.is_discarded()) return InvalidArgument("malformed JSON", "body");
  if (!parsed.is_object()) return InvalidArgument("the body must be a JSON object", "body");
  return parsed;
}

Status CheckKnownKeys(const Json& object, std::initializer_list<std::string_view> known,
                      const std::string& prefix) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    bool found = false;
    for (std::string_view k : known) found = found || (k == it.key());
    if (!found) {
      return InvalidArgument("unknown field \"" + prefix + it.key() + "\"", prefix + it.key());
    }
  }
  return Status::Ok();
}

Result<int64_t> GetInt(const Json& value, const std::string& field, int64_t min, int64_t max) {
  if (!value.is_number_integer()) return InvalidArgument(field + " must be an integer", field);
  if (value.is_number_unsigned() &&
      value.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return InvalidArgument(field + " is out of range", field);
  }
  const int64_t v = value.get<int64_t>();
  if (v < min || v > max) {
    return InvalidArgument(
        field + " must be in " + std::to_string(min) + ".." + std::to_string(max), field);
  }
  return v;
}

Result<std::string> GetString(const Json& value, const std::string& field) {
  if (!value.is_string()) return InvalidArgument(field + " must be a string", field);
  return value.get<std::string>();
}

Result<bool> GetBool(const Json& value, const std::string& field) {
  if (!value.is_boolean()) return InvalidArgument(field + " must be true or false", field);
  return value.get<bool>();
}

Result<std::vector<std::string>> GetStringArray(const Json& value, const std::string& field) {
  if (!value.is_array()) return InvalidArgument(field + " must be an array of strings", field);
  std::vector<std::string> out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string item_field = field + "[" + std::to_string(i) + "]";
    FG_ASSIGN_OR_RETURN(std::string item, GetString(value[i], item_field));
    out.push_back(std::move(item));
  }
  return out;
}

Result<std::map<std::string, std::string>> GetStringMap(const Json& value,
                                                        const std::string& field) {
  if (!value.is_object()) {
    return InvalidArgument(field + " must be an object of strings", field);
  }
  std::map<std::string, std::string> out;
  for (auto it = value.begin(); it != value.end(); ++it) {
    FG_ASSIGN_OR_RETURN(std::string v, GetString(it.value(), field + "." + it.key()));
    out.emplace(it.key(), std::move(v));
  }
  return out;
}

std::string Dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace fastgpu::api::json_util
