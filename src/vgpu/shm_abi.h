/* The job's accounting file (FASTGPU_VGPU_SHM), mapped by every process of one job.
 *
 * C ABI, shared across processes that may run different builds of the library: the header's
 * magic and version are checked before anything else is read; a mismatch makes the library
 * fall back to process-local accounting and say so on stderr. The layout is fixed by the
 * static_asserts below (x86_64/aarch64 Linux, glibc).
 *
 * Every field below `lock` is read and written only while holding `lock`, a process-shared,
 * robust pthread mutex: a process that dies while holding it hands it to the next locker with
 * EOWNERDEAD, and since each update is one 8-byte store, the data is consistent either way.
 *
 * One slot per process that has allocated device memory: the slot's pid, the process's start
 * time (to tell a reused pid apart) and the bytes it holds on each device. What a job holds on
 * a device is the sum over its slots. A dead process's slot is reclaimed (zeroed) by the next
 * allocation that would otherwise be refused, so a SIGKILLed process gives its share back.
 * `peak` is the job's high-water mark per device (the largest sum ever granted), which the
 * agent reads (read-only, without the lock: each value is one aligned 8-byte word) for the
 * heartbeat.
 *
 * `compute` is the exception to the lock: the job's compute bucket (limits.h ChargeCompute) is
 * one 8-byte time that every process of the job updates with a compare-and-swap on each kernel
 * launch, so the share holds for all processes of the job together and a process dying never
 * leaves anything locked.
 *
 * Version 2 added `compute` and `peak`; a version 1 file is refused (process-local accounting).
 */
#ifndef FASTGPU_VGPU_SHM_ABI_H_
#define FASTGPU_VGPU_SHM_ABI_H_

#include <pthread.h>
#include <stdint.h>

#define FG_VGPU_SHM_MAGIC 0x3155504756474746ULL /* "FGGVGPU1" little-endian */
#define FG_VGPU_SHM_VERSION 2u
#define FG_VGPU_MAX_DEVICES 16
#define FG_VGPU_MAX_SLOTS 256

typedef struct fg_vgpu_slot {
  int32_t pid;         /* 0: free */
  uint32_t reserved;
  uint64_t start_time; /* field 22 of /proc/<pid>/stat when the slot was claimed */
  uint64_t used[FG_VGPU_MAX_DEVICES];
} fg_vgpu_slot;

typedef struct fg_vgpu_shm {
  uint64_t magic; /* written last by the creator: FG_VGPU_SHM_MAGIC once initialized */
  uint32_t version;
  uint32_t size;  /* sizeof(fg_vgpu_shm) */
  uint32_t max_slots;
  uint32_t max_devices;
  uint32_t slot_count; /* slots [0, slot_count) have been used at least once */
  uint32_t reserved;
  union {
    pthread_mutex_t mutex;
    uint8_t bytes[64];
  } lock;
  struct {
    int64_t time_ns; /* the shared bucket's time (CLOCK_MONOTONIC ns); 0: never charged */
    uint64_t reserved[3];
  } compute;
  uint64_t peak[FG_VGPU_MAX_DEVICES]; /* the job's high-water mark per device, bytes */
  fg_vgpu_slot slots[FG_VGPU_MAX_SLOTS];
} fg_vgpu_shm;

#ifdef __cplusplus
#define FG_STATIC_ASSERT static_assert
#else
#define FG_STATIC_ASSERT _Static_assert
#endif
FG_STATIC_ASSERT(sizeof(fg_vgpu_slot) == 16 + 8 * FG_VGPU_MAX_DEVICES, "slot layout");
FG_STATIC_ASSERT(sizeof(pthread_mutex_t) <= 64, "mutex fits its 64 bytes");
FG_STATIC_ASSERT(__builtin_offsetof(fg_vgpu_shm, lock) == 32, "header layout");
FG_STATIC_ASSERT(__builtin_offsetof(fg_vgpu_shm, compute) == 96, "header layout");
FG_STATIC_ASSERT(__builtin_offsetof(fg_vgpu_shm, peak) == 128, "header layout");
FG_STATIC_ASSERT(__builtin_offsetof(fg_vgpu_shm, slots) == 256, "header layout");
FG_STATIC_ASSERT(sizeof(fg_vgpu_shm) == 256 + FG_VGPU_MAX_SLOTS * sizeof(fg_vgpu_slot),
                 "file layout");
#undef FG_STATIC_ASSERT

#endif /* FASTGPU_VGPU_SHM_ABI_H_ */
