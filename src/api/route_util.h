#pragma once
// Helpers shared by the route handlers: responses, Bearer auth, query/path parameter parsing.
// Each parser returns InvalidArgument naming the parameter. Pure translation; thread-safe.

#include <cstdint>
#include <string>
#include <memory>
#include <string_view>
#include <utility>

#include "api/http_types.h"
#include "common/result.h"
#include "control/controller.h"

namespace fastgpu::api {

class RateLimiter;

HttpResponse JsonResponse(int status, std::string body);
// The status's HTTP code and error body (status_http.h). A 429 carries Retry-After with the
// wait the rate limiter named (rate_limiter.h); a 503 carries Retry-After: 1.
HttpResponse ErrorResponse(const Status& status);

// A route handler from a function that answers at once with Result<HttpResponse>.
template <typename Fn>
RouteHandler Sync(Fn fn) {
  return [fn = std::move(fn)](const HttpRequest& request, std::shared_ptr<Responder> out) {
    Result<HttpResponse> response = fn(request);
    out->Send(response.ok() ? std::move(response).value() : ErrorResponse(response.error()));
  };
}

// The token of an "Authorization: Bearer <token>" header; Unauthenticated when missing or of
// another scheme.
Result<std::string_view> BearerToken(const HttpRequest& request);
// A user caller from the API key; Unauthenticated when missing or wrong; ResourceExhausted
// (429) when the key is over its rate limit (limiter may be null: no limit).
Result<control::Caller> AuthenticateUser(control::Controller& controller,
                                         const HttpRequest& request,
                                         RateLimiter* limiter = nullptr);
// OK when the join token is right; Unauthenticated otherwise.
Status AuthenticateAgent(control::Controller& controller, const HttpRequest& request);

// A decimal integer in [min, max]; InvalidArgument naming `field` otherwise.
Result<int64_t> ParseInt(std::string_view text, const std::string& field, int64_t min, int64_t max);
// The query parameter `name` as an integer in [min, max], or `fallback` when absent.
Result<int64_t> QueryInt(const HttpRequest& request, std::string_view name, int64_t fallback,
                         int64_t min, int64_t max);
// A query parameter that must be present and non-empty.
Result<std::string> RequiredQuery(const HttpRequest& request, std::string_view name);
// "true"/"1" or "false"/"0"; `fallback` when absent.
Result<bool> QueryBool(const HttpRequest& request, std::string_view name, bool fallback);
// The ":id" path parameter as a job id: InvalidArgument (field "id") unless an integer.
Result<core::JobId> JobIdParam(const HttpRequest& request);
// The "stream" query parameter: stdout (default) or stderr.
Result<control::LogStream> StreamQuery(const HttpRequest& request);

}  // namespace fastgpu::api
