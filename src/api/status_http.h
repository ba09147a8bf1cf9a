#pragma once
// The one mapping from fastgpu::Status to an HTTP answer (docs/api/protocol.md, "Errors").
//
//   invalid_argument 400, unauthenticated 401, permission_denied 403, not_found 404,
//   already_exists 409, failed_precondition 409, resource_exhausted 413 when the field is
//   "body" (request too large) else 429, unavailable 503, internal (and anything else) 500.
//
// The body is {"error":{"code":"<lower-case code name>","message":"...","field":"..."}} with
// "field" present only when the status names one. Pure functions, safe from any thread.

#include <string>

#include "common/status.h"

namespace fastgpu::api {

// The HTTP status code for a non-OK status (200 for OK, which callers should not ask for).
int HttpStatusFor(const Status& status);

// "invalid_argument", "not_found", ...: the protocol's lower-case code name.
std::string ErrorCodeName(StatusCode code);

// The JSON error body for a non-OK status.
std::string ErrorBody(const Status& status);

}  // namespace fastgpu::api
