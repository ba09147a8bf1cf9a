#include "core/model/job.h"

#include <array>
#include <utility>

namespace fastgpu::core {
namespace {

constexpr std::array<std::pair<JobState, std::string_view>, 6> kStateNames = {{
    {JobState::kPending, "pending"},
    {JobState::kScheduled, "scheduled"},
    {JobState::kRunning, "running"},
    {JobState::kSucceeded, "succeeded"},
    {JobState::kFailed, "failed"},
    {JobState::kCancelled, "cancelled"},
}};

}  // namespace

std::string_view JobStateName(JobState state) {
  for (const auto& [value, name] : kStateNames) {
    if (value == state) return name;
  }
  return "unknown";
}

bool ParseJobState(std::string_view name, JobState* out) {
  for (const auto& [value, known] : kStateNames) {
    if (known == name) {
      *out = value;
      return true;
    }
  }
  return false;
}

}  // namespace fastgpu::core
