#pragma once
// Decoding of the fastgpu API's JSON replies into the structs of cli/api_types.h, and of its
// error bodies into Status. Pure functions, no I/O; safe for concurrent use.
//
// Decoding is lenient about what the CLI does not show: a missing or null field reads as its
// zero value, so a newer server with extra fields still works. A reply that is not JSON, or
// whose top level has the wrong shape, is an Internal error "unexpected reply from server".

#include <string>
#include <string_view>
#include <vector>

#include "cli/api_types.h"
#include "common/result.h"
#include "common/status.h"

namespace fastgpu::cli {

// A job object (reply of submit, get, cancel).
Result<Job> ParseJob(std::string_view body);

// {"jobs": [...], "next": ID|null}.
Result<JobPage> ParseJobPage(std::string_view body);

// {"nodes": [...]}.
Result<std::vector<Node>> ParseNodes(std::string_view body);

// {"gpus": [...], "summary": {...}}.
Result<Pool> ParsePool(std::string_view body);

// The Status for an HTTP reply that is not 2xx. With an error body
// {"error": {"code", "message", "field"}} it carries the server's message and field and the
// code named there; otherwise the code follows the HTTP status and the message is
// "HTTP <status>: <start of the body>". Never returns OK.
Status StatusFromHttp(int http_status, std::string_view body);

// Joins JSON texts (e.g. Job::json) into one pretty-printed JSON array; a text that does not
// parse is kept as a JSON string.
std::string JsonArray(const std::vector<std::string>& objects);

}  // namespace fastgpu::cli
