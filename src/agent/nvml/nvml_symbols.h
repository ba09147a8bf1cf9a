#pragma once
// Nvml::Symbols: the functions of libnvidia-ml the wrapper found with dlsym. Private to
// agent/nvml/ (nvml.cc binds them; nvml_queries.cc and nvml_events.cc call them). A null
// pointer is an optional symbol the library lacks.

#include "agent/nvml/nvml.h"
#include "agent/nvml/nvml_abi.h"

namespace fastgpu::agent::nvml {

using Ret = fg_nvmlReturn_t;
using Dev = fg_nvmlDevice_t;

struct Nvml::Symbols {
  // Core: Load() fails without them.
  Ret (*init)() = nullptr;
  Ret (*shutdown)() = nullptr;
  Ret (*device_count)(unsigned*) = nullptr;
  Ret (*device_by_index)(unsigned, Dev*) = nullptr;
  Ret (*device_name)(Dev, char*, unsigned) = nullptr;
  Ret (*device_uuid)(Dev, char*, unsigned) = nullptr;
  Ret (*device_memory)(Dev, fg_nvmlMemory_t*) = nullptr;
  const char* (*error_string)(Ret) = nullptr;
  // Optional.
  Ret (*compute_capability)(Dev, int*, int*) = nullptr;
  Ret (*mig_mode)(Dev, unsigned*, unsigned*) = nullptr;
  Ret (*max_mig_count)(Dev, unsigned*) = nullptr;
  Ret (*mig_by_index)(Dev, unsigned, Dev*) = nullptr;
  Ret (*gpu_instance_id)(Dev, unsigned*) = nullptr;
  Ret (*utilization)(Dev, fg_nvmlUtilization_t*) = nullptr;
  Ret (*temperature)(Dev, int, unsigned*) = nullptr;
  Ret (*power)(Dev, unsigned*) = nullptr;
  Ret (*ecc_total)(Dev, int, int, unsigned long long*) = nullptr;  // NOLINT: NVML's ABI
  Ret (*processes)(Dev, unsigned*, fg_nvmlProcessInfo_t*) = nullptr;        // _v3 or _v2
  Ret (*processes_v1)(Dev, unsigned*, fg_nvmlProcessInfo_v1_t*) = nullptr;  // old drivers
  Ret (*event_set_create)(fg_nvmlEventSet_t*) = nullptr;
  Ret (*event_set_free)(fg_nvmlEventSet_t) = nullptr;
  Ret (*register_events)(Dev, unsigned long long, fg_nvmlEventSet_t) = nullptr;  // NOLINT
  Ret (*event_set_wait)(fg_nvmlEventSet_t, fg_nvmlEventData_t*, unsigned) = nullptr;
};

}  // namespace fastgpu::agent::nvml
