// Hooks of the kernel launches: the compute share (runtime.h ChargeLaunch, limits.h bucket).

#include "vgpu/hook_util.h"

using fastgpu::vgpu::Launch;

extern "C" {

CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                        unsigned by, unsigned bz, unsigned shared, CUstream stream,
                        void** params, void** extra) {
  return Launch(FG_REAL(cuLaunchKernel), f, gx, gy, gz, bx, by, bz, shared, stream, params, extra);
}

CUresult cuLaunchKernel_ptsz(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                             unsigned by, unsigned bz, unsigned shared, CUstream stream,
                             void** params, void** extra) {
  return Launch(FG_REAL(cuLaunchKernel_ptsz), f, gx, gy, gz, bx, by, bz, shared, stream, params,
                extra);
}

CUresult cuLaunchKernelEx(const CUlaunchConfig* config, CUfunction f, void** params,
                          void** extra) {
  return Launch(FG_REAL(cuLaunchKernelEx), config, f, params, extra);
}

CUresult cuLaunchKernelEx_ptsz(const CUlaunchConfig* config, CUfunction f, void** params,
                               void** extra) {
  return Launch(FG_REAL(cuLaunchKernelEx_ptsz), config, f, params, extra);
}

CUresult cuLaunchCooperativeKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz,
                                   unsigned bx, unsigned by, unsigned bz, unsigned shared,
                                   CUstream stream, void** params) {
  return Launch(FG_REAL(cuLaunchCooperativeKernel), f, gx, gy, gz, bx, by, bz, shared, stream,
                params);
}

CUresult cuLaunchCooperativeKernel_ptsz(CUfunction f, unsigned gx, unsigned gy, unsigned gz,
                                        unsigned bx, unsigned by, unsigned bz, unsigned shared,
                                        CUstream stream, void** params) {
  return Launch(FG_REAL(cuLaunchCooperativeKernel_ptsz), f, gx, gy, gz, bx, by, bz, shared,
                stream, params);
}

CUresult cuGraphLaunch(CUgraphExec graph, CUstream stream) {
  return Launch(FG_REAL(cuGraphLaunch), graph, stream);
}

CUresult cuGraphLaunch_ptsz(CUgraphExec graph, CUstream stream) {
  return Launch(FG_REAL(cuGraphLaunch_ptsz), graph, stream);
}

}  // extern "C"
