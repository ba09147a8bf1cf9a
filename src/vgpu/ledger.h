#pragma once
// The job's ledger: the accounting file of shm_abi.h, mapped into this process, and the
// operations on it. Every operation takes the file's robust process-shared mutex, so a check
// and its reservation are one atomic step across all processes of the job.

#include <stdint.h>

#include "vgpu/shm_abi.h"

namespace fastgpu::vgpu {

// Tells the ledger this process's pid (at init and in a fork's child); until then it asks
// getpid() on every call.
void LedgerSetSelf(int32_t pid);

// Maps `path` (created 0600 when missing, initialized once under flock). Null, with a line on
// stderr, when the file cannot be opened or holds another magic/version/size.
fg_vgpu_shm* MapLedger(const char* path);
// A ledger private to this process (anonymous mapping), for a limit without FASTGPU_VGPU_SHM.
fg_vgpu_shm* PrivateLedger();

// Takes `bytes` on `device` for this process (slot *slot, claimed on first use; -1 = none yet)
// unless the job's total would exceed `limit`; before refusing, the slots of dead processes
// are reclaimed and the check repeated. False: refused, nothing changed (also when every slot
// is taken by a live process).
bool LedgerReserve(fg_vgpu_shm* shm, int* slot, int device, uint64_t bytes, uint64_t limit);
// (A grant also raises the job's high-water mark shm->peak[device].)
// Gives back up to `bytes` that this process holds on `device`.
void LedgerRelease(fg_vgpu_shm* shm, int slot, int device, uint64_t bytes);
// What the job's live processes hold on `device` (reclaims the slots of dead ones first).
uint64_t LedgerUsed(fg_vgpu_shm* shm, int device);
// Frees this process's slot (at exit: whatever it held is gone with its context).
void LedgerLeave(fg_vgpu_shm* shm, int slot);
// The job's shared compute bucket time (shm_abi.h `compute`): updated with atomics only.
int64_t* LedgerComputeTime(fg_vgpu_shm* shm);
// Zeroes the slots of processes that no longer exist; returns how many. Exposed for tests.
int LedgerReclaimDead(fg_vgpu_shm* shm);

}  // namespace fastgpu::vgpu
