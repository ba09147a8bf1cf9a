#pragma once
// KeyCache: verified API keys by prefix, so that authenticating a request costs one SHA-256
// and a hash-map lookup instead of a store read. A miss reads the key from the store; an entry
// stays until Invalidate(prefix) (whoever revokes or changes a key calls it, so a revocation
// takes effect at once) or Clear(). Unknown prefixes are not remembered. At most max_entries
// keys are kept (the cache is cleared when full). Safe for concurrent use.

#include <cstddef>
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/result.h"
#include "store/store.h"

namespace fastgpu::control {

class KeyCache {
 public:
  // `store` must outlive the cache.
  explicit KeyCache(store::Store& store, size_t max_entries = 100000)
      : store_(store), max_entries_(max_entries) {}

  // As VerifyApiKey(store, key, now_ms) (auth.h): the key's record, or Unauthenticated when the
  // key is empty, malformed, unknown, wrong, revoked or expired at now_ms; other store errors
  // pass through.
  Result<store::ApiKeyRecord> Verify(std::string_view key, int64_t now_ms);
  void Invalidate(const std::string& prefix);
  void Clear();

 private:
  store::Store& store_;
  const size_t max_entries_;
  std::shared_mutex mu_;
  std::unordered_map<std::string, store::ApiKeyRecord> keys_;  // by prefix; guarded by mu_
  // Bumped by Invalidate/Clear, so that a store read that raced with one is not cached.
  uint64_t generation_ = 0;  // guarded by mu_
};

}  // namespace fastgpu::control
