#include "api/route_util.h"

#include <cctype>
#include <charconv>
#include <limits>

#include "api/rate_limiter.h"
#include "api/status_http.h"

namespace fastgpu::api {

std::optional<std::string_view> HttpRequest::Param(std::string_view name) const {
  for (const auto& [k, v] : route_params) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

std::optional<std::string_view> HttpRequest::Query(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

std::optional<std::string_view> HttpRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; same && i < k.size(); ++i) {
      same = std::tolower(static_cast<unsigned char>(k[i])) ==
             std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (same) return v;
  }
  return std::nullopt;
}

HttpResponse JsonResponse(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse ErrorResponse(const Status& status) {
  HttpResponse r = JsonResponse(HttpStatusFor(status), ErrorBody(status));
  if (r.status == 429)
    r.headers.emplace_back("Retry-After", std::to_string(RetryAfterSeconds(status.message())));
  if (r.status == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

Result<std::string_view> BearerToken(const HttpRequest& request) {
  std::string_view h = request.authorization;
  while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
  if (h.empty()) return Unauthenticated("missing Authorization: Bearer header");
  constexpr std::string_view kScheme = "bearer ";
  bool is_bearer = h.size() > kScheme.size();
  for (size_t i = 0; is_bearer && i < kScheme.size(); ++i) {
    is_bearer = (h[i] | 0x20) == kScheme[i];
  }
  if (!is_bearer) return Unauthenticated("the Authorization header must be \"Bearer <key>\"");
  h.remove_prefix(kScheme.size());
  while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
  while (!h.empty() && h.back() == ' ') h.remove_suffix(1);
  if (h.empty()) return Unauthenticated("missing Authorization: Bearer header");
  return h;
}

Result<control::Caller> AuthenticateUser(control::Controller& controller,
                                         const HttpRequest& request, RateLimiter* limiter) {
  FG_ASSIGN_OR_RETURN(std::string_view key, BearerToken(request));
  FG_ASSIGN_OR_RETURN(control::Caller caller, controller.Authenticate(key));
  if (limiter != nullptr) FG_RETURN_IF_ERROR(limiter->Allow(caller.key_prefix));
  return caller;
}

Status AuthenticateAgent(control::Controller& controller, const HttpRequest& request) {
  FG_ASSIGN_OR_RETURN(std::string_view token, BearerToken(request));
  return controller.AuthenticateAgent(token);
}

Result<int64_t> ParseInt(std::string_view text, const std::string& field, int64_t min,
                         int64_t max) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return InvalidArgument(field + " must be an integer", field);
  }
  if (v < min || v > max) {
    return InvalidArgument(
        field + " must be in " + std::to_string(min) + ".." + std::to_string(max), field);
  }
  return v;
}

Result<int64_t> QueryInt(const HttpRequest& request, std::string_view name, int64_t fallback,
                         int64_t min, int64_t max) {
  std::optional<std::string_view> v = request.Query(name);
  if (!v.has_value()) return fallback;
  return ParseInt(*v, std::string(name), min, max);
}

Result<std::string> RequiredQuery(const HttpRequest& request, std::string_view name) {
  std::optional<std::string_view> v = request.Query(name);
  if (!v.has_value() || v->empty()) {
    return InvalidArgument("query parameter " + std::string(name) + " is required",
                           std::string(name));
  }
  return std::string(*v);
}

Result<bool> QueryBool(const HttpRequest& request, std::string_view name, bool fallback) {
  std::optional<std::string_view> v = request.Query(name);
  if (!v.has_value()) return fallback;
  if (*v == "true" || *v == "1") return true;
  if (*v == "false" || *v == "0") return false;
  return InvalidArgument(std::string(name) + " must be true or false", std::string(name));
}

Result<core::JobId> JobIdParam(const HttpRequest& request) {
  std::optional<std::string_view> v = request.Param("id");
  if (!v.has_value()) return InvalidArgument("missing job id", "id");
  return ParseInt(*v, "id", std::numeric_limits<int64_t>::min(),
                  std::numeric_limits<int64_t>::max());
}

Result<control::LogStream> StreamQuery(const HttpRequest& request) {
  std::optional<std::string_view> v = request.Query("stream");
  if (!v.has_value() || *v == "stdout") return control::LogStream::kStdout;
  if (*v == "stderr") return control::LogStream::kStderr;
  return InvalidArgument("stream must be stdout or stderr", "stream");
}

}  // namespace fastgpu::api
