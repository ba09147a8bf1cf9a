#pragma once
// Shared helpers for the controller tests: a controller over an in-memory (or file) SQLite
// store, a FakeClock, a temporary data directory, and small builders for nodes, jobs, reports.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "control/controller.h"
#include "fakes/temp_dir.h"
#include "store/store.h"

namespace fastgpu::control::testing {

// A fresh directory under the system temp dir, removed at destruction.
using ::fastgpu::test::TempDir;

inline core::NodeRecord MakeNode(const std::string& name, int gpus, int64_t memory_mib = 81920) {
  core::NodeRecord node;
  node.spec.name = name;
  node.spec.cpu_milli = 64000;
  node.spec.memory_mib = 512000;
  for (int i = 0; i < gpus; ++i) {
    node.spec.devices.push_back(
        core::DeviceSpec{i, "GPU-" + name + "-" + std::to_string(i), "A100-80GB", memory_mib});
  }
  node.simulated = true;
  return node;
}

// A job asking for `count` GPUs of `milli` each (1000: whole GPUs).
inline core::JobSpec GpuJob(int32_t count, int32_t milli = 1000, int64_t gpu_memory_mib = 0) {
  core::JobSpec spec;
  spec.argv = {"sleep", "60"};
  spec.resources.gpu_count = count;
  spec.resources.gpu_milli = milli;
  spec.resources.gpu_memory_mib = gpu_memory_mib;
  return spec;
}

inline Caller Admin() { return Caller{"default", "admin", "fgk_admin000"}; }
inline Caller Member(const std::string& tenant) { return Caller{tenant, "member", "fgk_m"}; }
inline Caller Viewer(const std::string& tenant) { return Caller{tenant, "viewer", "fgk_v"}; }

inline AttemptReport Running(core::JobId job, int32_t attempt, int64_t started_ms = 0) {
  AttemptReport r;
  r.job = job;
  r.attempt = attempt;
  r.pid = 4242;
  r.started_ms = started_ms;
  return r;
}
inline AttemptReport Exited(core::JobId job, int32_t attempt, std::optional<int32_t> code,
                            std::optional<int32_t> signal = std::nullopt, std::string error = "") {
  AttemptReport r;
  r.job = job;
  r.attempt = attempt;
  r.exited = true;
  r.exit_code = code;
  r.signal = signal;
  r.error = std::move(error);
  return r;
}

// Records what long-poll callbacks received.
struct PollRecorder {
  std::vector<Result<DesiredSet>> results;
  Controller::DesiredCallback Callback() {
    return [this](Result<DesiredSet> r) { results.push_back(std::move(r)); };
  }
};

inline std::vector<core::JobId> JobIds(const DesiredSet& set) {
  std::vector<core::JobId> ids;
  for (const DesiredAttempt& a : set.attempts) ids.push_back(a.job);
  return ids;
}

class ControllerTest : public ::testing::Test {
 protected:
  static constexpr int64_t kStart = 1'700'000'000'000;

  void SetUp() override {
    auto store = store::OpenSqliteStore(":memory:");
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    store_ = std::move(*store);
    OpenController();
  }

  void OpenController() {
    controller_.reset();
    ControllerOptions options;
    options.data_dir = dir_.path();
    options.node_grace_ms = 10000;
    options.queue = queue_options_;
    auto c = Controller::Open(options, *store_, clock_);
    ASSERT_TRUE(c.ok()) << c.error().ToString();
    controller_ = std::move(*c);
  }

  // Submits as admin and expects success.
  JobView MustSubmit(core::JobSpec spec, const Caller& caller = Admin()) {
    auto v = controller_->Submit(caller, std::move(spec));
    EXPECT_TRUE(v.ok()) << v.error().ToString();
    return v.ok() ? *v : JobView{};
  }
  JobView MustGet(core::JobId id) {
    auto v = controller_->GetJob(Admin(), id);
    EXPECT_TRUE(v.ok()) << v.error().ToString();
    return v.ok() ? *v : JobView{};
  }
  DesiredSet Desired(const std::string& node) {
    PollRecorder rec;
    controller_->WatchDesired(node, -1, 0, rec.Callback());
    EXPECT_EQ(rec.results.size(), 1u);
    if (rec.results.empty() || !rec.results[0].ok()) return DesiredSet{};
    return *rec.results[0];
  }

  TempDir dir_;
  core::QueueOptions queue_options_;  // set before OpenController()
  FakeClock clock_{Instant{kStart}};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Controller> controller_;
};

// A controller over a SQLite file in the test's folder, which Restart() opens again.
class FileControllerTest : public ControllerTest {
 protected:
  void SetUp() override {
    path_ = dir_.path() + "/state.db";
    auto store = store::OpenSqliteStore(path_);
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    store_ = std::move(*store);
    OpenController();
  }
  // Drops the controller and the store, then opens both again.
  void Restart() {
    controller_.reset();
    store_.reset();
    auto store = store::OpenSqliteStore(path_);
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    store_ = std::move(*store);
    OpenController();
  }
  std::string path_;
};

}  // namespace fastgpu::control::testing
