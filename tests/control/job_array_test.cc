// Job arrays: parsing `--array` (control/job_array.h), and the controller submitting the tasks in
// one commit, at most `%N` of them running at once, each with its index in its environment.
#include "control/job_array.h"

#include <gtest/gtest.h>

#include "control/controller_fixture.h"

namespace fastgpu::control::testing {
namespace {

using core::JobState;

std::vector<int32_t> Indexes(const std::string& text) {
  Result<ArrayRequest> a = ParseArray(text);
  EXPECT_TRUE(a.ok()) << text << ": " << a.error().ToString();
  return a.ok() ? a->indexes : std::vector<int32_t>{};
}

TEST(ParseArray, RangesListsStepsAndLimits) {
  EXPECT_EQ(Indexes("0-3"), (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(Indexes("7"), (std::vector<int32_t>{7}));
  EXPECT_EQ(Indexes("5,1,3-4,3"), (std::vector<int32_t>{1, 3, 4, 5}));
  EXPECT_EQ(Indexes("0-9:4"), (std::vector<int32_t>{0, 4, 8}));
  Result<ArrayRequest> a = ParseArray("0-99%8");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->indexes.size(), 100u);
  EXPECT_EQ(a->limit, 8);
  EXPECT_EQ(ParseArray("0-3")->limit, 0);
}

TEST(ParseArray, BadTextNamesTheFieldAndQuotesIt) {
  for (const char* bad : {"", "%2", "5-2", "a-b", "1-", "-1", "0-3%0", "0-3%x", "1,,2", "0-9:0",
                          "0-1000", "2000000"}) {
    Result<ArrayRequest> a = ParseArray(bad);
    ASSERT_FALSE(a.ok()) << bad;
    EXPECT_EQ(a.error().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(a.error().field(), "array") << bad;
    EXPECT_NE(a.error().message().find(std::string("\"") + bad + "\""), std::string::npos)
        << a.error().message();
  }
  EXPECT_NE(ParseArray("5-2").error().message().find("2-5"), std::string::npos);
  EXPECT_NE(ParseArray("0-1000").error().message().find("more than 1000 tasks"),
            std::string::npos);
}

TEST(ExpandArray, ConsecutiveIdsWithIndexAndEnv) {
  core::JobRecord job;
  job.spec.name = "sweep";
  job.spec.env["A"] = "1";
  std::vector<core::JobRecord> tasks = ExpandArray(job, *ParseArray("2,4%1"), 10);
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[0].id, 10);
  EXPECT_EQ(tasks[1].id, 11);
  EXPECT_EQ(tasks[1].spec.array_id, 10);
  EXPECT_EQ(tasks[1].spec.array_index, 4);
  EXPECT_EQ(tasks[1].spec.array_limit, 1);
  EXPECT_EQ(tasks[1].spec.env, (std::map<std::string, std::string>{
                                   {"A", "1"}, {"FASTGPU_ARRAY_ID", "10"},
                                   {"FASTGPU_ARRAY_INDEX", "4"}}));
  EXPECT_EQ(ArrayGroup(tasks[0].spec), "array 10");
  EXPECT_EQ(ArrayGroup(job.spec), "");
}

TEST_F(ControllerTest, AnArrayRunsAtMostItsLimitAtOnce) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 8)).ok());
  SubmitOptions options;
  options.array = "0-4%2";
  Result<JobView> first = controller_->Submit(Admin(), GpuJob(1), options);
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  const core::JobId id = first->record.id;
  EXPECT_EQ(first->record.spec.array_id, id);
  EXPECT_EQ(first->record.spec.array_index, 0);
  auto states = [&] {
    std::vector<JobState> out;
    for (core::JobId j = id; j < id + 5; ++j) out.push_back(MustGet(j).record.state);
    return out;
  };
  // Room for all five, but only two run; the others wait with the array's reason.
  EXPECT_EQ(states(), (std::vector<JobState>{JobState::kScheduled, JobState::kScheduled,
                                             JobState::kPending, JobState::kPending,
                                             JobState::kPending}));
  JobView third = MustGet(id + 2);
  EXPECT_EQ(third.record.reason,
            "array " + std::to_string(id) + " runs 2 of its tasks at once (the limit)");
  EXPECT_EQ(third.record.spec.env.at("FASTGPU_ARRAY_INDEX"), "2");
  // One ends: the next index starts.
  ASSERT_TRUE(controller_->Report("n1", {Running(id, 1)}).ok());
  ASSERT_TRUE(controller_->Report("n1", {Exited(id, 1, 0)}).ok());
  EXPECT_EQ(states(), (std::vector<JobState>{JobState::kSucceeded, JobState::kScheduled,
                                             JobState::kScheduled, JobState::kPending,
                                             JobState::kPending}));
  // A plain job after it is not held back by the array.
  EXPECT_EQ(MustSubmit(GpuJob(1)).record.state, JobState::kScheduled);
  EXPECT_EQ(MustSubmit(GpuJob(1)).record.id, id + 6);
}

TEST_F(ControllerTest, ABadArrayCreatesNothing) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 1)).ok());
  SubmitOptions options;
  options.array = "3-1";
  Result<JobView> v = controller_->Submit(Admin(), GpuJob(1), options);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().field(), "array");
  EXPECT_EQ(MustSubmit(GpuJob(1)).record.id, 1);
}

}  // namespace
}  // namespace fastgpu::control::testing
