"""Node isolation between jobs and tenants (docs/security.md), on a real server and agent:
GPU device files restricted by the kernel (fake NVIDIA nodes made here with mknod, major 195,
found through the agent's test-only --device-dir), a user per tenant, private folders, logs
and /tmp, the agent's data folder and join token out of reach, cleanup at the end, and the
node's isolation status in GET /v1/nodes. Needs root (users, mknod, cgroups, namespaces)."""
# ctest-labels: agent isolation

import os
import shutil
import stat
import tempfile
import time
import unittest

from harness import Agent, Cluster, ClusterTestCase, read_pid_file, touch, wait_for

ENDED = ("succeeded", "failed", "cancelled")
UVM_MAJOR = 237  # unregistered here, as a dynamic nvidia-uvm major would be
DEVICES = {"nvidia0": (195, 0), "nvidia1": (195, 1), "nvidia2": (195, 2),
           "nvidiactl": (195, 255), "nvidia-uvm": (UVM_MAJOR, 0)}

# Opens each device file (CUDA_VISIBLE_DEVICES unset first) and prints NAME ERRNO per line.
OPEN_DEVICES = """
import errno, os, sys
os.environ.pop("CUDA_VISIBLE_DEVICES", None)
for name in sys.argv[2:]:
    try:
        os.close(os.open(os.path.join(sys.argv[1], name), os.O_RDWR))
        print(name, "OPENED")
    except OSError as e:
        print(name, errno.errorcode[e.errno])
"""

# Tries to read each PATH; prints "LABEL leaked" or "LABEL denied (ERRNO)". A folder is listed.
TRY_READ = """
import errno, os, sys
for item in sys.argv[1:]:
    label, path = item.split("=", 1)
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            with open(path, "rb") as f:
                f.read()
        print(label, "leaked")
    except OSError as e:
        print(label, "denied", errno.errorcode[e.errno])
"""

# Looks for the token (given in two halves, so that this probe's own command line does not
# hold it) in every /proc/PID/cmdline and environ this process can read.
FIND_TOKEN = """
import os, sys
token = (sys.argv[1] + sys.argv[2]).encode()
found = []
for pid in filter(str.isdigit, os.listdir("/proc")):
    for what in ("cmdline", "environ"):
        try:
            with open(f"/proc/{pid}/{what}", "rb") as f:
                if token in f.read():
                    found.append(f"{pid}/{what}")
        except OSError:
            pass
print("token found in", found if found else "nothing")
"""


