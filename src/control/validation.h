#pragma once
// Validation of what users submit, before anything is stored or scheduled.

#include <string_view>

#include "common/status.h"
#include "core/model/job.h"

namespace fastgpu::control {

inline constexpr size_t kMaxNameLength = 128;
inline constexpr size_t kMaxArgvBytes = 64 * 1024;
inline constexpr int32_t kMaxGpuCount = 1024;

// OK when `spec` is well formed; otherwise InvalidArgument whose field is named as
// docs/api/protocol.md names it: "argv" (empty, empty argv[0], NUL bytes, over 64 KiB in total),
// "env" (empty key, '=' or NUL in a key, NUL in a value), "name" (over 128 characters, NUL),
// "workdir" (NUL), "priority" (-1000..1000), "max_retries" (0..100), "time_limit_s" (>= 0),
// "stop_signal" (not one of IsStopSignal's),
// "resources.gpus" (count 0..1024, milli 0..1000, a slice of more than one GPU),
// "resources.gpu_memory_mib" (negative, or with more than one whole GPU), "resources.cpus",
// "resources.memory_mib" (negative), "resources.gpu_models" (empty model name).
// Whether any node could hold the request is not checked here (see Scheduler::CheckFeasible).
Status ValidateSpec(const core::JobSpec& spec);

// The signals a job may ask to be stopped with: "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT",
// "SIGUSR1", "SIGUSR2", "SIGKILL".
bool IsStopSignal(std::string_view name);

}  // namespace fastgpu::control
