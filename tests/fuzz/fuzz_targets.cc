// libFuzzer targets for every parser of untrusted input: the request bodies of the HTTP API
// (submit, register, report with telemetry, API keys, tenant updates) and the YAML job spec
// of `fastgpu submit -f`. Each target is this file compiled with -DFG_FUZZ_TARGET=<n>; see
// tests/fuzz/project/CMakeLists.txt. A target checks the parser's contract beyond "no crash":
// a failure is InvalidArgument (bad input is never our bug), and what parses encodes again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/json_codec.h"
#include "api/json_codec_tenants.h"
#include "cli/job_spec.h"
#include "common/status.h"

namespace {

// Our invariant, not input: abort so that libFuzzer records the input.
void Expect(bool cond) {
  if (!cond) std::abort();
}

template <typename R>
void ExpectInvalidOrOk(const R& result) {
  if (!result.ok()) Expect(result.error().code() == fastgpu::StatusCode::kInvalidArgument);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  using namespace fastgpu;
#if FG_FUZZ_TARGET == 1
  auto spec = api::ParseSubmitRequest(input);
  ExpectInvalidOrOk(spec);
  if (spec.ok()) {
    control::JobView view;
    view.record.spec = *spec;
    Expect(!api::EncodeJob(view).empty());
  }
#elif FG_FUZZ_TARGET == 2
  auto node = api::ParseRegisterRequest(input);
  ExpectInvalidOrOk(node);
#elif FG_FUZZ_TARGET == 3
  auto report = api::ParseReportRequest(input);
  ExpectInvalidOrOk(report);
#elif FG_FUZZ_TARGET == 4
  auto key = api::ParseKeyRequest(input);
  ExpectInvalidOrOk(key);
  auto tenant = api::ParseTenantUpdate(input, store::TenantRecord{});
  ExpectInvalidOrOk(tenant);
#elif FG_FUZZ_TARGET == 5
  auto options = cli::ParseJobSpec(std::string(input), "fuzz.yaml");
  ExpectInvalidOrOk(options);
#else
#error "define FG_FUZZ_TARGET to 1..5"
#endif
  return 0;
}
