#pragma once
// The running program's own path, for finding the binaries and libraries installed beside it.

#include <string>

namespace fastgpu {

// The absolute path of the running executable (/proc/self/exe, symlinks resolved); "" when
// it cannot be read.
std::string SelfExecutable();

}  // namespace fastgpu
