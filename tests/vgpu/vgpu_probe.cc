// vgpu_probe: a small CUDA "application" run by vgpu_test under LD_PRELOAD=libfastgpu-vgpu.so
// against the fake driver. Usage: vgpu_probe COMMAND MODE ARGS... (MODE: see probe_api.h)
//   exact MODE ENTRY LIMIT   over/at/after the limit at one entry point; prints "ok" or why not
//   alloc MODE BYTES         one cuMemAlloc; prints "rc=N"
//   hold MODE BYTES          cuMemAlloc, prints "held rc=N", then waits to be killed
//   race MODE CHUNK TRIES    up to TRIES cuMemAllocs; prints "granted=K"; holds until stdin EOF
//   info MODE BYTES          cuMemAlloc, then every memory query: "name total used free"
//   compute MODE KIND MS [sync]  launches KIND (kernel|ex|coop|graph) for MS ms; prints
//                            "share=P starved=S"; with "sync", first prints "ready" and waits for
//                            stdin's EOF, so that several probes start at the same moment
//                            (busy time of the fake device, and time spent waiting for a
//                            CPU, per mille of wall time)
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <functional>
#include <string>

#include "probe_api.h"

namespace {

using fastgpu::vgpu::test::ProbeApi;
using Handle = unsigned long long;  // NOLINT: CUdeviceptr, CUmemGenericAllocationHandle
using AllocFn = std::function<CUresult(uint64_t bytes, Handle* handle)>;
using FreeFn = std::function<CUresult(Handle handle)>;

struct Entry {
  AllocFn alloc;
  FreeFn free;
};

Entry EntryFor(const ProbeApi& a, const std::string& name) {
  FreeFn free_ptr = [&a](Handle h) { return a.mem_free(h); };
  FreeFn free_array = [&a](Handle h) { return a.array_destroy(reinterpret_cast<CUarray>(h)); };
  if (name == "alloc") return {[&a](uint64_t b, Handle* h) { return a.mem_alloc(h, b); }, free_ptr};
  if (name == "pitch") {
    return {[&a](uint64_t b, Handle* h) {
              size_t pitch = 0;
              return a.mem_alloc_pitch(h, &pitch, b, 1, 4);
            },
            free_ptr};
  }
  if (name == "managed") {
    return {[&a](uint64_t b, Handle* h) { return a.mem_alloc_managed(h, b, 1); }, free_ptr};
  }
  if (name == "async") {
    return {[&a](uint64_t b, Handle* h) { return a.mem_alloc_async(h, b, nullptr); },
            [&a](Handle h) { return a.mem_free_async(h, nullptr); }};
  }
  if (name == "pool") {
    return {[&a](uint64_t b, Handle* h) { return a.mem_alloc_pool(h, b, nullptr, nullptr); },
            [&a](Handle h) { return a.mem_free_async(h, nullptr); }};
  }
  if (name == "create") {
    return {[&a](uint64_t b, Handle* h) {
              CUmemAllocationProp prop = {};
              prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
              prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
              prop.location.id = 0;
              return a.mem_create(h, b, &prop, 0);
            },
            [&a](Handle h) { return a.mem_release(h); }};
  }
  if (name == "array") {
    return {[&a](uint64_t b, Handle* h) {
              CUDA_ARRAY_DESCRIPTOR d = {b, 0, CU_AD_FORMAT_UNSIGNED_INT8, 1};
              return a.array_create(reinterpret_cast<CUarray*>(h), &d);
            },
            free_array};
  }
  if (name == "array3d") {
    return {[&a](uint64_t b, Handle* h) {
              CUDA_ARRAY3D_DESCRIPTOR d = {b, 0, 0, CU_AD_FORMAT_UNSIGNED_INT8, 1, 0};
              return a.array3d_create(reinterpret_cast<CUarray*>(h), &d);
            },
            free_array};
  }
  if (name == "mipmap") {
    return {[&a](uint64_t b, Handle* h) {
              CUDA_ARRAY3D_DESCRIPTOR d = {b, 0, 0, CU_AD_FORMAT_UNSIGNED_INT8, 1, 0};
              return a.mipmap_create(reinterpret_cast<CUmipmappedArray*>(h), &d, 1);
            },
            [&a](Handle h) { return a.mipmap_destroy(reinterpret_cast<CUmipmappedArray>(h)); }};
  }
  return {};
}

int Exact(const ProbeApi& api, const std::string& entry_name, uint64_t limit) {
  Entry e = EntryFor(api, entry_name);
  if (!e.alloc) return printf("unknown entry %s\n", entry_name.c_str()), 2;
  Handle h = 0;
  CUresult rc = e.alloc(limit + 1, &h);
  if (rc != CUDA_ERROR_OUT_OF_MEMORY) return printf("limit+1: rc=%d\n", rc), 1;
  if ((rc = e.alloc(limit, &h)) != CUDA_SUCCESS) return printf("limit: rc=%d\n", rc), 1;
  Handle h2 = 0;
  if ((rc = e.alloc(1, &h2)) != CUDA_ERROR_OUT_OF_MEMORY) return printf("+1: rc=%d\n", rc), 1;
  if ((rc = e.free(h)) != CUDA_SUCCESS) return printf("free: rc=%d\n", rc), 1;
  if ((rc = e.alloc(limit, &h)) != CUDA_SUCCESS) return printf("again: rc=%d\n", rc), 1;
  e.free(h);
  printf("ok\n");
  return 0;
}

uint64_t FakeBusyNs() {
  auto fn = reinterpret_cast<uint64_t (*)()>(dlsym(RTLD_DEFAULT, "fake_cuda_busy_ns"));
  return fn != nullptr ? fn() : 0;
}

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

CUresult LaunchOne(const ProbeApi& a, const std::string& kind) {
  if (kind == "ex") {
    CUlaunchConfig config = {};
    return a.launch_kernel_ex(&config, nullptr, nullptr, nullptr);
  }
  if (kind == "coop") return a.launch_cooperative(nullptr, 1, 1, 1, 1, 1, 1, 0, nullptr, nullptr);
  if (kind == "graph") return a.graph_launch(nullptr, nullptr);
  return a.launch_kernel(nullptr, 1, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr);
}

// Nanoseconds this process has spent runnable but waiting for a CPU (/proc/self/schedstat's
// second field); 0 where the kernel does not say.
int64_t RunDelayNs() {
  FILE* f = fopen("/proc/self/schedstat", "r");
  if (f == nullptr) return 0;
  long long run = 0, delay = 0;
  int got = fscanf(f, "%lld %lld", &run, &delay);
  fclose(f);
  return got == 2 ? delay : 0;
}

// The fake device is this process's CPU: time spent waiting for a CPU (a loaded machine) is
// time it could not compute, reported as "starved" per mille of wall time beside the share.
int Compute(const ProbeApi& api, const std::string& kind, int64_t ms) {
  int64_t start = NowNs();
  int64_t delay0 = RunDelayNs();
  uint64_t busy0 = FakeBusyNs();
  while (NowNs() - start < ms * 1000000) {
    if (LaunchOne(api, kind) != CUDA_SUCCESS) return printf("launch failed\n"), 1;
  }
  int64_t wall = NowNs() - start;
  printf("share=%lld starved=%lld\n",
         static_cast<long long>((FakeBusyNs() - busy0) * 1000 / wall),
         static_cast<long long>((RunDelayNs() - delay0) * 1000 / wall));
  return 0;
}

int Info(const ProbeApi& api, uint64_t bytes) {
  CUdeviceptr p = 0;
  if (bytes > 0 && api.mem_alloc(&p, bytes) != CUDA_SUCCESS) return printf("alloc failed\n"), 1;
  size_t free_bytes = 0, total = 0, dev_total = 0;
  api.mem_get_info(&free_bytes, &total);
  api.device_total_mem(&dev_total, 0);
  printf("cuMemGetInfo %zu %zu %zu\n", total, total - free_bytes, free_bytes);
  printf("cuDeviceTotalMem %zu\n", dev_total);
  void* nvml = dlopen("libnvidia-ml.so.1", RTLD_NOW);
  if (nvml == nullptr) return printf("no nvml\n"), 1;
  struct M1 { unsigned long long total, free, used; } m1 = {};
  struct M2 { unsigned version; unsigned long long total, reserved, free, used; } m2 = {};
  auto by_index = reinterpret_cast<int (*)(unsigned, void**)>(
      dlsym(nvml, "nvmlDeviceGetHandleByIndex_v2"));
  auto info1 = reinterpret_cast<int (*)(void*, M1*)>(dlsym(nvml, "nvmlDeviceGetMemoryInfo"));
  auto info2 = reinterpret_cast<int (*)(void*, M2*)>(dlsym(nvml, "nvmlDeviceGetMemoryInfo_v2"));
  void* dev = nullptr;
  by_index(0, &dev);
  info1(dev, &m1);
  info2(dev, &m2);
  printf("nvmlDeviceGetMemoryInfo %llu %llu %llu\n", m1.total, m1.used, m1.free);
  printf("nvmlDeviceGetMemoryInfo_v2 %llu %llu %llu\n", m2.total, m2.used, m2.free);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) return fprintf(stderr, "usage: vgpu_probe COMMAND MODE ARGS...\n"), 2;
  std::string command = argv[1];
  ProbeApi api;
  std::string error;
  if (!fastgpu::vgpu::test::LoadProbeApi(argv[2], &api, &error)) {
    return printf("load: %s\n", error.c_str()), 2;
  }
  uint64_t n = strtoull(argv[3], nullptr, 10);
  setvbuf(stdout, nullptr, _IONBF, 0);
  if (command == "exact" && argc == 5) return Exact(api, argv[3], strtoull(argv[4], nullptr, 10));
  if (command == "alloc") {
    CUdeviceptr p = 0;
    return printf("rc=%d\n", api.mem_alloc(&p, n)), 0;
  }
  if (command == "hold") {
    CUdeviceptr p = 0;
    printf("held rc=%d\n", api.mem_alloc(&p, n));
    for (;;) pause();
  }
  if (command == "race" && argc == 5) {
    int granted = 0;
    for (uint64_t i = 0, tries = strtoull(argv[4], nullptr, 10); i < tries; ++i) {
      CUdeviceptr p = 0;
      if (api.mem_alloc(&p, n) == CUDA_SUCCESS) ++granted;
    }
    printf("granted=%d\n", granted);
    char c;
    while (read(0, &c, 1) > 0) {
    }
    return 0;
  }
  if (command == "info") return Info(api, n);
  if (command == "compute" && (argc == 5 || argc == 6)) {
    if (argc == 6 && std::string(argv[5]) == "sync") {
      printf("ready\n");
      char c;
      while (read(0, &c, 1) > 0) {
      }
    }
    return Compute(api, argv[3], atoll(argv[4]));
  }
  return fprintf(stderr, "bad command\n"), 2;
}