@unittest.skipUnless(os.geteuid() == 0, "users, device nodes, cgroups and namespaces need root")
class IsolationTest(ClusterTestCase):
    @classmethod
    def setUpClass(cls):
        cls.dev = tempfile.mkdtemp(prefix="fg-fakedev-", dir="/var/tmp")
        os.chmod(cls.dev, 0o755)
        for name, (major, minor) in DEVICES.items():
            path = os.path.join(cls.dev, name)
            os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
            os.chmod(path, 0o666)  # mknod honours the umask
        cls.cluster = cls.enterClassContext(Cluster(agents=[
            Agent("node-a", "3xA100-80GB", kill_grace_ms=500,
                  extra_args=["--device-dir", cls.dev])]))

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.dev, ignore_errors=True)

    def submit_as(self, tenant, argv, gpus=None, env=None, **extra):
        body = {"argv": list(argv), "tenant": tenant, **extra}
        if gpus is not None:
            body["resources"] = {"gpus": gpus}
        if env:
            body["env"] = env
        status, job = self.cluster.http("POST", "/v1/jobs", body)
        self.assertEqual(status, 201, job)
        return job["id"]

    def finish(self, job_id):
        job = self.cluster.wait_state(job_id, ENDED, timeout=30)
        self.assertEqual(job["state"], "succeeded", job)
        return self.cluster.cli("logs", job_id).stdout

    def lines(self, text):
        return dict(line.split(" ", 1) for line in text.strip().splitlines())

    def test_node_reports_what_it_enforces(self):
        status, body = self.cluster.http("GET", "/v1/nodes")
        node = body["nodes"][0]
        self.assertEqual(node["isolation"]["devices"], "cgroup-v1-devices", node)
        self.assertTrue(node["isolation"]["users"].startswith("a user per tenant"), node)
        self.assertEqual(node["isolation"]["private_tmp"], "mount namespace", node)
        self.assertEqual((node["isolates_tenants"], node["warnings"]), (True, []), node)
        status, text = self.cluster.http("GET", "/metrics", key=None, raw=True)
        self.assertEqual(status, 200)
        for line in ('fastgpu_node_isolates_tenants{node="node-a"} 1',
                     'fastgpu_node_isolation{node="node-a",boundary="devices"} 1',
                     'fastgpu_node_isolation{node="node-a",boundary="private_tmp"} 1',
                     'fastgpu_node_healthy{node="node-a"} 1'):
            self.assertIn(line, text.decode().splitlines())

    def test_a_job_opens_only_its_own_gpu_and_the_control_files(self):
        c = self.cluster
        stop = c.path("STOP-devices")
        holders = [self.submit_as("alice", ["sh", "-c", f"while [ ! -f {stop} ]; do sleep 0.05; done"],
                                  gpus=1) for _ in range(2)]
        for h in holders:
            c.wait_state(h, "running")
        probe = self.submit_as("alice", ["python3", "-c", OPEN_DEVICES, self.dev, *DEVICES],
                               gpus=1)
        out = self.finish(probe)
        mine = c.job(probe)["devices"][0]["index"]
        taken = sorted(c.job(h)["devices"][0]["index"] for h in holders)
        self.assertEqual(sorted(taken + [mine]), [0, 1, 2])
        # Let through: its device and the control files reach the (absent) driver: ENXIO.
        # Refused by the kernel's device controller: EPERM.
        expected = {f"nvidia{i}": "ENXIO" if i == mine else "EPERM" for i in range(3)}
        expected.update({"nvidiactl": "ENXIO", "nvidia-uvm": "ENXIO"})
        self.assertEqual(self.lines(out), expected, out)
        touch(stop)
        for h in holders:
            c.wait_state(h, ENDED, timeout=20)

    def test_a_job_without_gpus_opens_none_of_them(self):
        out = self.finish(self.submit_as("alice", ["python3", "-c", OPEN_DEVICES, self.dev,
                                                   *DEVICES]))
        self.assertEqual(self.lines(out), {name: "EPERM" for name in DEVICES}, out)

    def test_tenants_cannot_reach_each_other_or_the_agent(self):
        c = self.cluster
        agent_dir = c.agents[0].data_dir
        stop, pidfile, pwdfile = c.path("STOP-b"), c.path("b.pid"), c.path("b.pwd")
        bob = self.submit_as("bob", ["sh", "-c",
                                     f"echo $$ > {pidfile}; pwd > {pwdfile}; echo bob-file > own.txt; "
                                     f"echo bob-tmp > /tmp/bob.txt; echo bob-log-line; "
                                     f"while [ ! -f {stop} ]; do sleep 0.05; done"],
                             env={"BOB_SECRET": "hunter2"})
        c.wait_state(bob, "running")
        bob_pid = read_pid_file(pidfile)
        wait_for(lambda: os.path.exists(pwdfile) and os.path.getsize(pwdfile) > 0, 10, "bob's pwd")
        with open(pwdfile) as f:
            bob_dir = f.read().strip()
        attempt = os.path.join(agent_dir, "attempts", f"{bob}-1")
        targets = {"environ": f"/proc/{bob_pid}/environ", "workdir": bob_dir,
                   "file": os.path.join(bob_dir, "own.txt"),
                   "log": os.path.join(attempt, "stdout.log"), "tmp": "/tmp/bob.txt",
                   "spec": os.path.join(attempt, "spec.json"), "agent_data": agent_dir,
                   "join_token": os.path.join(c.server_dir, "join-token"),
                   "server_data": c.server_dir}
        args = [f"{k}={v}" for k, v in targets.items()]

        alice = self.submit_as("alice", ["sh", "-c", 'id -u; python3 -c "$0" "$@"', TRY_READ, *args])
        seen = self.lines(self.finish(alice).split("\n", 1)[1])
        self.assertEqual(c.job(bob)["state"], "running", "both tenants ran side by side")
        self.assertEqual({k: v.split()[0] for k, v in seen.items()},
                         {k: "denied" for k in targets}, seen)
        self.assertEqual(seen["tmp"], "denied ENOENT", "alice's /tmp is her own")

        # In its own mount namespace the agent's folder is an empty tmpfs but for the job's own
        # folders: no other attempt is there to be found, even by name.
        attempts = os.path.join(agent_dir, "attempts")
        walk = self.submit_as("alice", ["sh", "-c", f"ls -a {attempts}; ls {attempts}/{bob}-1"])
        job = c.wait_state(walk, ENDED, timeout=30)
        self.assertEqual(c.cli("logs", walk).stdout, f".\n..\n{walk}-1\n", job)
        self.assertIn("No such file", c.cli("logs", walk, "--stderr").stdout)

        half = len(c.join_token) // 2
        token_probe = self.submit_as("alice", ["python3", "-c", FIND_TOKEN, c.join_token[:half],
                                               c.join_token[half:]])
        self.assertEqual(self.finish(token_probe), "token found in nothing\n")

        # The same probe as bob reaches bob's own process: the check above can fail.
        own = self.submit_as("bob", ["python3", "-c", TRY_READ, f"environ=/proc/{bob_pid}/environ"])
        self.assertEqual(self.lines(self.finish(own)), {"environ": "leaked"})
        uids = [int(self.finish(self.submit_as(t, ["id", "-u"]))) for t in ("alice", "bob")]
        self.assertNotEqual(uids[0], uids[1])
        self.assertNotIn(0, uids)
        # Beneath the namespace, the files' modes hold too: bob's log is the agent's, readable
        # by bob's group only (alice is not in it).
        st = os.stat(targets["log"])
        self.assertEqual((stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid), (0o640, 0, uids[1]))
        self.assertEqual(stat.S_IMODE(os.stat(agent_dir).st_mode), 0o711)
        touch(stop)
        self.assertEqual(c.wait_state(bob, ENDED, timeout=20)["state"], "succeeded")
        self.assertFalse(os.path.exists(bob_dir), "bob's private folder outlived the attempt")

    def test_outputs_are_kept_when_asked(self):
        c = self.cluster
        kept = self.submit_as("alice", ["sh", "-c", "echo result > out.txt; pwd"],
                              keep_outputs=True)
        workdir = self.finish(kept).strip()
        with open(os.path.join(workdir, "out.txt")) as f:
            self.assertEqual(f.read(), "result\n")
        st = os.stat(os.path.dirname(workdir))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o700)
        self.assertNotEqual(st.st_uid, 0)
        self.assertTrue(c.job(kept)["keep_outputs"])


