#include "core/queue/dependency_graph.h"

#include <algorithm>

namespace fastgpu::core {

std::string HowItEnded(JobState state, const std::string& reason) {
  if (state == JobState::kCancelled) return "was cancelled";
  return reason.empty() ? "failed" : "failed (" + reason + ")";
}

void DependencyGraph::Add(JobId job, std::vector<Dependency> deps,
                          std::vector<std::vector<JobId>> members) {
  Remove(job);
  Waiter w;
  for (size_t i = 0; i < deps.size(); ++i) {
    const std::vector<JobId> none;
    const std::vector<JobId>& m = i < members.size() ? members[i] : none;
    w.total.push_back(static_cast<int32_t>(m.size()));
    w.open.push_back(static_cast<int32_t>(m.size()));
    w.array.push_back(m.size() != 1 || m[0] != deps[i].job);
    for (JobId id : m) by_member_[id].push_back(Edge{job, static_cast<uint32_t>(i)});
  }
  w.deps = std::move(deps);
  waiters_[job] = std::move(w);
}

std::vector<DependencyGraph::Change> DependencyGraph::Ended(JobId id, JobState state,
                                                            const std::string& reason,
                                                            std::vector<JobId>* progressed) {
  std::vector<Change> out;
  auto edges = by_member_.find(id);
  if (edges == by_member_.end()) return out;
  std::vector<Edge> list = std::move(edges->second);
  by_member_.erase(edges);
  std::vector<JobId> touched;
  for (const Edge& e : list) {
    auto it = waiters_.find(e.waiter);
    if (it == waiters_.end() || it->second.doomed) continue;  // removed since, or decided
    Waiter& w = it->second;
    w.open[e.dep] -= 1;
    const Dependency& dep = w.deps[e.dep];
    if (dep.kind == DependencyKind::kOk && state != JobState::kSucceeded) {
      w.doomed = true;
      doomed_.insert(e.waiter);
      w.reason = "dependency " + std::to_string(dep.job) +
                 (w.array[e.dep] ? " (an array): its task " + std::to_string(id) + " " : " ") +
                 HowItEnded(state, reason);
    }
    touched.push_back(e.waiter);
  }
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  for (JobId job : touched) {
    Waiter& w = waiters_.at(job);
    if (w.doomed) {
      out.push_back(Change{job, true, w.reason});
    } else if (std::all_of(w.open.begin(), w.open.end(), [](int32_t n) { return n <= 0; })) {
      out.push_back(Change{job, false, ""});
      waiters_.erase(job);
    } else if (progressed != nullptr) {
      progressed->push_back(job);
    }
  }
  return out;
}

void DependencyGraph::Remove(JobId job) {
  waiters_.erase(job);
  doomed_.erase(job);
}

std::string DependencyGraph::Hold(JobId job) const {
  auto it = waiters_.find(job);
  if (it == waiters_.end()) return "";
  const Waiter& w = it->second;
  if (w.doomed) return "can never run: " + w.reason;
  std::string out;
  for (size_t i = 0; i < w.deps.size(); ++i) {
    if (w.open[i] <= 0) continue;
    out += out.empty() ? "waiting for " : ", ";
    out += (w.array[i] ? "array " : "job ") + std::to_string(w.deps[i].job);
    out += w.deps[i].kind == DependencyKind::kOk ? " to succeed" : " to end";
    if (w.array[i]) {
      out += " (" + std::to_string(w.open[i]) + " of " + std::to_string(w.total[i]) +
             " tasks left)";
    }
  }
  return out;
}

std::string DependencyGraph::DoomReason(JobId job) const {
  auto it = waiters_.find(job);
  return it != waiters_.end() && it->second.doomed ? it->second.reason : "";
}

std::vector<Dependency> DependencyGraph::Unmet(JobId job) const {
  std::vector<Dependency> out;
  auto it = waiters_.find(job);
  if (it == waiters_.end()) return out;
  for (size_t i = 0; i < it->second.deps.size(); ++i) {
    if (it->second.open[i] > 0) out.push_back(it->second.deps[i]);
  }
  return out;
}

std::vector<DependencyGraph::Change> DependencyGraph::Doomed() const {
  std::vector<Change> out;
  for (JobId id : doomed_) out.push_back(Change{id, true, waiters_.at(id).reason});
  return out;
}

}  // namespace fastgpu::core
