// libFuzzer targets for every parser of untrusted input: the request bodies of the HTTP API
// (submit, register, report with telemetry, API keys, tenant updates) and the YAML job spec
// of `fastgpu submit -f`. One binary holds them all (one compile and one link keep CI's build
// short); $FASTGPU_FUZZ_TARGET names the target it runs (see run_fuzzer.sh). A target checks
// the parser's contract beyond "no crash": a failure is InvalidArgument (bad input is never
// our bug), and what parses encodes again.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/json_codec.h"
#include "api/json_codec_tenants.h"
#include "cli/job_spec.h"
#include "common/status.h"

namespace {

using namespace fastgpu;

// Our invariant, not input: abort so that libFuzzer records the input.
void Expect(bool cond) {
  if (!cond) std::abort();
}

template <typename R>
void ExpectInvalidOrOk(const R& result) {
  if (!result.ok()) Expect(result.error().code() == StatusCode::kInvalidArgument);
}

void SubmitRequest(std::string_view input) {
  auto spec = api::ParseSubmitRequest(input);
  ExpectInvalidOrOk(spec);
  if (spec.ok()) {
    control::JobView view;
    view.record.spec = *spec;
    Expect(!api::EncodeJob(view).empty());
  }
}

void RegisterRequest(std::string_view input) { ExpectInvalidOrOk(api::ParseRegisterRequest(input)); }

void ReportRequest(std::string_view input) { ExpectInvalidOrOk(api::ParseReportRequest(input)); }

void TenantRequests(std::string_view input) {
  ExpectInvalidOrOk(api::ParseKeyRequest(input));
  ExpectInvalidOrOk(api::ParseTenantUpdate(input, store::TenantRecord{}));
}

void JobSpec(std::string_view input) {
  ExpectInvalidOrOk(cli::ParseJobSpec(std::string(input), "fuzz.yaml"));
}

struct Target {
  const char* name;
  void (*run)(std::string_view);
};
constexpr Target kTargets[] = {{"submit_request", SubmitRequest},
                               {"register_request", RegisterRequest},
                               {"report_request", ReportRequest},
                               {"tenant_requests", TenantRequests},
                               {"job_spec", JobSpec}};
void (*g_target)(std::string_view) = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* name = std::getenv("FASTGPU_FUZZ_TARGET");
  for (const Target& t : kTargets) {
    if (name != nullptr && std::string_view(name) == t.name) g_target = t.run;
  }
  if (g_target == nullptr) {
    std::fprintf(stderr, "set FASTGPU_FUZZ_TARGET to one of:");
    for (const Target& t : kTargets) std::fprintf(stderr, " %s", t.name);
    std::fprintf(stderr, "\n");
    std::exit(2);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  g_target(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
