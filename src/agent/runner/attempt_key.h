#pragma once
// AttemptKey: names one run of one job (job id + attempt number, 1 for the first run).

#include <compare>
#include <cstdint>
#include <string>

#include "core/model/resources.h"

namespace fastgpu::agent {

struct AttemptKey {
  core::JobId job = 0;
  int32_t attempt = 0;
  auto operator<=>(const AttemptKey&) const = default;

  // "12-1": also the name of the attempt's folder under DATA/attempts/.
  std::string ToString() const { return std::to_string(job) + "-" + std::to_string(attempt); }
};

}  // namespace fastgpu::agent
