#include "control/key_cache.h"

#include <mutex>

#include "control/auth.h"

namespace fastgpu::control {

Result<store::ApiKeyRecord> KeyCache::Verify(std::string_view key, int64_t now_ms) {
  if (key.empty()) return Unauthenticated("missing API key");
  std::optional<std::string> prefix = ApiKeyPrefix(key);
  if (!prefix) return Unauthenticated("malformed API key (want fgk_<8 hex>_<32 hex>)");
  store::ApiKeyRecord rec;
  bool cached = false;
  uint64_t generation = 0;
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = keys_.find(*prefix);
    if (it != keys_.end()) {
      rec = it->second;
      cached = true;
    }
    generation = generation_;
  }
  if (!cached) {
    Result<store::ApiKeyRecord> stored = store_.GetApiKey(*prefix);
    if (!stored.ok()) {
      if (stored.error().code() == StatusCode::kNotFound) return Unauthenticated("invalid API key");
      return stored.error();
    }
    rec = std::move(stored).value();
    std::unique_lock<std::shared_mutex> lock(mu_);
    if (generation == generation_) {
      if (keys_.size() >= max_entries_) keys_.clear();
      keys_.emplace(*prefix, rec);
    }
  }
  if (!ConstantTimeEquals(Sha256Hex(key), rec.hash)) return Unauthenticated("invalid API key");
  if (rec.revoked) return Unauthenticated("API key " + rec.prefix + " was revoked");
  if (rec.expires_ms > 0 && rec.expires_ms <= now_ms) {
    return Unauthenticated("API key " + rec.prefix + " expired");
  }
  return rec;
}

void KeyCache::Invalidate(const std::string& prefix) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  keys_.erase(prefix);
  ++generation_;
}

void KeyCache::Clear() {
  std::unique_lock<std::shared_mutex> lock(mu_);
  keys_.clear();
  ++generation_;
}

}  // namespace fastgpu::control
