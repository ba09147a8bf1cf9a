#include "api/rate_limiter.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>

namespace fastgpu::api {
namespace {

constexpr auto kIdle = std::chrono::seconds(60);
constexpr std::string_view kRetryMarker = "(retry after ";

}  // namespace

RateLimiter::RateLimiter(double rate_per_s, double burst)
    : rate_(rate_per_s), burst_(std::max(burst, 1.0)) {}

Status RateLimiter::Allow(std::string_view key, TimePoint now) {
  if (rate_ <= 0) return Status::Ok();
  Shard& shard = shards_[std::hash<std::string_view>{}(key) % kShards];
  std::lock_guard<std::mutex> lock(shard.mu);
  if (now - shard.swept > kIdle) {  // forget keys idle for a while (their buckets are full)
    std::erase_if(shard.buckets, [now](const auto& kv) { return now - kv.second.updated > kIdle; });
    shard.swept = now;
  }
  auto [it, fresh] = shard.buckets.try_emplace(std::string(key));
  Bucket& b = it->second;
  if (fresh) {
    b.tokens = burst_;
  } else {
    const double elapsed = std::chrono::duration<double>(now - b.updated).count();
    b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
  }
  b.updated = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return Status::Ok();
  }
  const int64_t wait_s =
      std::max<int64_t>(1, static_cast<int64_t>(std::ceil((1 - b.tokens) / rate_)));
  return ResourceExhausted("rate limit of " + std::to_string(static_cast<int64_t>(rate_)) +
                               " requests/s for key " + std::string(key) + " exceeded " +
                               std::string(kRetryMarker) + std::to_string(wait_s) + " s)",
                           "rate_limit");
}

int64_t RetryAfterSeconds(const std::string& message) {
  const size_t at = message.rfind(kRetryMarker);
  if (at == std::string::npos) return 1;
  int64_t n = 0;
  for (size_t i = at + kRetryMarker.size();
       i < message.size() && std::isdigit(static_cast<unsigned char>(message[i])); ++i) {
    n = n * 10 + (message[i] - '0');
  }
  return std::max<int64_t>(1, n);
}

}  // namespace fastgpu::api
