#include "core/model/gang.h"

namespace fastgpu::core {

std::vector<const Placement*> Ranks(const Placement& p) {
  std::vector<const Placement*> out;
  out.reserve(1 + p.peers.size());
  out.push_back(&p);
  for (const Placement& peer : p.peers) out.push_back(&peer);
  return out;
}

int32_t RankOn(const Placement& p, std::string_view node) {
  if (p.node == node) return 0;
  for (size_t i = 0; i < p.peers.size(); ++i) {
    if (p.peers[i].node == node) return static_cast<int32_t>(i) + 1;
  }
  return -1;
}

std::optional<Placement> PartOn(const Placement& p, std::string_view node) {
  const int32_t rank = RankOn(p, node);
  if (rank < 0) return std::nullopt;
  if (rank > 0) return p.peers[static_cast<size_t>(rank) - 1];
  Placement part = p;
  part.peers.clear();
  return part;
}

}  // namespace fastgpu::core