if __name__ == "__main__":
    unittest.main()


@unittest.skipUnless(os.geteuid() == 0, "users, cgroups and namespaces need root")
class UnisolatedNodeTest(ClusterTestCase):
    """A node that cannot enforce a boundary (here: private /tmp turned off) says so at start,
    in GET /v1/nodes and in /metrics; with `single_tenant_unisolated` the server keeps it to
    one tenant at a time."""

    def setUp(self):
        conf_dir = tempfile.mkdtemp(prefix="fg-conf-", dir="/var/tmp")
        self.addCleanup(shutil.rmtree, conf_dir, True)
        conf = os.path.join(conf_dir, "server.yaml")
        with open(conf, "w") as f:
            f.write("scheduler:\n  single_tenant_unisolated: true\n")
        self.cluster = self.enterContext(Cluster(
            agents=[Agent("node-u", "4xA100-80GB", extra_args=["--private-tmp", "false"])],
            server_args=["--config", conf]))

    def test_failure_is_visible_and_other_tenants_wait(self):
        c = self.cluster
        # Ready comes with the registration; the isolation status with the agent's first report.
        node = wait_for(lambda: (lambda n: "isolates_tenants" in n and n)(
            c.http("GET", "/v1/nodes")[1]["nodes"][0]), 15, "the node's first status report")
        self.assertEqual(node["isolates_tenants"], False, node)
        self.assertTrue(node["isolation"]["private_tmp"].startswith("none"), node)
        self.assertEqual(len(node["warnings"]), 1, node)
        self.assertIn("/tmp", node["warnings"][0])
        status, text = c.http("GET", "/metrics", key=None, raw=True)
        lines = text.decode().splitlines()
        self.assertIn('fastgpu_node_isolates_tenants{node="node-u"} 0', lines)
        self.assertIn('fastgpu_node_isolation{node="node-u",boundary="private_tmp"} 0', lines)
        with open(c.agents[0].log_out) as f:
            self.assertIn("isolation: no private /tmp", f.read())

        stop = c.path("STOP-alice")
        body = {"argv": ["sh", "-c", f"while [ ! -f {stop} ]; do sleep 0.05; done"],
                "tenant": "alice", "resources": {"gpus": 1}}
        status, alice = c.http("POST", "/v1/jobs", body)
        self.assertEqual(status, 201, alice)
        c.wait_state(alice["id"], "running")
        status, bob = c.http("POST", "/v1/jobs", {"argv": ["true"], "tenant": "bob",
                                                  "resources": {"gpus": 1}})
        status, alice2 = c.http("POST", "/v1/jobs", {"argv": ["true"], "tenant": "alice",
                                                     "resources": {"gpus": 1}})
        time.sleep(1.0)  # three GPUs are free: only the node's tenant rule keeps bob waiting
        self.assertEqual(c.job(bob["id"])["state"], "pending", c.job(bob["id"]))
        touch(stop)
        for j in (alice["id"], alice2["id"], bob["id"]):
            self.assertEqual(c.wait_state(j, ENDED, timeout=20)["state"], "succeeded")
