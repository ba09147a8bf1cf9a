#pragma once
// The NVIDIA device files of a node and which of them a job may not open.
//
// A GPU with index N is /dev/nvidiaN (NVIDIA's character major 195, minor N); the shared
// control files are /dev/nvidiactl (195:255), /dev/nvidia-modeset (195:254), /dev/nvidia-uvm
// and /dev/nvidia-uvm-tools (a dynamic major). A job given some GPUs may open those GPUs'
// files and the control files; a job given none may open none of them. The rules are taken
// from the files found (their st_rdev), so they hold for any major the driver was given.
// MIG capability files (/dev/nvidia-caps/nvidia-capN) are denied only where discovery names
// which device they belong to (`caps` below); others are left alone.
//
// ScanDeviceFiles reads a folder; DeniedFor is pure. The folder is /dev on a real node; tests
// point it at a folder of fake device nodes they made with mknod.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "agent/cgroup/devices.h"
#include "core/model/resources.h"

namespace fastgpu::agent {

struct DeviceFiles {
  std::map<int32_t, cgroup::DeviceRule> gpus;               // index -> its /dev/nvidiaN
  std::vector<cgroup::DeviceRule> control;                  // nvidiactl, nvidia-uvm, ... that exist
  std::map<int32_t, std::vector<cgroup::DeviceRule>> caps;  // index -> its MIG capability files
  bool empty() const { return gpus.empty() && control.empty() && caps.empty(); }
};

// The character devices named nvidia<N>, nvidiactl, nvidia-modeset, nvidia-uvm and
// nvidia-uvm-tools in `dir` (anything else, or a file that is not a character device, is
// ignored). A missing folder gives an empty result.
DeviceFiles ScanDeviceFiles(const std::string& dir);

// The device numbers a job granted `grants` must not open: every GPU file not granted and the
// MIG capability files of devices not granted; the control files too when it has no GPU.
std::vector<cgroup::DeviceRule> DeniedFor(const DeviceFiles& files,
                                          const std::vector<core::DeviceGrant>& grants);

}  // namespace fastgpu::agent
