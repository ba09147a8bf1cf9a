#pragma once
// Small file helpers for cgroup folders: whole-file reads and single writes with errno text.

#include <string>

#include "common/result.h"

namespace fastgpu::agent::cgroup {

Result<std::string> ReadFile(const std::string& path);
// One write(2) of `value`, as the kernel's cgroup files expect. Internal naming the path and
// errno on failure; *err_no (if given) receives errno.
Status WriteFile(const std::string& path, const std::string& value, int* err_no = nullptr);
// mkdir -p with mode 0755; OK when it exists.
Status MakeDirs(const std::string& path);
bool Exists(const std::string& path);

}  // namespace fastgpu::agent::cgroup
