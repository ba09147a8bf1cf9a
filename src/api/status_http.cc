#include "api/status_http.h"

#include <cctype>

#include "api/json_codec.h"

namespace fastgpu::api {

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
      return 409;
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kResourceExhausted:
      if (status.field() == "budget") return 402;  // Payment Required: the budget is spent
      return status.field() == "body" ? 413 : 429;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

std::string ErrorCodeName(StatusCode code) {
  std::string name(StatusCodeName(code));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::string ErrorBody(const Status& status) {
  std::string out = "{\"error\":{\"code\":" + JsonQuote(ErrorCodeName(status.code())) +
                    ",\"message\":" + JsonQuote(status.message());
  if (!status.field().empty()) out += ",\"field\":" + JsonQuote(status.field());
  out += "}}";
  return out;
}

}  // namespace fastgpu::api
