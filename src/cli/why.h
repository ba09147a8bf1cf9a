#pragma once
// `fastgpu why`: why a job is (not) running, worked out on the client from the job object and
// the pool view (GET /v1/gpus). Pure function, no I/O.

#include <string>
#include <vector>

#include "cli/api_types.h"

namespace fastgpu::cli {

struct WhyAnswer {
  std::string state;                 // the job's state
  std::string reason;                // the server's reason ("-" when it gave none)
  int64_t queue_position = 0;        // > 0 only while pending
  std::string verdict;               // one sentence: where the job stands
  std::vector<std::string> actions;  // what would make it start (empty once it has started)
};

// Explains `job` against `pool`:
// - ended: verdict "job N SUCCEEDED|... (exit code C)"; no actions;
// - scheduled/running: where it is bound; no actions;
// - pending and waiting for dependencies (job.waiting_for): the verdict lists them, and one
//   action per dependency says what must happen ("job 12 must succeed (fastgpu why 12)");
// - pending: the verdict says whether the job
//   * fits free capacity now ("fits now on NODE; it starts at the scheduler's next pass,
//     after the N jobs ahead of it"),
//   * fits the pool's total capacity but not what is free now: the actions name the node that
//     comes closest and the jobs (with tenants) whose end would free enough room there, and
//     suggest asking for less (--gpus, --gpu-memory),
//   * or can never fit (no ready node has enough matching devices): the actions say what to
//     change (fewer GPUs, other models, add a node).
// A device counts for the job when its node is ready, its model is accepted (gpu_models
// empty or listed), and it has at least the job's milli and memory per device free.
WhyAnswer ExplainJob(const Job& job, const Pool& pool);

// The answer as text lines: "job 7 is pending", "reason: ...", "queue position: 3", the
// verdict, then "to start it:" and one "  - action" line per action.
std::string RenderWhy(const Job& job, const WhyAnswer& answer);

}  // namespace fastgpu::cli
