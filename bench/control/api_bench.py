#!/usr/bin/env python3
"""API throughput of the control plane with wrk on loopback: a real `fastgpu server` (SQLite in
WAL with synchronous=FULL, its default) in a fresh data folder, no agent, nothing left running.

  bench/control/api_bench.py [--bin build/src/main/fastgpu] [--seconds 10] [--connections 64]
                             [--threads 2] [--mode get|submit|all]

  get     authenticated `GET /v1/jobs/{id}` (Bearer admin key) of one stored job
  submit  durable `POST /v1/jobs` (a 201 is sent only after the job's row is committed); the
          jobs stay queued (no node), so the scheduler's pass over a growing queue is included

Prints one line per figure, e.g. `get: 52000 req/s, p50 1.1 ms, p99 3.2 ms (64 connections)`,
with wrk's count of non-2xx answers (must be 0) and the server's CPU time per request (from
/proc/PID/stat: a figure that the machine's load disturbs less than the rate). The server runs with --rate-limit 0 (the
per-key limit would otherwise answer 429). Run it at normal priority; on a shared machine the
figures are lower bounds.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

GET_LUA = """
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer {key}"
"""

SUBMIT_LUA = """
wrk.method = "POST"
wrk.body = '{{"argv": ["true"], "resources": {{"gpus": 1}}}}'
wrk.headers["Authorization"] = "Bearer {key}"
wrk.headers["Content-Type"] = "application/json"
"""

# Counts the answers by status so that errors cannot pass for throughput.
REPORT_LUA = """
local codes = {}
function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
end
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, extra):
        self.tmp = tempfile.mkdtemp(prefix="fg-apibench-", dir="/var/tmp")
        self.port = free_port()
        data = os.path.join(self.tmp, "server")
        self.proc = subprocess.Popen(
            [binary, "server", "--listen", f"127.0.0.1:{self.port}", "--data", data,
             "--rate-limit", "0"] + extra,
            stdout=open(os.path.join(self.tmp, "server.log"), "wb"), stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 30
        while not os.path.exists(os.path.join(data, "server-url")):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"server did not start; see {self.tmp}/server.log")
            time.sleep(0.05)
        with open(os.path.join(data, "admin-key")) as f:
            self.key = f.read().strip()

    def submit_one(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        c.request("POST", "/v1/jobs", body=json.dumps({"argv": ["true"]}),
                  headers={"Authorization": f"Bearer {self.key}",
                           "Content-Type": "application/json"})
        r = c.getresponse()
        body = json.loads(r.read())
        c.close()
        if r.status != 201:
            raise SystemExit(f"submit failed: {r.status} {body}")
        return body["id"]

    def close(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(15)
        except (OSError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
        shutil.rmtree(self.tmp, ignore_errors=True)


def cpu_ms(pid):
    """The process's CPU time (user + system) in ms, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / os.sysconf("SC_CLK_TCK")


def thread_cpu_ms(pid):
    """CPU ms by thread name (fg-http, fg-store-writer, fg-scheduler, ...) of the process."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                text = f.read()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text.rsplit(")", 1)[1].split()
        ms = (int(fields[11]) + int(fields[12])) * 1000.0 / os.sysconf("SC_CLK_TCK")
        out[name] = out.get(name, 0.0) + ms
    return out


def to_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000.0 if unit == "us" else value * 1000.0 if unit == "s" else value


def run_wrk(args, server, lua, path):
    script = os.path.join(server.tmp, "script.lua")
    with open(script, "w") as f:
        f.write(lua.format(key=server.key) + REPORT_LUA)
    cmd = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{args.seconds}s",
           "--latency", "-s", script, f"http://127.0.0.1:{server.port}{path}"]
    cpu_before, threads_before = cpu_ms(server.proc.pid), thread_cpu_ms(server.proc.pid)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    cpu = cpu_ms(server.proc.pid) - cpu_before
    threads = {k: v - threads_before.get(k, 0.0) for k, v in thread_cpu_ms(server.proc.pid).items()}
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return rps, to_ms(lat["50"]), to_ms(lat["99"]), int(bad.group(1)) if bad else 0, \
        errors.group(0) if errors else "", cpu * 1000.0 / max(1, requests), \
        ", ".join(f"{k} {v * 1000.0 / max(1, requests):.1f}" for k, v in sorted(threads.items())
                  if v > 0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.environ.get("FASTGPU_BIN",
                                                    os.path.join(REPO, "build/src/main/fastgpu")))
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--mode", default="all", choices=["get", "submit", "all"])
    ap.add_argument("--server-arg", action="append", default=[],
                    help="extra argument for `fastgpu server` (repeatable)")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing (scripts/install-deps.sh installs it)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    for mode in (["get", "submit"] if args.mode == "all" else [args.mode]):
        server = Server(args.bin, args.server_arg)
        try:
            if mode == "get":
                job = server.submit_one()
                rps, p50, p99, bad, errs, us, by = run_wrk(args, server, GET_LUA, f"/v1/jobs/{job}")
                what = f"authenticated GET /v1/jobs/{job}"
            else:
                rps, p50, p99, bad, errs, us, by = run_wrk(args, server, SUBMIT_LUA, "/v1/jobs")
                what = "durable POST /v1/jobs"
            print(f"{mode}: {rps:.0f} req/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms ({what}, "
                  f"{args.connections} connections, {args.seconds} s); non-2xx: {bad}; "
                  f"server CPU {us:.1f} us per request ({by})"
                  + (f"; {errs}" if errs else ""), flush=True)
        finally:
            server.close()


if __name__ == "__main__":
    sys.exit(main())
