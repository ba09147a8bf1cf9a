#include <algorithm>
#include <iterator>

#include "store/store.h"

namespace fastgpu::store {
namespace {

template <typename T>
void MoveAppend(std::vector<T>& to, std::vector<T>& from) {
  if (to.empty()) {
    to = std::move(from);
    return;
  }
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

}  // namespace

bool WriteBatch::empty() const {
  return jobs.empty() && events.empty() && nodes.empty() && idempotency_keys.empty() &&
         audit.empty() && usage.empty() && meta.empty() && expire_idempotency_before_ms <= 0;
}

void WriteBatch::Append(WriteBatch&& other) {
  MoveAppend(jobs, other.jobs);
  MoveAppend(events, other.events);
  MoveAppend(nodes, other.nodes);
  MoveAppend(idempotency_keys, other.idempotency_keys);
  MoveAppend(audit, other.audit);
  MoveAppend(usage, other.usage);
  MoveAppend(meta, other.meta);
  expire_idempotency_before_ms =
      std::max(expire_idempotency_before_ms, other.expire_idempotency_before_ms);
}

}  // namespace fastgpu::store
