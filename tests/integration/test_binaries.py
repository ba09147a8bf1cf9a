"""The two binaries: `fastgpu`, the lean client, runs the client commands itself and hands
server, agent, up, sim and supervise (and completion, which needs every command's flags) to
`fastgpu-daemon` beside it, with the same arguments; without one it says what it could not
run."""

import os
import shutil
import subprocess
import tempfile
import unittest

from harness import fastgpu_binary


class BinariesTest(unittest.TestCase):
    def setUp(self):
        self.bin = fastgpu_binary()

    def run_bin(self, *args, binary=None):
        return subprocess.run([binary or self.bin, *args], capture_output=True, text=True,
                              timeout=30, stdin=subprocess.DEVNULL)

    def test_help_lists_daemon_and_client_commands(self):
        out = self.run_bin("--help").stdout
        for command in ("server", "agent", "up", "sim", "run", "ps", "submit"):
            self.assertRegex(out, rf"\n  {command} ", command)
        self.assertNotRegex(out, r"\n  supervise ")  # started by the agent only

    def test_daemon_commands_are_the_daemons(self):
        r = self.run_bin("up", "--help")
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("--simulate", r.stdout)
        # Options before the command: parsed by the lean binary, then handed over whole.
        r = self.run_bin("--url", "http://127.0.0.1:1", "server", "--help")
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("--listen", r.stdout)
        r = self.run_bin("sim", "fill", "--nodes")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--nodes", r.stderr + r.stdout)

    def test_completion_knows_every_commands_flags(self):
        r = self.run_bin("completion", "bash")
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("--simulate", r.stdout)  # up's
        self.assertIn("--detach", r.stdout)    # run's

    def test_without_the_daemon_binary_it_says_so(self):
        folder = tempfile.mkdtemp(prefix="fg-binaries-")
        self.addCleanup(shutil.rmtree, folder, True)
        alone = os.path.join(folder, "fastgpu")
        shutil.copy(self.bin, alone)
        env = dict(os.environ, PATH="/usr/bin:/bin")
        r = subprocess.run([alone, "up"], capture_output=True, text=True, timeout=30, env=env,
                           stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 127, r)
        self.assertIn("cannot run " + os.path.join(folder, "fastgpu-daemon"), r.stderr)
        # The client commands need no daemon binary.
        r = subprocess.run([alone, "--version"], capture_output=True, text=True, timeout=30,
                           env=env)
        self.assertEqual(r.returncode, 0, r)

    def test_the_client_loads_no_server_library(self):
        r = subprocess.run(["ldd", self.bin], capture_output=True, text=True, timeout=30)
        for library in ("libsqlite3", "libcpp-httplib", "libspdlog", "libhttp_parser"):
            self.assertNotIn(library, r.stdout, library)


if __name__ == "__main__":
    unittest.main()
