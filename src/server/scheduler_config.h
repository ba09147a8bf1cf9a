#pragma once
// The server's scheduler config file (--config FILE), YAML:
//
//   scheduler:
//     policy: fgd              # placement policy; --policy on the command line wins
//     sorter: drf              # queue order: drf (default) or fifo
//     backfill: true           # EASY backfill (default true); false: strict queue order
//     preemption: true         # preempt lower-priority or borrowed work (default true)
//     preemption_grace_s: 30   # time a victim is expected to take to stop (default 30)
//   tenants:
//     default: {weight: 1}                       # any tenant not listed
//     research: {weight: 3, guaranteed_gpus: 8, max_gpus: 16, max_running_jobs: 20}
//
// Every key is optional. Pure parsing; reads the file once.

#include <string>
#include <string_view>

#include "common/result.h"
#include "core/queue/queue_options.h"

namespace fastgpu::server {

struct SchedulerConfig {
  std::string policy;  // "" when the file names none
  core::QueueOptions queue;
};

// Parses YAML text. InvalidArgument naming the offending key ("tenants.research.weight") for
// an unknown key, a wrong type, or a value out of range (weight >= 1, gpus >= 0, max_gpus -1
// or >= guaranteed_gpus, max_running_jobs -1 or >= 0, grace >= 0).
Result<SchedulerConfig> ParseSchedulerConfig(std::string_view yaml);
// Reads and parses the file; NotFound when it cannot be read.
Result<SchedulerConfig> LoadSchedulerConfig(const std::string& path);

}  // namespace fastgpu::server
