#include "control/gang_tracker.h"

namespace fastgpu::control {

bool ReportFailed(const AttemptReport& r) {
  return !r.error.empty() || r.oom_killed || r.signal.has_value() || !r.exit_code.has_value() ||
         *r.exit_code != 0;
}

void GangTracker::Exited(core::JobId job, int32_t rank, const AttemptReport& report, bool ran) {
  exited_[job].try_emplace(rank, Exit{report, ran, ++next_order_});
}

bool GangTracker::Failed(core::JobId job) const {
  auto it = exited_.find(job);
  if (it == exited_.end()) return false;
  for (const auto& [rank, exit] : it->second) {
    if (ReportFailed(exit.report)) return true;
  }
  return false;
}

bool GangTracker::HasExited(core::JobId job, int32_t rank) const {
  auto it = exited_.find(job);
  return it != exited_.end() && it->second.count(rank) > 0;
}

std::optional<AttemptReport> GangTracker::Outcome(core::JobId job, int32_t world_size) const {
  auto it = exited_.find(job);
  if (it == exited_.end() || static_cast<int32_t>(it->second.size()) < world_size) {
    return std::nullopt;
  }
  const Exit* first = nullptr;
  for (const auto& [rank, exit] : it->second) {
    if (!ReportFailed(exit.report)) continue;
    if (first == nullptr || (exit.ran && !first->ran) ||
        (exit.ran == first->ran && exit.order < first->order)) {
      first = &exit;
    }
  }
  return first != nullptr ? first->report : it->second.begin()->second.report;
}

}  // namespace fastgpu::control
