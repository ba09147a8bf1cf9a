"""Fault: the disk under the server's store fills up (a small tmpfs the test mounts itself).

Submits then fail with a clear 503 (`the store's disk is full`, Retry-After), never a 500;
reads go on; nothing is corrupted (SQLite's integrity check passes, every acknowledged job is
there, also after a kill -9 and restart); and service resumes as soon as space returns.
Needs root (mount); skips otherwise.
"""

import errno
import os
import sqlite3
import subprocess
import time
import unittest

from harness import Cluster, ClusterTestCase, wait_for

TMPFS_MB = 16


class DiskFullTest(ClusterTestCase):
    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("needs root (mounts a tmpfs)")
        self.mounted = None

    def tearDown(self):
        if self.mounted:
            subprocess.run(["umount", "-l", self.mounted], check=False)

    def mount(self, path):
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_MB}m,mode=0700", "tmpfs",
                        path], check=True)
        self.mounted = path

    def submit(self, c, name):
        status, headers, body = c.http_full("POST", "/v1/jobs", {"name": name, "argv": ["true"]})
        return status, headers, body

    def test_full_disk_gives_503_loses_nothing_and_recovers(self):
        with Cluster(agents=[], server_dir_hook=self.mount) as c:
            self.cluster = c
            acked = set()
            for i in range(20):
                status, _, body = self.submit(c, f"before-{i}")
                self.assertEqual(status, 201, body)
                acked.add(f"before-{i}")

            filler = os.path.join(c.server_dir, "filler")
            fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
            try:  # fill every last byte
                for size in (1 << 20, 1 << 12, 1):
                    try:
                        while True:
                            os.write(fd, b"\0" * size)
                    except OSError as e:
                        self.assertEqual(e.errno, errno.ENOSPC)
            finally:
                os.close(fd)
            refused, other = 0, []
            for i in range(300):
                status, headers, body = self.submit(c, f"full-{i}")
                if status == 201:
                    acked.add(f"full-{i}")  # the WAL may still have room for a while
                elif status == 503:
                    refused += 1
                    self.assertIn(b"disk is full", body)
                    self.assertIn("retry-after", headers)
                else:
                    other.append((status, body[:200]))
                if refused >= 20:
                    break
            self.assertEqual(other, [], "answers other than 201 or 503 on a full disk")
            self.assertGreater(refused, 0, "no submit was refused on a full disk")
            status, _ = c.http("GET", "/v1/jobs?limit=5")
            self.assertEqual(status, 200, "reads must go on")

            os.unlink(filler)
            def resumed():
                status, _, body = self.submit(c, "after")
                return status == 201
            wait_for(resumed, 10, "submits to succeed again once space is back")
            acked.add("after")

            db = os.path.join(c.server_dir, "fastgpu.db")
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
                self.assertEqual(conn.execute("PRAGMA integrity_check").fetchone()[0], "ok")
            c.restart_server()  # kill -9, then from the store alone
            names = [j["name"] for j in c.list_jobs("limit=1000")]
            missing = sorted(acked - set(names))
            dup = len(names) - len(set(names))
            print(f"\n[disk full] {len(acked)} submits acknowledged, {refused} refused with 503 "
                  f"while the disk was full; after a restart: missing {len(missing)}, "
                  f"duplicates {dup}; integrity_check ok", flush=True)
            self.assertEqual(missing, [])
            self.assertEqual(dup, 0)


if __name__ == "__main__":
    unittest.main()
