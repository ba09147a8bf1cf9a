#pragma once
// IdempotencyIndex: the Idempotency-Keys of recent submits, by tenant and key, so that a
// retried submit finds the job of the first one, even while that one is still being committed.
// Not thread-safe: the Controller guards it with its lock.

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "core/model/job.h"

namespace fastgpu::control {

// OK for a usable key: 1..255 printable ASCII characters (space included). InvalidArgument
// (field "Idempotency-Key") otherwise.
Status ValidateIdempotencyKey(const std::string& key);

class IdempotencyIndex {
 public:
  struct Entry {
    std::string request_hash;
    core::JobId job = 0;
    int64_t created_ms = 0;
    bool committed = false;  // false while the first submit's commit is in flight
    // Submits that repeated the key while it was in flight; answered when it commits.
    std::vector<std::function<void(Status)>> waiters;
  };

  // The entry, or nullptr.
  Entry* Find(const std::string& tenant, const std::string& key);
  // Adds (or replaces) an entry and returns it.
  Entry& Insert(const std::string& tenant, const std::string& key, Entry entry);
  void Erase(const std::string& tenant, const std::string& key);
  // Forgets committed entries created before `before_ms`.
  void Expire(int64_t before_ms);
  size_t size() const { return entries_.size(); }

 private:
  static std::string MapKey(const std::string& tenant, const std::string& key);
  std::unordered_map<std::string, Entry> entries_;
  std::deque<std::pair<int64_t, std::string>> by_time_;  // (created_ms, map key), oldest first
};

}  // namespace fastgpu::control
