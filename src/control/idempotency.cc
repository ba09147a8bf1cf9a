#include "control/idempotency.h"

#include <utility>

namespace fastgpu::control {

Status ValidateIdempotencyKey(const std::string& key) {
  if (key.empty() || key.size() > 255) {
    return InvalidArgument("Idempotency-Key must be 1..255 characters", "Idempotency-Key");
  }
  for (char c : key) {
    if (c < 0x20 || c > 0x7e) {
      return InvalidArgument("Idempotency-Key must be printable ASCII", "Idempotency-Key");
    }
  }
  return Status::Ok();
}

std::string IdempotencyIndex::MapKey(const std::string& tenant, const std::string& key) {
  std::string out = tenant;
  out.push_back('\0');  // cannot occur in a validated key
  out += key;
  return out;
}

IdempotencyIndex::Entry* IdempotencyIndex::Find(const std::string& tenant, const std::string& key) {
  auto it = entries_.find(MapKey(tenant, key));
  return it == entries_.end() ? nullptr : &it->second;
}

IdempotencyIndex::Entry& IdempotencyIndex::Insert(const std::string& tenant, const std::string& key,
                                                  Entry entry) {
  std::string map_key = MapKey(tenant, key);
  by_time_.emplace_back(entry.created_ms, map_key);
  Entry& slot = entries_[std::move(map_key)];
  slot = std::move(entry);
  return slot;
}

void IdempotencyIndex::Erase(const std::string& tenant, const std::string& key) {
  entries_.erase(MapKey(tenant, key));
}

void IdempotencyIndex::Expire(int64_t before_ms) {
  while (!by_time_.empty() && by_time_.front().first < before_ms) {
    auto it = entries_.find(by_time_.front().second);
    // The entry may be newer (re-inserted) or gone; only an old, committed one is dropped.
    if (it != entries_.end() && it->second.committed && it->second.created_ms < before_ms) {
      entries_.erase(it);
    }
    by_time_.pop_front();
  }
}

}  // namespace fastgpu::control
