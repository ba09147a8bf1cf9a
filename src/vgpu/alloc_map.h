#pragma once
// This process's live allocations: (kind, key) -> (device, bytes), so that a free gives back
// exactly what its allocation took. An open-addressing hash table in anonymous mappings (no
// malloc, no C++ runtime), grown by doubling, guarded by one process-local mutex.

#include <stdint.h>

namespace fastgpu::vgpu {

// Records an allocation; a key recorded twice keeps the latest value. False when the table
// cannot grow (the allocation is then not remembered and never given back).
bool AllocMapPut(uint8_t kind, uint64_t key, int device, uint64_t bytes);
// Removes (kind, key); false when it is not there.
bool AllocMapTake(uint8_t kind, uint64_t key, int* device, uint64_t* bytes);

}  // namespace fastgpu::vgpu
