"""The node's own health check (an admin's command, `fastgpu agent --health-check`): while it
fails the node is `unhealthy` with the command's reason and takes no new work; its running
jobs go on; when it passes again the waiting work starts."""
# ctest-labels: agent

import os
import time
import unittest

from harness import Agent, Cluster, ClusterTestCase, touch, wait_for

ENDED = ("succeeded", "failed", "cancelled")


class NodeHealthTest(ClusterTestCase):
    def setUp(self):
        self.cluster = self.enterContext(Cluster(agents=[Agent("node-a", "2xA100-80GB")]))

    def node(self):
        status, body = self.cluster.http("GET", "/v1/nodes")
        return body["nodes"][0]

    def test_failing_check_makes_the_node_take_no_new_work(self):
        c = self.cluster
        agent = c.agents[0]
        broken = c.path("BROKEN")
        stop = c.path("STOP")
        c.stop_agent(agent)
        agent.extra_args = ["--health-check",
                            f"test ! -e {broken} || {{ echo 'nvme0 is read-only'; exit 1; }}",
                            "--health-check-interval-ms", "100"]
        c.start_agent(agent)
        c.wait_nodes_ready([agent.name])
        running = c.submit("sh", "-c", f"while [ ! -f {stop} ]; do sleep 0.05; done", gpus=1)
        c.wait_state(running, "running")

        touch(broken)
        node = wait_for(lambda: (n := self.node())["state"] == "unhealthy" and n, 10,
                        "the node to turn unhealthy")
        self.assertEqual(node["health_message"],
                         "health check failed (exit code 1): nvme0 is read-only", node)
        waiting = c.submit("true", gpus=1)  # a GPU is free, but the node is unhealthy
        time.sleep(1.0)  # the scheduler runs at once on submit: a second is plenty
        self.assertEqual(c.job(waiting)["state"], "pending", c.job(waiting))
        self.assertEqual(c.job(running)["state"], "running", "running work is not touched")

        os.unlink(broken)
        wait_for(lambda: self.node()["state"] == "ready", 10, "the node to be healthy again")
        self.assertEqual(c.wait_state(waiting, ENDED, timeout=15)["state"], "succeeded")
        touch(stop)
        self.assertEqual(c.wait_state(running, ENDED, timeout=15)["state"], "succeeded")


if __name__ == "__main__":
    unittest.main()
