#pragma once
// RateLimiter: per-key token buckets for the user API. Each key (an API key's prefix) may make
// `rate_per_s` requests per second on average and `burst` at once; past that, Allow() refuses
// with ResourceExhausted (HTTP 429) whose message ends in "(retry after N s)", which the HTTP
// layer turns into a Retry-After: N header. Rate 0 means no limit. Buckets of keys idle for a
// minute are forgotten. Safe for concurrent use (sharded locks).

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status.h"

namespace fastgpu::api {

class RateLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  RateLimiter(double rate_per_s, double burst);

  // OK and one token taken, or ResourceExhausted (field "rate_limit") naming the key's limit.
  Status Allow(std::string_view key, TimePoint now = std::chrono::steady_clock::now());
  bool enabled() const { return rate_ > 0; }

 private:
  struct Bucket {
    double tokens = 0;
    TimePoint updated;
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Bucket> buckets;
    TimePoint swept;
  };
  static constexpr size_t kShards = 16;

  const double rate_;
  const double burst_;
  std::array<Shard, kShards> shards_;
};

// The N of a message ending in "(retry after N s)"; 1 when there is none.
int64_t RetryAfterSeconds(const std::string& message);

}  // namespace fastgpu::api
