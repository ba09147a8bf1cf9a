"""`fastgpu supervise`, the big binary's supervisor (the agent uses it when `fastgpu-supervise`
is not installed beside it): one attempt folder, or --launcher serving requests on a socket on
its standard input; anything else is refused with a message naming both forms."""
# ctest-labels: agent

import json
import os
import shutil
import socket
import subprocess
import tempfile
import unittest

from harness import fastgpu_binary, wait_for


def attempt_dir(root, name, argv):
    path = os.path.join(root, name)
    os.mkdir(path)
    spec = {"argv": argv, "env": {"PATH": "/usr/bin:/bin"}, "job_dir": os.path.join(path, "job")}
    with open(os.path.join(path, "spec.json"), "w") as f:
        json.dump(spec, f)
    return path


def exit_record(path):
    with open(os.path.join(path, "exit.json")) as f:
        return json.load(f)


class SuperviseCommandTest(unittest.TestCase):
    def setUp(self):
        self.bin = fastgpu_binary()
        self.root = tempfile.mkdtemp(prefix="fg-supervise-")
        self.addCleanup(shutil.rmtree, self.root, True)

    def run_bin(self, *args, **kw):
        return subprocess.run([self.bin, "supervise", *args], capture_output=True, text=True,
                              timeout=30, **kw)

    def test_one_attempt_folder(self):
        path = attempt_dir(self.root, "1-1", ["sh", "-c", "echo hi; exit 3"])
        done = self.run_bin(path)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(exit_record(path)["exit_code"], 3)
        with open(os.path.join(path, "stdout.log")) as f:
            self.assertEqual(f.read(), "hi\n")

    def test_launcher_forks_a_supervisor_per_request(self):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        launcher = subprocess.Popen([self.bin, "supervise", "--launcher"], stdin=theirs,
                                    stderr=subprocess.PIPE, text=True)
        theirs.close()
        try:
            path = attempt_dir(self.root, "2-1", ["sh", "-c", "exit 4"])
            ours.send(path.encode())
            pid = int(ours.recv(64))
            self.assertGreater(pid, 0)
            wait_for(lambda: os.path.exists(os.path.join(path, "exit.json")), 10,
                     "the launched supervisor to record the job's end")
            self.assertEqual(exit_record(path)["exit_code"], 4)
            ours.send(b"relative/dir")
            self.assertTrue(ours.recv(256).startswith(b"error: "))
        finally:
            ours.close()  # the launcher's cue to exit
            self.assertEqual(launcher.wait(timeout=10), 0, launcher.stderr.read())

    def test_bad_arguments_name_both_forms(self):
        for args in ([], ["--launcher", self.root]):
            done = self.run_bin(*args)
            self.assertEqual(done.returncode, 2, args)
            self.assertIn("give an attempt folder or --launcher", done.stderr, args)


if __name__ == "__main__":
    unittest.main()
