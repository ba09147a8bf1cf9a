#!/usr/bin/env python3
"""How many nodes and jobs one control plane carries: a real `fastgpu server` (SQLite, or
PostgreSQL on a throwaway local cluster) with N simulated nodes that register and heartbeat
over the agent API (no agent processes: one thread sends every node's heartbeat), and C
clients submitting J jobs over the user API. Prints one line per figure.

  bench/control_plane_load.py --store sqlite --nodes 1000 --jobs 20000 --clients 16
  bench/control_plane_load.py --store postgres --nodes 1000 --jobs 20000 --clients 16

Standard library only; needs build/src/main/fastgpu (or $FASTGPU_BIN) and, for postgres, the
PostgreSQL 15 server (scripts/install-deps.sh).
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKEN = "bench-join-token-0123456789abcdef"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Http:
    """One keep-alive connection; opened again when the server closes it."""

    def __init__(self, port, key):
        self.port = port
        self.conn = None
        self.key = key

    def call(self, method, path, body=None):
        headers = {"Authorization": f"Bearer {self.key}"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request(method, path, body=payload, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return resp.status, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--nodes", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=20000)
    ap.add_argument("--clients", type=int, default=16)
    args = ap.parse_args()
    binary = os.environ.get("FASTGPU_BIN", os.path.join(ROOT, "build", "src", "main", "fastgpu"))
    tmp = tempfile.mkdtemp(prefix="fg-load-")
    env = dict(os.environ)
    cmd = [binary, "server", "--listen", f"127.0.0.1:{free_port()}", "--data",
           os.path.join(tmp, "data"), "--join-token", TOKEN, "--node-grace-ms", "60000",
           "--rate-limit", "0"]
    state = os.path.join(tmp, "pg.env")
    server = None
    try:
        if args.store == "postgres":
            # fsync on: a durable submit is on disk, as with SQLite's synchronous=FULL.
            subprocess.run(["bash", os.path.join(ROOT, "scripts", "pg-test-cluster.sh"), "start",
                            state], check=True, stdout=subprocess.DEVNULL,
                           env=dict(os.environ, FASTGPU_PG_FSYNC="on"))
            values = dict(line.strip().split("=", 1) for line in open(state) if "=" in line)
            cmd += ["--store", values["FASTGPU_TEST_PG_URL"]]
            env["FASTGPU_PG_PASSWORD"] = values["FASTGPU_TEST_PG_PASSWORD"]
        port = int(cmd[3].rsplit(":", 1)[1])
        server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                  stderr=open(os.path.join(tmp, "server.stderr"), "wb"))
        key_path = os.path.join(tmp, "data", "admin-key")
        deadline = time.monotonic() + 30
        while not os.path.exists(key_path) or not os.path.getsize(key_path):
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit("server did not start: " + open(os.path.join(tmp, "server.stderr")).read())
            time.sleep(0.1)
        time.sleep(0.5)
        key = open(key_path).read().strip()
        agent = Http(port, TOKEN)

        t0 = time.monotonic()
        for n in range(args.nodes):
            devices = [{"index": i, "uuid": f"GPU-{n}-{i}", "model": "A100-80GB",
                        "memory_mib": 81920} for i in range(8)]
            status, body = agent.call("POST", "/v1/agent/register", {
                "name": f"node-{n:05d}", "simulated": True, "cpu_milli": 64000,
                "memory_mib": 512000, "labels": {}, "devices": devices})
            assert status == 200, (status, body)
        took = time.monotonic() - t0
        print(f"{args.store}: registered {args.nodes} nodes x 8 GPUs in {took:.1f} s "
              f"({args.nodes / took:.0f}/s)")

        def heartbeat_round():
            t = time.monotonic()
            for n in range(args.nodes):
                status, body = agent.call("POST", "/v1/agent/report",
                                          {"node": f"node-{n:05d}", "attempts": []})
                assert status == 200, (status, body)
            return time.monotonic() - t

        took = heartbeat_round()
        print(f"{args.store}: one heartbeat from each of {args.nodes} nodes in {took:.2f} s "
              f"({args.nodes / took:.0f} heartbeats/s on one connection)")

        per_client = args.jobs // args.clients
        errors = []

        def client(c):
            h = Http(port, key)
            for i in range(per_client):
                status, body = h.call("POST", "/v1/jobs", {
                    "name": f"c{c}-{i}", "argv": ["true"], "resources": {"gpus": 1}})
                if status != 201:
                    errors.append((status, body))
                    return

        t0 = time.monotonic()
        threads = [threading.Thread(target=client, args=(c,)) for c in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.monotonic() - t0
        if errors:
            sys.exit(f"submit failed: {errors[0]}")
        total = per_client * args.clients
        print(f"{args.store}: {total} durable submits by {args.clients} clients in {took:.1f} s "
              f"({total / took:.0f}/s)")
        took = heartbeat_round()
        print(f"{args.store}: heartbeats with {total} jobs placed or queued: {args.nodes} in "
              f"{took:.2f} s ({args.nodes / took:.0f}/s)")
        user = Http(port, key)
        t0 = time.monotonic()
        for _ in range(50):
            status, _ = user.call("GET", "/v1/jobs?limit=100")
            assert status == 200
        print(f"{args.store}: GET /v1/jobs?limit=100 with {total} jobs: "
              f"{(time.monotonic() - t0) / 50 * 1000:.1f} ms")
        print(f"{args.store}: server RSS {rss_mib(server.pid):.0f} MiB")
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
        if os.path.exists(state):
            subprocess.run(["bash", os.path.join(ROOT, "scripts", "pg-test-cluster.sh"), "stop",
                            state], check=False)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
