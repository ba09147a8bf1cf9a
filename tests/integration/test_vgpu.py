"""vGPU integration: a fractional job runs with libfastgpu-vgpu.so preloaded and its limits in
its environment; a whole-GPU job runs without them (docs/vgpu.md)."""

import os
import unittest

from harness import Agent, Cluster, ClusterTestCase

ENDED = ("succeeded", "failed", "cancelled")


def read_env(path):
    env = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            key, sep, value = line.rstrip("\n").partition("=")
            if sep:
                env[key] = value
    return env


def vgpu_library_built():
    """The agent finds the library beside the binary (../vgpu/ in a build tree). It is not
    built where the CUDA toolkit's headers are missing (see src/vgpu/CMakeLists.txt)."""
    binary = os.environ.get("FASTGPU_BIN", "")
    lib = os.path.join(os.path.dirname(os.path.dirname(binary)), "vgpu", "libfastgpu-vgpu.so")
    return not binary or os.path.exists(lib)


@unittest.skipUnless(vgpu_library_built(), "libfastgpu-vgpu.so was not built (no CUDA headers)")
class VgpuTest(ClusterTestCase):
    def setUp(self):
        self.cluster = self.enterContext(Cluster(agents=[Agent("solo", "1xA100-80GB")]))

    def run_env_job(self, name, gpus, args=()):
        c = self.cluster
        out = c.path(f"env-{name}")
        job = c.submit("sh", "-c", f"env > {out}", gpus=gpus, args=args)
        self.assertEqual(c.wait_state(job, ENDED, timeout=20)["state"], "succeeded")
        return read_env(out)

    def assert_preloaded(self, env):
        preload = env.get("LD_PRELOAD", "")
        self.assertTrue(preload.endswith("libfastgpu-vgpu.so"), env)
        self.assertTrue(os.path.isabs(preload) and os.path.isfile(preload), preload)
        shm = env.get("FASTGPU_VGPU_SHM", "")
        self.assertTrue(os.path.isabs(shm) and shm.endswith("/vgpu.shm"), env)
        self.assertIn("/attempts/", shm)

    def test_quarter_gpu_job_is_preloaded_with_its_limits(self):
        env = self.run_env_job("quarter", 0.25)
        self.assert_preloaded(env)
        self.assertEqual(env.get("FASTGPU_VGPU_COMPUTE_SHARE"), "250", env)
        # A quarter of the GPU carries a quarter of its 80 GiB as its memory slice.
        self.assertEqual(env.get("FASTGPU_VGPU_MEMORY_LIMIT"), str(20 * 1024 ** 3), env)

    def test_memory_slice_job_is_preloaded_with_its_limits(self):
        env = self.run_env_job("memory", 1, args=("--gpu-memory", "10GiB"))
        self.assert_preloaded(env)
        self.assertEqual(env.get("FASTGPU_VGPU_MEMORY_LIMIT"), str(10 * 1024 ** 3), env)
        self.assertEqual(env.get("FASTGPU_VGPU_COMPUTE_SHARE"), "1000", env)

    def test_whole_gpu_job_runs_without_the_library(self):
        env = self.run_env_job("whole", 1)
        for key in ("LD_PRELOAD", "FASTGPU_VGPU_SHM", "FASTGPU_VGPU_MEMORY_LIMIT",
                    "FASTGPU_VGPU_COMPUTE_SHARE"):
            self.assertNotIn(key, env)
        self.assertEqual(env.get("CUDA_VISIBLE_DEVICES"), "0", env)


if __name__ == "__main__":
    unittest.main()
