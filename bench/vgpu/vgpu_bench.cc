// Cost of the vGPU hooks, against the fake driver (tests/vgpu/fake_cuda.c) so that it measures
// our code, not a GPU. The binary links the fake libcuda directly, like an application; run it
// with and without LD_PRELOAD=libfastgpu-vgpu.so and compare (bench/vgpu/run_vgpu_bench.sh
// does all runs and prints the differences).
#include <benchmark/benchmark.h>
#include <cuda.h>

namespace {

void BM_LaunchKernel(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        cuLaunchKernel(nullptr, 1, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr));
  }
}
BENCHMARK(BM_LaunchKernel);

// One cuMemAlloc and its cuMemFree (a pair: the fake cannot allocate forever).
void BM_MemAllocFree(benchmark::State& state) {
  for (auto _ : state) {
    CUdeviceptr p = 0;
    benchmark::DoNotOptimize(cuMemAlloc(&p, 1 << 20));
    cuMemFree(p);
  }
}
BENCHMARK(BM_MemAllocFree);

void BM_MemGetInfo(benchmark::State& state) {
  for (auto _ : state) {
    size_t free_bytes = 0, total = 0;
    benchmark::DoNotOptimize(cuMemGetInfo(&free_bytes, &total));
  }
}
BENCHMARK(BM_MemGetInfo);

}  // namespace

BENCHMARK_MAIN();
