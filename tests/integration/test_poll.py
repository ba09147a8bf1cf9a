"""`fastgpu poll DIR`: fast.ai fastgpu's folder workflow. Two pollers share one folder of twenty
scripts: each script runs exactly once and ends in complete/ with its output in out/."""

import os
import re
import unittest

from harness import Cluster, ClusterTestCase, wait_for

N = 20


class PollTest(ClusterTestCase):
    def setUp(self):
        self.cluster = self.enterContext(Cluster())  # one node, 10 simulated GPUs
        self.dir = self.cluster.path("work")
        os.makedirs(os.path.join(self.dir, "to_run"))
        os.chmod(self.dir, 0o1777)  # the scripts run as the tenant's own user and write here

    def script(self, name, body):
        with open(os.path.join(self.dir, "to_run", name), "w") as f:
            f.write(body)

    def ls(self, sub):
        return sorted(os.listdir(os.path.join(self.dir, sub)))

    def out(self, name, suffix):
        with open(os.path.join(self.dir, "out", f"{name}.{suffix}")) as f:
            return f.read()

    def run_pollers(self, count, *extra):
        procs = [self.cluster.cli_popen("poll", self.dir, "--interval", "0.1",
                                        "--exit-when-done", *extra) for _ in range(count)]
        outs = []
        for p in procs:
            stdout, stderr = p.communicate(timeout=150)
            self.assertEqual(p.returncode, 0, stderr)
            outs.append(stdout.decode())
        return outs

    def test_two_pollers_twenty_scripts_each_runs_exactly_once(self):
        ran = os.path.join(self.dir, "ran.log")
        for i in range(N):
            name = f"s{i:02d}.sh"
            self.script(name, f"echo {name} >> {ran}\necho out-{name}\nsleep 0.2\n")
        outs = self.run_pollers(2, "--max-running", "3")

        names = [f"s{i:02d}.sh" for i in range(N)]
        self.assertEqual(self.ls("complete"), names)
        self.assertEqual((self.ls("to_run"), self.ls("running"), self.ls("fail")), ([], [], []))
        with open(ran) as f:
            self.assertEqual(sorted(f.read().split()), names)  # each exactly once
        for name in names:
            self.assertEqual(self.out(name, "stdout"), f"out-{name}\n")
            self.assertEqual(self.out(name, "stderr"), "")
            self.assertEqual(self.out(name, "exitcode"), "0\n")
        submitted = [re.findall(r"^(\S+): submitted as job", o, re.M) for o in outs]
        self.assertEqual(sorted(submitted[0] + submitted[1]), names, outs)  # no double claim
        self.assertEqual(len(self.cluster.list_jobs()), N)  # one job per script on the server
        print(f"\npoller 1 ran {len(submitted[0])} scripts, poller 2 ran {len(submitted[1])}")

    def test_header_failure_and_bad_header(self):
        self.script("half.sh", "#!/bin/sh\n# fastgpu: --gpus 0.5\necho half\n")
        self.script("fails.sh", "echo oops >&2\nexit 3\n")
        self.script("bad.sh", "# fastgpu: --gpu 1\necho never\n")
        self.run_pollers(1)
        self.assertEqual(self.ls("complete"), ["half.sh"])
        self.assertEqual(self.ls("fail"), ["bad.sh", "fails.sh"])
        job = self.cluster.job(int(self.out("half.sh", "jobid")))
        self.assertEqual(job["resources"]["gpu_milli"], 500, job)  # the header's --gpus 0.5
        self.assertEqual(self.out("half.sh", "stdout"), "half\n")
        self.assertEqual((self.out("fails.sh", "stderr"), self.out("fails.sh", "exitcode")),
                         ("oops\n", "3\n"))
        self.assertIn("--gpu", self.out("bad.sh", "stderr"))
        self.assertEqual(self.out("bad.sh", "exitcode"), "2\n")

    def test_a_restarted_poller_adopts_what_is_running(self):
        stop = self.cluster.path("STOP")
        self.script("slow.sh", f"while [ ! -f {stop} ]; do sleep 0.05; done\necho done\n")
        p = self.cluster.cli_popen("poll", self.dir, "--interval", "0.1")
        wait_for(lambda: os.path.exists(os.path.join(self.dir, "out", "slow.sh.jobid")), 15,
                 "the poller to submit slow.sh")
        p.kill()
        p.communicate(timeout=5)  # reaps it and closes its pipes
        open(stop, "w").close()
        self.run_pollers(1)  # a new poller finds running/slow.sh and its job, and finishes it
        self.assertEqual(self.ls("complete"), ["slow.sh"])
        self.assertEqual(self.out("slow.sh", "stdout"), "done\n")
        self.assertEqual(len(self.cluster.list_jobs()), 1)  # never submitted twice


if __name__ == "__main__":
    unittest.main()
