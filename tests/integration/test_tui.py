"""`fastgpu top` and `fastgpu ps` in a real 80x24 terminal (tmux): every line fits, nothing
wraps or scrolls, colors appear on the terminal only, and q quits top.

With FASTGPU_SAMPLES_DIR set (`make samples`), the captured screens are written there
(docs/samples/, which the README quotes)."""

import os
import re
import shlex
import shutil
import subprocess
import time
import unittest

from harness import Agent, Cluster, ClusterTestCase, save_sample, wait_for

COLS, ROWS = 80, 24
LONG_NAME = "train-a-rather-large-language-model-with-a-long-name"


@unittest.skipIf(shutil.which("tmux") is None, "tmux is not installed (scripts/install-deps.sh)")
class TerminalTest(ClusterTestCase):
    def setUp(self):
        self.cluster = self.enterContext(Cluster(agents=[Agent("node-a", "4xA100-80GB")]))
        self.socket = f"fg-tui-{os.getpid()}-{time.monotonic_ns()}"
        self.addCleanup(self.tmux, "kill-server", check=False)
        c = self.cluster
        self.running = [c.submit("sleep", "600", gpus=g, args=["--name", LONG_NAME])
                        for g in (1, 1, 0.5, 0.25)]
        self.pending = [c.submit("sleep", "600", gpus=4) for _ in range(2)]
        for j in self.running:
            c.wait_state(j, "running")
        wait_for(lambda: c.job(self.pending[0]).get("reason"), 10, "a pending reason")

    def tmux(self, *args, check=True):
        env = self.cluster.client_env({"TERM": "xterm-256color"})
        env.pop("NO_COLOR", None)
        env.pop("COLUMNS", None)
        return subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args],
                              capture_output=True, text=True, timeout=20, env=env, check=check)

    def start(self, session, command):
        self.tmux("new-session", "-d", "-x", str(COLS), "-y", str(ROWS), "-s", session, command)

    def screen(self, session, escapes=False):
        args = ["capture-pane", "-p", "-t", session] + (["-e"] if escapes else [])
        return self.tmux(*args).stdout

    def assert_job_rows(self, lines, ids):
        for j in ids:
            rows = [l for l in lines if re.match(rf"{j}\s\s+\S", l)]
            self.assertEqual(len(rows), 1, (j, lines))  # one row each, on one line
        header = [l for l in lines if l.startswith("ID ")]
        self.assertEqual(len(header), 1, lines)
        self.assertRegex(header[0], r"^ID\s+NAME\s+STATE\s+GPUS\s+NODE\s+AGE\s+REASON$")
        # The long names gave way so that the pending jobs' reasons still show.
        self.assertTrue(any("waiting" in l for l in lines if l.startswith(f"{ids[-1]} ")), lines)

    def test_top_fits_80x24_colors_and_quits_on_q(self):
        fastgpu = shlex.quote(self.cluster.bin)
        self.start("top", f"{fastgpu} top --interval 0.5")
        ids = self.running + self.pending
        text = wait_for(lambda: (lambda s: s if all(f"\n{j} " in s for j in ids) else None)(
            self.screen("top")), 15, "top to show every job")
        lines = text.rstrip("\n").split("\n")
        save_sample("top-80x24.txt", text)
        self.assertLessEqual(len(lines), ROWS, text)
        self.assertTrue(lines[0].startswith("fastgpu top - http://127.0.0.1:"), text)  # no scroll
        self.assertTrue(lines[0].endswith("q quits"), text)
        self.assertTrue(lines[1].startswith("1 node, 4 GPUs ("), text)
        bars = [l for l in lines if l.startswith("node-a/")]
        self.assertEqual(len(bars), 4, text)
        for bar in bars:  # the bar and its free share stay on one line
            self.assertRegex(bar, r"^node-a/\d  A100-80GB  \[[A-Za-z.]+\]  free ")
        self.assert_job_rows(lines, ids)
        self.assertIn("\x1b[", self.screen("top", escapes=True))  # colors on a terminal
        self.tmux("send-keys", "-t", "top", "q")
        wait_for(lambda: self.tmux("has-session", "-t", "top", check=False).returncode != 0, 5,
                 "top to quit on q")

    def test_ps_fits_80_columns_on_a_terminal_and_not_in_a_pipe(self):
        fastgpu = shlex.quote(self.cluster.bin)
        self.start("ps", f"{fastgpu} ps; sleep 60")
        ids = self.running + self.pending
        text = wait_for(lambda: (lambda s: s if f"\n{ids[-1]} " in s else None)(
            self.screen("ps")), 10, "ps output")
        save_sample("ps-80.txt", text)
        lines = text.rstrip("\n").split("\n")
        self.assertEqual(len(lines), 1 + len(ids), text)  # nothing wrapped onto a second line
        self.assert_job_rows(lines, ids)
        self.assertTrue(any(l.rstrip().endswith("~") for l in lines), text)  # reasons were cut
        self.assertIn("\x1b[32m", self.screen("ps", escapes=True))  # running is green
        # Through a pipe: no colors, whole lines (the long reason is not cut).
        piped = self.cluster.cli("ps").stdout
        self.assertNotIn("\x1b[", piped)
        self.assertTrue(any(len(l) > COLS for l in piped.splitlines()), piped)


if __name__ == "__main__":
    unittest.main()
