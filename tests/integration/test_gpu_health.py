"""GPU discovery, telemetry and health end to end: a real server and agents whose NVML is the
fake libnvidia-ml.so.1 built by tests/agent (fake_nvml.c), changed while they run; and a job
under libfastgpu-vgpu.so whose GPU memory high-water mark reaches the GPU view."""

import json
import os
import tempfile
import unittest

from harness import Agent, Cluster, ClusterTestCase, wait_for

FAKE_NVML = os.environ.get("FASTGPU_FAKE_NVML", "")
VGPU_PROBE = os.environ.get("FASTGPU_VGPU_PROBE", "")
FAKE_CUDA_DIR = os.environ.get("FASTGPU_FAKE_CUDA_DIR", "")

TWO_GPUS = (
    "gpu uuid=GPU-a name=Fake_A100 memory_mib=81920 used_mib=3000 cc=8.0 util=37 temp=55 "
    "power_mw=123000 ecc_corrected=2 ecc_uncorrected=0\n"
    "gpu uuid=GPU-b name=Fake_A100 memory_mib=81920 cc=8.0\n")


def nvml_agent(name, config_path, extra=()):
    return Agent(name, simulate=None, env={"FAKE_NVML_CONFIG": config_path},
                 extra_args=["--nvml-library", FAKE_NVML, "--gpu-sample-ms", "100", *extra])


@unittest.skipUnless(os.path.isfile(FAKE_NVML), "the fake NVML was not built (FASTGPU_FAKE_NVML)")
class NvmlNodeTest(ClusterTestCase):
    def start(self, text, name="gpu"):
        folder = self.enterContext(tempfile.TemporaryDirectory(prefix="fg-nvml-"))
        self.config = os.path.join(folder, "nvml.conf")
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(text)
        self.cluster = self.enterContext(Cluster(agents=[nvml_agent(name, self.config)]))

    def gpus(self):
        status, body = self.cluster.http("GET", "/v1/gpus")
        self.assertEqual(status, 200, body)
        return {g["index"]: g for g in body["gpus"]}

    def test_telemetry_reaches_the_views_and_an_xid_takes_a_device_out_of_service(self):
        self.start(TWO_GPUS)
        wait_for(lambda: self.gpus()[0]["telemetry"] is not None, timeout=15,
                 what="telemetry in /v1/gpus")
        g = self.gpus()
        self.assertEqual(g[0]["model"], "Fake A100")
        self.assertEqual(g[0]["uuid"], "GPU-a")
        t = g[0]["telemetry"]
        self.assertEqual((t["utilization_pct"], t["temperature_c"], t["power_mw"]), (37, 55, 123000))
        self.assertEqual((t["memory_used_mib"], t["ecc_corrected"], t["compute_capability"]),
                         (3000, 2, "8.0"))
        self.assertTrue(g[1]["healthy"])
        status, nodes = self.cluster.http("GET", "/v1/nodes")
        node = nodes["nodes"][0]
        self.assertFalse(node["simulated"])
        self.assertGreater(node["telemetry_ms"], 0)
        self.assertEqual(node["devices"][0]["telemetry"]["utilization_pct"], 37)

        with open(self.config, "a", encoding="utf-8") as f:
            f.write("xid xid=79 gpu=1\n")
        wait_for(lambda: not self.gpus()[1]["healthy"], timeout=15, what="GPU 1 unhealthy")
        g = self.gpus()
        self.assertIn("XID 79", g[1]["health"])
        self.assertEqual(g[1]["free_milli"], 0)
        self.assertTrue(g[0]["healthy"])

        # Two one-GPU jobs: the first runs on GPU 0, the second waits (GPU 1 gets no new work).
        first = self.cluster.submit("sleep", "30", gpus=1)
        second = self.cluster.submit("sleep", "30", gpus=1)
        self.assertEqual(self.cluster.wait_state(first, "running")["devices"][0]["index"], 0)
        self.assertEqual(self.cluster.job(second)["state"], "pending")
        self.cluster.cli("cancel", first)
        self.cluster.cli("cancel", second)

    def test_a_gpu_gone_from_nvml_is_unhealthy(self):
        self.start(TWO_GPUS)
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(TWO_GPUS.replace("name=Fake_A100 memory_mib=81920 cc=8.0",
                                     "name=Fake_A100 memory_mib=81920 cc=8.0 lost=1"))
        wait_for(lambda: not self.gpus()[1]["healthy"], timeout=15, what="GPU 1 unhealthy")
        self.assertEqual(self.gpus()[1]["health"], "gone from NVML")

    def test_mig_instances_are_scheduled_as_devices(self):
        self.start("gpu uuid=GPU-m name=Fake_A100 memory_mib=40960 mig=1\n"
                   "mig uuid=MIG-one name=Fake_A100_MIG_3g.20gb memory_mib=20096 gi=1\n"
                   "mig uuid=MIG-two name=Fake_A100_MIG_3g.20gb memory_mib=20096 gi=2\n")
        g = self.gpus()
        self.assertEqual(sorted(g), [0, 1])
        self.assertEqual((g[0]["uuid"], g[0]["model"], g[0]["memory_mib"]),
                         ("MIG-one", "Fake A100 MIG 3g.20gb", 20096))
        out = self.cluster.path("env-mig")
        job = self.cluster.submit("sh", "-c", f"env > {out}", gpus=1)
        self.assertEqual(self.cluster.wait_state(job, ("succeeded", "failed"), timeout=20)["state"],
                         "succeeded")
        with open(out, encoding="utf-8") as f:
            env = dict(line.rstrip("\n").partition("=")[::2] for line in f if "=" in line)
        self.assertEqual(env["CUDA_VISIBLE_DEVICES"], "MIG-one")  # CUDA names MIG by uuid
        self.assertEqual(env["FASTGPU_GPUS"], "MIG-one")
        self.assertNotIn("LD_PRELOAD", env)  # a whole instance: the hardware isolates it


def vgpu_library_built():
    binary = os.environ.get("FASTGPU_BIN", "")
    lib = os.path.join(os.path.dirname(os.path.dirname(binary)), "vgpu", "libfastgpu-vgpu.so")
    return os.path.exists(lib) and os.path.isfile(VGPU_PROBE)


@unittest.skipUnless(vgpu_library_built(), "libfastgpu-vgpu.so or vgpu_probe was not built")
class GpuMemoryPeakTest(ClusterTestCase):
    def test_a_slice_jobs_high_water_mark_reaches_the_gpu_view(self):
        c = self.cluster = self.enterContext(Cluster(agents=[Agent("sim", "1xA100-80GB")]))
        # The probe takes 64 MiB through the fake driver under the library, then holds it.
        job = c.submit(VGPU_PROBE, "hold", "link", str(64 << 20), gpus=0.25,
                       args=("--env", f"LD_LIBRARY_PATH={FAKE_CUDA_DIR}"))
        c.wait_state(job, "running")

        def peak():
            status, body = c.http("GET", "/v1/gpus")
            allocations = body["gpus"][0]["allocations"]
            return allocations[0]["memory_peak_mib"] if allocations else None
        wait_for(lambda: peak() == 64, timeout=20, what="a 64 MiB peak in /v1/gpus")
        status, nodes = c.http("GET", "/v1/nodes")
        self.assertIn({"job": job, "attempt": 1, "gpu_memory_peak_mib": 64},
                      nodes["nodes"][0]["gpu_jobs"], json.dumps(nodes))
        c.cli("cancel", job)


if __name__ == "__main__":
    unittest.main()
