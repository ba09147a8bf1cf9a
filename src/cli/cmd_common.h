#pragma once
// Helpers shared by the cmd_*.cc files: connecting, reporting errors, the clock.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cli/api_client.h"
#include "cli/cmd.h"
#include "common/status.h"

namespace fastgpu::cli {

// Exit statuses of the client commands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

// The client for the configured server (config.h); null after printing the error.
std::unique_ptr<ApiClient> Connect(const GlobalFlags& globals);

// Prints ErrorLine(status) to stderr (with a hint for a rejected API key) and returns
// kExitError.
int ReportError(const Status& status);

// ReportError for the answer to a submit, except that an error about the job's dependencies
// (field "dependencies..." or "after") names the flag: "error: --after job 9 not found: ...".
int ReportSubmitError(const Status& status);

// Prints UsageErrorLine(status) to stderr and returns kExitUsage.
int ReportUsageError(const Status& status);

// Every active job (pending, scheduled, running), or every job with `all`, by ID, following
// the pages of GET /v1/jobs.
Result<std::vector<Job>> FetchJobs(ApiClient& client, bool all);

// Wall-clock time in Unix milliseconds, to show ages.
int64_t NowMs();

// The time since a Unix-ms time as FormatDuration prints it ("3m12s"); "-" when zero.
std::string Age(int64_t then_ms);

}  // namespace fastgpu::cli
