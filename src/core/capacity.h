#pragma once
// Free-capacity arithmetic shared by ClusterState, the placement policies and the scheduler's
// reasons. Pure functions over plain values; integers only (milli-GPUs, MiB, milli-CPUs).

#include <cstdint>
#include <string>

#include "core/model/resources.h"
#include "core/pool/node_state.h"

namespace fastgpu::core {

// What shape of GPU request a ResourceRequest is (see resources.h).
enum class RequestKind {
  kNoGpu,      // gpu_count == 0: host resources only
  kWholeGpus,  // gpu_count fully idle devices
  kSlice,      // a share of one device
};

// Describes why `r` is not a well-formed request ("a slice must ask for exactly one GPU"), or
// returns "" when it is. Every other function here assumes a well-formed request.
std::string RequestShapeError(const ResourceRequest& r);
RequestKind KindOf(const ResourceRequest& r);

// Position of the device with `index` in `spec.devices`, or -1 when the node has none.
int FindDevice(const NodeSpec& spec, int32_t index);

// Whether `d` is one of the models `r` allows (an empty list allows every model).
bool ModelAllowed(const ResourceRequest& r, const DeviceSpec& d);

// The slice `r` takes on device `d`: a whole GPU is {1000, all of d's memory}; a slice with
// gpu_memory_mib 0 takes d.memory_mib * gpu_milli / 1000 (rounded down).
Slice SliceOn(const ResourceRequest& r, const DeviceSpec& d);

// Whether the device at `pos` may take new work: not when the agent reported it unhealthy
// (DeviceSpec::healthy). Its total still counts for feasibility, so jobs that need it wait.
inline bool Schedulable(const NodeState& n, size_t pos) { return n.spec().devices[pos].healthy; }

// Free capacity of a node (spec minus used); device positions index spec().devices.
int32_t FreeMilli(const NodeState& n, size_t pos);
int64_t FreeMemory(const NodeState& n, size_t pos);
bool IsIdle(const NodeState& n, size_t pos);  // nothing at all is held on it
int32_t FreeCpu(const NodeState& n);
int64_t FreeHostMemory(const NodeState& n);
// Free compute over all devices of the node.
int64_t FreeGpuMilli(const NodeState& n);
// BestFit's measure of what a node has left: free cpu milli + 16 x free GPU milli (a whole
// node of 128 CPUs weighs as much as 8 GPUs; see policy/bestfit_policy.h).
int64_t FitKey(const NodeState& n);
// Spread's load of a node: the mean, in per mille, of its used fractions of GPU compute,
// cpu and memory (parts the node has none of are left out).
int64_t LoadPerMille(const NodeState& n);
// Whether the node has r's cpu_milli and memory_mib free.
bool HostFits(const ResourceRequest& r, const NodeState& n);
// Whether the device at `pos` has the model and the free compute and memory for r's slice.
bool SliceFits(const ResourceRequest& r, const NodeState& n, size_t pos);

// Adds (sign +1) or removes (sign -1) what `p` holds to the node's used capacity. Removal
// clamps at zero; grants for devices the node does not have are skipped.
void AddUsage(const Placement& p, int sign, NodeState& n);

// Formatting for reasons: 250 -> "0.25", 2000 -> "2"; cpu 1500 -> "1.5 CPUs".
std::string FormatGpuMilli(int64_t milli);
std::string FormatCpuMilli(int64_t milli);
// "1 GPU", "16 GPUs".
std::string GpuCount(int64_t n);
// "a or b" of r.gpu_models.
std::string ModelList(const ResourceRequest& r);

}  // namespace fastgpu::core
