#pragma once
// Job arrays: `--array 0-99%8` (Slurm's syntax) submits one job per index, at most 8 of them
// running at once (the scheduler's group limit, core/queue/job_gate.h). Each task is a job of
// its own, with FASTGPU_ARRAY_INDEX and FASTGPU_ARRAY_ID (the array's id: its first task's job
// id) in its environment. Pure: parsing and expanding; the controller submits the tasks in one
// commit (controller_jobs.cc).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "core/model/job.h"

namespace fastgpu::control {

inline constexpr int32_t kMaxArrayTasks = 1000;
inline constexpr int32_t kMaxArrayIndex = 1000000;

struct ArrayRequest {
  std::vector<int32_t> indexes;  // ascending, no repeats, at least one
  int32_t limit = 0;             // at most this many tasks run at once; 0: no limit
};

// Parses "0-99", "1,3,5-7", "0-99:2" (every 2nd) and any of them followed by "%N". Otherwise
// InvalidArgument (field "array") that quotes the text and shows the syntax, e.g.
// `array: "5-2": a range must go up, e.g. 2-5`.
Result<ArrayRequest> ParseArray(std::string_view text);

// The array's tasks from one submitted job: ids first_id, first_id + 1, ... in index order,
// each with the array fields of its spec set and FASTGPU_ARRAY_INDEX / FASTGPU_ARRAY_ID added
// to its env. `job` is the record as submitted, without an id.
std::vector<core::JobRecord> ExpandArray(const core::JobRecord& job, const ArrayRequest& array,
                                         core::JobId first_id);

// The scheduler's group of an array task ("array 12"), "" for a plain job.
std::string ArrayGroup(const core::JobSpec& spec);

}  // namespace fastgpu::control
