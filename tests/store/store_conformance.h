#pragma once
// The Store conformance suite: the fixture and the backends' hook. The tests themselves are in
// store_conformance_test.cc; each backend's binary instantiates them with its own Backend
// values (store_conformance_sqlite.cc, store_conformance_postgres.cc), as Ray's
// store_client_test_base.h does for its store clients.

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "fakes/temp_dir.h"
#include "store/store.h"

namespace fastgpu::store {

struct Backend {
  std::string name;
  // Opens a fresh, empty store; `dir` is a private directory that lives as long as the test.
  std::function<Result<std::unique_ptr<Store>>(const fastgpu::test::TempDir& dir)> open;
};

// gtest prints the parameter of a failed test with this.
inline void PrintTo(const Backend& backend, std::ostream* os) { *os << backend.name; }

// The test name of a backend parameter.
inline std::string BackendName(const ::testing::TestParamInfo<Backend>& param) {
  return param.param.name;
}

class StoreConformanceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto opened = GetParam().open(dir_);
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    store_ = std::move(opened).value();
  }

  // Writes `job` under the next free id (as the controller does) and returns the id.
  core::JobId Create(core::JobRecord job) {
    auto max = store_->MaxJobId();
    EXPECT_TRUE(max.ok()) << max.error().ToString();
    job.id = (max.ok() ? *max : 0) + 1;
    EXPECT_TRUE(Put({job}).ok());
    return job.id;
  }
  Status Put(std::vector<core::JobRecord> jobs) {
    WriteBatch batch;
    batch.jobs = std::move(jobs);
    return store_->Commit(batch);
  }
  Status PutNode(const core::NodeRecord& node) {
    WriteBatch batch;
    batch.nodes = {node};
    return store_->Commit(batch);
  }

  std::vector<core::JobId> Ids(const JobFilter& filter) {
    auto jobs = store_->ListJobs(filter);
    EXPECT_TRUE(jobs.ok()) << jobs.error().ToString();
    std::vector<core::JobId> ids;
    if (jobs.ok()) {
      for (const core::JobRecord& job : *jobs) ids.push_back(job.id);
    }
    return ids;
  }

  fastgpu::test::TempDir dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace fastgpu::store
