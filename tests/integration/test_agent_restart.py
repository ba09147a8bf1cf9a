"""The agent is killed with SIGKILL while three jobs run. The jobs live on under their
supervisors; two of them end while no agent is running. The restarted agent re-adopts all
three and each finishes with its true exit status and its whole output, written before,
during and after the agent's absence."""
# ctest-labels: agent

import os
import signal
import time
import unittest

from harness import Agent, Cluster, ClusterTestCase, pid_alive, touch, wait_for

ENDED = ("succeeded", "failed", "cancelled")


def parent_of(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(next(line for line in f if line.startswith("PPid:")).split()[1])


def wait_file(path):
    return f"while [ ! -f {path} ]; do sleep 0.05; done"


class AgentRestartTest(ClusterTestCase):
    def setUp(self):
        self.cluster = self.enterContext(Cluster(agents=[Agent("node-a", "4xA100-80GB")]))

    def test_kill_9_with_three_jobs_running(self):
        c = self.cluster
        agent = c.agents[0]
        down, after = c.path("DOWN"), c.path("AFTER")
        scripts = [
            f"echo a-before; echo a-err >&2; {wait_file(down)}; echo a-while-down; exit 0",
            f"echo b-before; {wait_file(down)}; echo b-while-down; echo b-err >&2; exit 3",
            f"echo c-before; {wait_file(after)}; echo c-after; kill -KILL $$",
        ]
        jobs = [c.submit("sh", "-c", s, gpus=1) for s in scripts]
        for j in jobs:
            c.wait_state(j, "running")
        for j, first in zip(jobs, ("a-before\n", "b-before\n", "c-before\n")):
            wait_for(lambda j=j, first=first: c.cli("logs", j).stdout == first, 10,
                     f"job {j}'s first line to reach the server")
        supervisors = {}
        for j in jobs:
            with open(os.path.join(agent.data_dir, "attempts", f"{j}-1", "supervisor.pid")) as f:
                supervisors[j] = int(f.read())
        launched = "--supervisor-launcher=false" not in agent.extra_args
        for pid in supervisors.values():  # forked by the launcher, or exec'd by the agent
            self.assertEqual(parent_of(pid) != agent.proc.pid, launched, pid)

        c.stop_agent(agent, signal.SIGKILL)
        self.assertIsNotNone(agent.proc.poll(), "the agent should be dead")
        touch(down)  # two jobs end while no agent runs
        for j in jobs[:2]:
            exit_file = os.path.join(agent.data_dir, "attempts", f"{j}-1", "exit.json")
            wait_for(lambda p=exit_file: os.path.exists(p), 10, f"job {j} to end unsupervised")
        self.assertTrue(pid_alive(supervisors[jobs[2]]), "the third job's supervisor died")

        c.start_agent(agent)
        c.wait_nodes_ready([agent.name])
        time.sleep(0.3)  # the third job is re-adopted, not restarted, and ends only now
        self.assertEqual(c.job(jobs[2])["state"], "running")
        touch(after)

        outcomes = [c.wait_state(j, ENDED, timeout=20) for j in jobs]
        self.assertEqual([(o["state"], o["exit_code"], o["signal"]) for o in outcomes],
                         [("succeeded", 0, None), ("failed", 3, None), ("failed", None, 9)],
                         outcomes)
        self.assertEqual([o["attempt"] for o in outcomes], [1, 1, 1], "no job was rerun")
        self.assertEqual([c.cli("logs", j).stdout for j in jobs],
                         ["a-before\na-while-down\n", "b-before\nb-while-down\n",
                          "c-before\nc-after\n"])
        self.assertEqual(c.cli("logs", jobs[0], "--stderr").stdout, "a-err\n")
        self.assertEqual(c.cli("logs", jobs[1], "--stderr").stdout, "b-err\n")
        for j in jobs:  # each supervisor recorded its job's end and went
            wait_for(lambda p=supervisors[j]: not pid_alive(p), 5, f"supervisor of job {j} to end")


class AgentRestartExecSupervisorsTest(AgentRestartTest):
    """The same with `--supervisor-launcher=false`: each supervisor exec'd by the agent."""

    def setUp(self):
        self.cluster = self.enterContext(Cluster(agents=[
            Agent("node-a", "4xA100-80GB", extra_args=["--supervisor-launcher=false"])]))


if __name__ == "__main__":
    unittest.main()
