#pragma once
// Multi-node jobs (gangs): walking the ranks of a Placement (see resources.h). Pure helpers.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/model/resources.h"

namespace fastgpu::core {

// The ranks of `p` in order: rank 0 (p itself), then p.peers. One element for a single-node
// job. The pointers point into `p`.
std::vector<const Placement*> Ranks(const Placement& p);

// How many nodes the placement spans (1 + peers).
inline int32_t WorldSize(const Placement& p) { return 1 + static_cast<int32_t>(p.peers.size()); }

// The rank that runs on `node`, or -1 when no rank does.
int32_t RankOn(const Placement& p, std::string_view node);

// The part of `p` on `node`: that rank's devices, cpu and memory (and, for rank 0, the port),
// without peers; nullopt when no rank runs there.
std::optional<Placement> PartOn(const Placement& p, std::string_view node);

}  // namespace fastgpu::core
