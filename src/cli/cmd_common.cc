#include "cli/cmd_common.h"

#include <chrono>
#include <cstdio>

#include "cli/config.h"
#include "cli/format.h"

namespace fastgpu::cli {

std::unique_ptr<ApiClient> Connect(const GlobalFlags& globals) {
  Result<ClientConfig> config = ResolveClientConfig(globals.url, globals.api_key, globals.ca_file);
  if (!config.ok()) {
    ReportError(config.error());
    return nullptr;
  }
  return std::make_unique<ApiClient>(std::move(config).value());
}

int ReportError(const Status& status) {
  std::fprintf(stderr, "%s\n", ErrorLine(status).c_str());
  if (status.code() == StatusCode::kUnauthenticated) {
    std::fprintf(stderr, "hint: check --api-key / FASTGPU_API_KEY, or the key in %s\n",
                 ClientConfigPath().c_str());
  }
  return kExitError;
}

int ReportSubmitError(const Status& status) {
  const std::string& field = status.field();
  if (field.rfind("dependencies", 0) != 0 && field != "after") return ReportError(status);
  std::fprintf(stderr, "%s\n",
               UsageErrorLine(Status(status.code(), status.message(), "--after")).c_str());
  return kExitError;
}

int ReportUsageError(const Status& status) {
  std::fprintf(stderr, "%s\n", UsageErrorLine(status).c_str());
  return kExitUsage;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Age(int64_t then_ms) {
  if (then_ms <= 0) return "-";
  return FormatDuration(NowMs() - then_ms);
}

}  // namespace fastgpu::cli
