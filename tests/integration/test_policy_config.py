"""The server places jobs with the policy its config file names, and by default with the best
one (docs/queueing.md "Config", docs/scheduler.md): `spread` puts a second 1-GPU job on the
idle node, the default packs it beside the first so that a whole node stays free; an unknown
policy name is refused at start with a message naming it."""

import os
import shutil
import subprocess
import tempfile
import unittest

from harness import Agent, Cluster, ClusterTestCase, fastgpu_binary


def write_config(test, text):
    conf_dir = tempfile.mkdtemp(prefix="fg-conf-", dir="/var/tmp")
    test.addCleanup(shutil.rmtree, conf_dir, True)
    conf = os.path.join(conf_dir, "server.yaml")
    with open(conf, "w") as f:
        f.write(text)
    return conf


def two_nodes():
    return [Agent("node-a", "2xA100-80GB"), Agent("node-b", "2xA100-80GB")]


class PlacementOfTwoJobs:
    """Two 1-GPU jobs, one after the other: the nodes they run on."""

    def nodes_of_two_jobs(self):
        c = self.cluster
        release = c.path("RELEASE")
        hold = ["sh", "-c", f"while [ ! -f {release} ]; do sleep 0.05; done"]
        first = c.wait_state(c.submit(*hold, gpus=1), "running")
        second = c.wait_state(c.submit(*hold, gpus=1), "running")
        with open(release, "w"):
            pass
        return first["node"], second["node"]


class SpreadFromConfigTest(ClusterTestCase, PlacementOfTwoJobs):
    def setUp(self):
        conf = write_config(self, "scheduler:\n  policy: spread\n")
        self.cluster = self.enterContext(Cluster(agents=two_nodes(),
                                                 server_args=["--config", conf]))

    def test_spread_puts_the_second_job_on_the_idle_node(self):
        first, second = self.nodes_of_two_jobs()
        self.assertNotEqual(first, second)


class DefaultPolicyTest(ClusterTestCase, PlacementOfTwoJobs):
    def setUp(self):
        self.cluster = self.enterContext(Cluster(agents=two_nodes()))

    def test_the_default_packs_the_second_job_beside_the_first(self):
        first, second = self.nodes_of_two_jobs()
        self.assertEqual(first, second)


class UnknownPolicyTest(unittest.TestCase):
    def test_server_refuses_an_unknown_policy(self):
        conf = write_config(self, "scheduler:\n  policy: nope\n")
        data = tempfile.mkdtemp(prefix="fg-data-", dir="/var/tmp")
        self.addCleanup(shutil.rmtree, data, True)
        r = subprocess.run([fastgpu_binary(), "server", "--config", conf, "--data", data,
                            "--listen", "127.0.0.1:0"],
                           capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("nope", r.stderr)
        self.assertIn("policy", r.stderr)


if __name__ == "__main__":
    unittest.main()
