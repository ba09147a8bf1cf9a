#include "common/clock.h"

#include <chrono>

namespace fastgpu {

Instant SystemClock::Now() const {
  auto since = std::chrono::system_clock::now().time_since_epoch();
  return Instant{std::chrono::duration_cast<std::chrono::milliseconds>(since).count()};
}

}  // namespace fastgpu
