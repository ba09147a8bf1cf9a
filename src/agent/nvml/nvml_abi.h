#pragma once
// The subset of nvml.h the agent uses, declared here: no NVML header exists on build machines.
// Values and layouts are NVML's (stable across drivers since R450). Private to agent/nvml/ and
// to the fake library of the tests, which builds against the same declarations.

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int fg_nvmlReturn_t;
typedef void* fg_nvmlDevice_t;
typedef void* fg_nvmlEventSet_t;

enum {
  FG_NVML_SUCCESS = 0,
  FG_NVML_ERROR_UNINITIALIZED = 1,
  FG_NVML_ERROR_INVALID_ARGUMENT = 2,
  FG_NVML_ERROR_NOT_SUPPORTED = 3,
  FG_NVML_ERROR_NOT_FOUND = 6,
  FG_NVML_ERROR_INSUFFICIENT_SIZE = 7,
  FG_NVML_ERROR_TIMEOUT = 10,
  FG_NVML_ERROR_FUNCTION_NOT_FOUND = 13,
  FG_NVML_ERROR_GPU_IS_LOST = 15,
  FG_NVML_ERROR_UNKNOWN = 999,
};

#define FG_NVML_DEVICE_MIG_ENABLE 1u
#define FG_NVML_TEMPERATURE_GPU 0
#define FG_NVML_MEMORY_ERROR_TYPE_CORRECTED 0
#define FG_NVML_MEMORY_ERROR_TYPE_UNCORRECTED 1
#define FG_NVML_VOLATILE_ECC 0
#define FG_NVML_EVENT_TYPE_XID_CRITICAL_ERROR 0x0000000000000008ULL
#define FG_NVML_VALUE_NOT_AVAILABLE 0xFFFFFFFFFFFFFFFFULL /* usedGpuMemory unknown */
#define FG_NVML_NO_INSTANCE 0xFFFFFFFFu                    /* event.gpuInstanceId: none */
#define FG_NVML_NAME_BUFFER_SIZE 96                        /* NVML_DEVICE_NAME_V2_BUFFER_SIZE */
#define FG_NVML_UUID_BUFFER_SIZE 96                        /* NVML_DEVICE_UUID_V2_BUFFER_SIZE */

typedef struct {
  unsigned long long total, free, used; /* NOLINT: NVML's ABI */
} fg_nvmlMemory_t;

typedef struct {
  unsigned int gpu, memory;
} fg_nvmlUtilization_t;

/* nvmlProcessInfo_v2_t / _v3 (the _v2 and _v3 calls) */
typedef struct {
  unsigned int pid;
  unsigned long long usedGpuMemory; /* NOLINT */
  unsigned int gpuInstanceId;
  unsigned int computeInstanceId;
} fg_nvmlProcessInfo_t;

/* nvmlProcessInfo_v1_t (the unversioned call of old drivers) */
typedef struct {
  unsigned int pid;
  unsigned long long usedGpuMemory; /* NOLINT */
} fg_nvmlProcessInfo_v1_t;

/* nvmlEventData_t; drivers before R470 write only the first three fields. */
typedef struct {
  fg_nvmlDevice_t device;
  unsigned long long eventType; /* NOLINT */
  unsigned long long eventData; /* NOLINT: the XID for an XID event */
  unsigned int gpuInstanceId;
  unsigned int computeInstanceId;
} fg_nvmlEventData_t;

#ifdef __cplusplus
}
#endif
