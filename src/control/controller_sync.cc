// The blocking conveniences of Controller: the asynchronous call, waited for, then Settle().
#include <future>
#include <utility>

#include "control/controller.h"

namespace fastgpu::control {
namespace {

// Runs `start(done)` and waits for done's value.
template <typename T, typename Start>
T Await(Start start) {
  std::promise<T> promise;
  std::future<T> future = promise.get_future();
  start([&promise](T value) { promise.set_value(std::move(value)); });
  return future.get();
}

}  // namespace

Result<JobView> Controller::Submit(const Caller& caller, core::JobSpec spec,
                                   const SubmitOptions& options) {
  Result<JobView> r = Await<Result<JobView>>(
      [&](JobDone done) { Submit(caller, std::move(spec), options, std::move(done)); });
  if (!r.ok()) return r;
  Settle();
  return GetJob(caller, r->record.id);  // as the scheduler left it
}

Result<JobView> Controller::Cancel(const Caller& caller, core::JobId id) {
  Result<JobView> r =
      Await<Result<JobView>>([&](JobDone done) { Cancel(caller, id, std::move(done)); });
  if (!r.ok()) return r;
  Settle();
  return GetJob(caller, id);
}

Status Controller::RegisterNode(core::NodeRecord node, std::optional<NodeStatus> status) {
  Status st = Await<Status>([&](StatusDone done) {
    RegisterNode(std::move(node), std::move(status), std::move(done));
  });
  if (st.ok()) Settle();
  return st;
}

Result<std::vector<AttemptKey>> Controller::Report(const std::string& node,
                                                   const std::vector<AttemptReport>& attempts) {
  auto r = Await<Result<std::vector<AttemptKey>>>(
      [&](ReportDone done) { Report(node, attempts, std::move(done)); });
  if (r.ok()) Settle();
  return r;
}

Result<NodeView> Controller::SetNodeAction(const Caller& caller, const std::string& name,
                                           NodeAction action) {
  Result<NodeView> r = Await<Result<NodeView>>(
      [&](NodeDone done) { SetNodeAction(caller, name, action, std::move(done)); });
  if (!r.ok()) return r;
  Settle();
  return GetNode(name);
}

}  // namespace fastgpu::control
