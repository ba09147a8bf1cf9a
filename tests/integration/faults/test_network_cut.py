"""Fault: an agent is cut off the network (its own network namespace, the veth link to the
server taken down) and then restored.

The cut-off agent stops its attempts itself before the server's grace period ends (fencing);
the server then moves them; when the link comes back the node is told its set without them.
No job runs twice at once (each attempt holds an exclusive lock on its job's lock file while it
runs; a second holder would record a duplicate) and each job runs to its end exactly once.
Needs root and `ip netns`; the test makes the namespace and the veth pair itself and removes
them afterwards.
"""

import os
import shutil
import subprocess
import time
import unittest

from harness import Agent, Cluster, ClusterTestCase, wait_for

GRACE_MS = 3000
HEARTBEAT_MS = 500


def ip(*args, check=True):
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


class Netns:
    def __init__(self):
        tag = os.getpid() % 100000
        self.ns = f"fgcut{tag}"
        self.host_if, self.ns_if = f"fgh{tag}", f"fgn{tag}"
        third = os.getpid() % 250 + 1
        self.host_ip, self.ns_ip = f"10.213.{third}.1", f"10.213.{third}.2"

    def __enter__(self):
        ip("netns", "add", self.ns)
        try:
            ip("link", "add", self.host_if, "type", "veth", "peer", "name", self.ns_if)
            ip("link", "set", self.ns_if, "netns", self.ns)
            ip("addr", "add", f"{self.host_ip}/30", "dev", self.host_if)
            ip("link", "set", self.host_if, "up")
            ip("netns", "exec", self.ns, "ip", "addr", "add", f"{self.ns_ip}/30", "dev", self.ns_if)
            ip("netns", "exec", self.ns, "ip", "link", "set", self.ns_if, "up")
            ip("netns", "exec", self.ns, "ip", "link", "set", "lo", "up")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def cut(self):
        ip("link", "set", self.host_if, "down")

    def restore(self):
        ip("link", "set", self.host_if, "up")

    def __exit__(self, *exc):
        ip("link", "del", self.host_if, check=False)
        ip("netns", "del", self.ns, check=False)
        return False


def can_make_namespaces():
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    if shutil.which("ip") is None:
        return "needs iproute2's ip"
    probe = f"fgprobe{os.getpid() % 100000}"
    r = ip("netns", "add", probe, check=False)
    if r.returncode != 0:
        return f"cannot make a network namespace: {r.stderr.strip()}"
    ip("netns", "del", probe, check=False)
    return None


class NetworkCutTest(ClusterTestCase):
    def test_cut_agent_fences_its_jobs_and_none_runs_twice(self):
        why = can_make_namespaces()
        if why:
            self.skipTest(why)
        with Netns() as net:
            cut_off = Agent("node-a", simulate="2xA100-80GB", wrapper=["ip", "netns", "exec", net.ns],
                            server_url=f"http://{net.host_ip}:{{port}}")
            other = Agent("node-b", simulate="2xA100-80GB")
            with Cluster(agents=[cut_off, other], node_grace_ms=GRACE_MS, listen_host="0.0.0.0",
                         server_args=["--heartbeat-ms", str(HEARTBEAT_MS)]) as c:
                self.cluster = c
                self.run_scenario(c, net)

    def run_scenario(self, c, net):
        dups = c.path("duplicates")
        c.cli("cordon", "node-b")
        jobs = []
        for i in range(2):
            lock, runs = c.path(f"lock-{i}"), c.path(f"runs-{i}")
            script = (f"exec 9>>{lock}; flock -n 9 || {{ echo dup >> {dups}; exit 7; }}; "
                      f"echo start $FASTGPU_ATTEMPT >> {runs}; sleep 8; echo end >> {runs}")
            job_id = c.submit("sh", "-c", script, gpus=1, args=("--max-retries", "2"))
            jobs.append((job_id, runs))
        for job_id, _ in jobs:
            self.assertEqual(c.wait_state(job_id, "running")["node"], "node-a")
        c.cli("uncordon", "node-b")

        net.cut()
        cut_at = time.monotonic()
        for job_id, _ in jobs:  # moved to node-b once node-a is lost
            j = wait_for(lambda: (lambda j: j["node"] == "node-b" and j["state"] == "running"
                                  and j)(c.job(job_id)), GRACE_MS / 1000 + 10,
                         f"job {job_id} to run on node-b")
            self.assertEqual(j["attempt"], 2, j)
        moved_after = time.monotonic() - cut_at
        time.sleep(1.0)
        net.restore()
        c.wait_nodes_ready(["node-a", "node-b"], timeout=20)
        ends = []
        for job_id, runs in jobs:
            c.wait_state(job_id, "succeeded", timeout=30)
            with open(runs) as f:
                ends.append(f.read().split().count("end"))
        duplicates = os.path.getsize(dups) if os.path.exists(dups) else 0
        fenced = any("fenced" in open(p, errors="replace").read()
                     for p in (c.agents[0].log_out, c.agents[0].log_err))
        print(f"\n[network cut] jobs moved {moved_after:.2f} s after the cut (grace "
              f"{GRACE_MS / 1000:.1f} s); the cut-off agent fenced its attempts: {fenced}; "
              f"ends per job {ends}; concurrent runs detected: {duplicates}", flush=True)
        self.assertEqual(duplicates, 0, "a job ran on two nodes at once")
        self.assertEqual(ends, [1, 1], "each job must run to its end exactly once")
        self.assertTrue(fenced, "the cut-off agent did not stop its attempts itself")


if __name__ == "__main__":
    unittest.main()
