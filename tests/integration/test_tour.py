"""The README's five-minute tour, command by command, on a pool like `make up`'s (one node, four
simulated A100s): each step checks what the README says it shows. With FASTGPU_SAMPLES_DIR set
(`make samples`), the outputs the README quotes are written there (docs/samples/); without it,
they must equal the committed samples, and tests/docs/test_readme.py checks that the README
quotes those as they are: the README's tour cannot drift from what the CLI prints."""

import os
import re
import unittest

from harness import REPO_ROOT, Agent, Cluster, ClusterTestCase, json_of, save_sample, wait_for


def ages(text):
    """The text with every age column ("0s", "12s", "3m") as "N" (they vary between runs)."""
    return re.sub(r"(?<= )\d+[smhd](?=\s|$)", "N", text, flags=re.M)


class TourTest(ClusterTestCase):
    def setUp(self):
        self.cluster = self.enterContext(Cluster(agents=[Agent("node-a", "4xA100-80GB")]))

    def sample(self, name, *args, same_as_readme=True):
        """Runs `fastgpu ARGS` (through a pipe: no colors, whole lines), saves `$ fastgpu ARGS`
        and its output as sample `name`, and returns the output. Unless samples are being
        written, the output must be the committed docs/samples/NAME that the README quotes (ages
        aside), so that the README changes with the CLI: `make samples` refreshes it."""
        out = self.cluster.cli(*args).stdout
        text = f"$ fastgpu {' '.join(args)}\n{out}"
        save_sample(name, text)
        if same_as_readme and not os.environ.get("FASTGPU_SAMPLES_DIR"):
            with open(os.path.join(REPO_ROOT, "docs", "samples", name), encoding="utf-8") as f:
                want = f.read()
            self.assertEqual(ages(text).rstrip("\n"), ages(want).rstrip("\n"),
                             f"`fastgpu {' '.join(args)}` no longer prints what the README quotes "
                             f"(docs/samples/{name}): run `make samples` and paste it into README.md")
        return out

    def test_the_tour(self):
        c = self.cluster
        # fastgpu run streams the job's output and exits with its code.
        hello = c.cli("run", "--gpus", "1", "--", "echo", "hello", timeout=60)
        self.assertEqual(hello.stdout, "hello\n")
        self.assertEqual(c.cli("run", "--", "sh", "-c", "exit 3", check=False,
                               timeout=60).returncode, 3)

        # Five quarter-GPU slices are packed onto the fewest GPUs.
        slices = [c.submit("sleep", "600", gpus=0.25) for _ in range(5)]
        self.assertEqual(slices, [3, 4, 5, 6, 7])
        for j in slices:
            c.wait_state(j, "running")
        held = {}
        for j in slices:
            for d in c.job(j)["devices"]:
                held.setdefault(d["index"], []).append(j)
        self.assertEqual(sorted(len(v) for v in held.values()), [1, 4], held)
        gpus = self.sample("tour-gpus.txt", "gpus")
        bars = re.findall(r"^node-a/\d  A100-80GB  \[([A-Za-z.]+)\]", gpus, re.M)
        self.assertEqual(len(bars), 4, gpus)
        # One GPU full, one a quarter used, two idle ('.' is free compute).
        used = sorted(round(4 * sum(ch != "." for ch in b) / len(b)) for b in bars)
        self.assertEqual(used, [0, 0, 1, 4], gpus)

        # A job that needs four whole GPUs waits, and says why.
        big = c.submit("sleep", "60", gpus=4)
        self.assertEqual(big, 8)
        wait_for(lambda: c.job(big).get("reason"), 10, "job 8's wait reason")
        ps = self.sample("tour-ps.txt", "ps")
        row = [line for line in ps.splitlines() if line.startswith("8 ")]
        self.assertEqual(len(row), 1, ps)
        self.assertRegex(row[0], r"^8\s+sleep\s+pending\s+4\s+-\s+\S+\s+waiting for 4 whole GPUs")
        why = self.sample("tour-why.txt", "why", "8")
        self.assertTrue(why.startswith("job 8 is pending\n"), why)
        self.assertRegex(why, r"queue position: +1\n")
        self.assertIn("to start it:\n", why)
        self.assertRegex(why, r"  - jobs? [\d, ]+ \(tenant default\) ends? on node-a")
        show = c.cli("show", "8").stdout
        self.assertRegex(show, r"state:\s+pending")

        # logs, cancel, nodes; every listing has --json.
        self.assertEqual(c.cli("logs", "1").stdout, "hello\n")
        c.cli("cancel", "3")
        c.wait_state(3, "cancelled")
        nodes = self.sample("tour-nodes.txt", "nodes", same_as_readme=False)  # the host's CPUs
        self.assertRegex(nodes, r"node-a\s+ready")
        listed = json_of(c.cli("ps", "--json"))
        self.assertEqual(sorted(j["id"] for j in listed), [4, 5, 6, 7, 8])

        # A mistake names the flag and the fix.
        wrong = c.cli("run", "--gpu", "1", "--", "true", check=False)
        self.assertNotEqual(wrong.returncode, 0)
        self.assertIn("did you mean --gpus instead of --gpu?", wrong.stderr)


if __name__ == "__main__":
    unittest.main()
