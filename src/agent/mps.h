#pragma once
// Whether an MPS control daemon (nvidia-cuda-mps-control -d) runs on this node, so that the
// agent can give fractional jobs MPS's own limits (reconciler.h BuildLaunchSpec).

#include <string>

namespace fastgpu::agent {

// The pipe directory of a running MPS control daemon: `configured` when given (the agent's
// --mps-pipe-dir), else the agent's CUDA_MPS_PIPE_DIRECTORY, else /tmp/nvidia-mps. Returns it
// (absolute) when a `control` pipe or socket exists there, "" otherwise. Never throws.
std::string FindMpsPipeDirectory(const std::string& configured);

}  // namespace fastgpu::agent
