#!/usr/bin/env python3
"""End-to-end benchmarks of the control plane: real `fastgpu server` and `fastgpu agent`
processes on loopback, a fresh data folder each, nothing left running afterwards.

  bench/control/e2e_bench.py [--bin build/src/main/fastgpu] [--jobs 1000] [--gpus 8]
                             [--clients 8] [--mode http|cli|latency|all] [--samples 200]

  http     1,000 trivial one-GPU jobs (`true`) on one agent with 8 simulated GPUs, submitted
           over HTTP by --clients threads that keep their connections open; prints jobs/s from
           the first submit to the last completion (the server's finished_ms).
  cli      the same through the CLI: `fastgpu run --detach --gpus 1 -- true`, --clients at once.
  latency  submit-to-process-start of one job at a time on an idle pool: the job writes to a
           FIFO this script reads; prints p50/p90/p99/max over --samples jobs.
  run      `fastgpu run --gpus 1 -- true` (submit, follow the logs, exit with the job's status)
           --samples times on an idle pool: the median wall time, and the median time from the
           CLI's start to each step of the job's record and events (submitted, scheduled,
           process forked, process ended, end committed by the server).

Standard library only. Prints one line per figure, e.g. `http: 1000 jobs in 1.63 s = 613 jobs/s`.
Run it at normal priority; on a shared machine the figures are lower bounds.
"""

import argparse
import ctypes
import http.client
import json
import resource
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_parent():
    """The folder that each run's data folder goes in: /var/tmp/fastgpu-bench, marked with
    ext4's "top directory" attribute (`chattr +T`) so that each run's folder gets block groups
    of its own. Without a journal, ext4 skips every inode deleted in the last 1-6 minutes when it
    allocates one in the same group (`recently_deleted()`), so the inodes that one run deletes at
    its end would slow the next run's file creations; a node's agent deletes almost nothing.
    FASTGPU_BENCH_PARENT overrides it."""
    parent = os.environ.get("FASTGPU_BENCH_PARENT", "/var/tmp/fastgpu-bench")
    os.makedirs(parent, exist_ok=True)
    subprocess.run(["chattr", "+T", parent], stderr=subprocess.DEVNULL, check=False)
    return parent


class Pool:
    """A server and one agent in a temporary folder."""

    def __init__(self, binary, gpus, agent_args=()):
        self.bin = binary
        # Not under /tmp: jobs get a private /tmp, and they run as their tenant's user.
        self.tmp = tempfile.mkdtemp(prefix="fg-bench-", dir=bench_parent())
        os.chmod(self.tmp, 0o1777)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        sdata = os.path.join(self.tmp, "server")
        self.server = subprocess.Popen(
            [binary, "server", "--listen", f"127.0.0.1:{self.port}", "--data", sdata,
             "--rate-limit", "0", "--heartbeat-ms", "1000"],
            stdout=open(os.path.join(self.tmp, "server.log"), "wb"), stderr=subprocess.STDOUT,
            start_new_session=True)
        self._wait(lambda: os.path.exists(os.path.join(sdata, "server-url")), "server")
        with open(os.path.join(sdata, "admin-key")) as f:
            self.key = f.read().strip()
        with open(os.path.join(sdata, "join-token")) as f:
            token = f.read().strip()
        env = dict(os.environ, FASTGPU_JOIN_TOKEN=token)
        self.agent = subprocess.Popen(
            [binary, "agent", "--server", self.url, "--data", os.path.join(self.tmp, "agent"),
             "--name", "bench", "--simulate", f"{gpus}xA100-80GB", *agent_args],
            stdout=open(os.path.join(self.tmp, "agent.log"), "wb"), stderr=subprocess.STDOUT,
            env=env, start_new_session=True)
        self._wait(lambda: self.nodes_ready() == 1, "agent")

    def _wait(self, fn, what, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if fn():
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise SystemExit(f"{what} did not start; see {self.tmp}")

    def conn(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.connect()
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return c

    def call(self, conn, method, path, body=None):
        headers = {"Authorization": f"Bearer {self.key}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        r = conn.getresponse()
        return r.status, json.loads(r.read() or b"null")

    def nodes_ready(self):
        c = self.conn()
        try:
            status, body = self.call(c, "GET", "/v1/nodes")
        finally:
            c.close()
        return sum(1 for n in body.get("nodes", []) if n["state"] == "ready") if status == 200 else 0

    def all_jobs(self):
        c = self.conn()
        jobs, after = [], 0
        try:
            while True:
                status, body = self.call(c, "GET", f"/v1/jobs?limit=1000&after={after}")
                jobs += body["jobs"]
                if body["next"] is None:
                    return jobs
                after = body["next"]
        finally:
            c.close()

    def wait_all_ended(self, n, timeout=300, meter=None):
        """Waits until no job is active and checks that all n succeeded. Polls every 100 ms:
        the figures come from the jobs' own timestamps, so a slower poll changes nothing but
        the load the poll itself puts on the server (each one is a store query)."""
        c = self.conn()
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                status, body = self.call(c, "GET", "/v1/jobs?state=active&limit=1")
                if status == 200 and not body["jobs"]:
                    break
                time.sleep(0.1)
        finally:
            c.close()
        if meter is not None:
            meter.stop()  # before the listing below, which is the benchmark's own work
        jobs = self.all_jobs()
        done = [j for j in jobs if j["state"] in ("succeeded", "failed", "cancelled")]
        if len(done) < n:
            raise SystemExit(f"only {len(done)} of {n} jobs ended; see {self.tmp}")
        bad = [j for j in done if j["state"] != "succeeded"]
        if bad:
            raise SystemExit(f"{len(bad)} jobs did not succeed, e.g. {bad[0]}")
        return jobs

    def close(self):
        for p in (self.agent, self.server):
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except OSError:
                pass
        for p in (self.agent, self.server):
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        kill_orphans()
        shutil.rmtree(self.tmp, ignore_errors=True)


def kill_orphans():
    """Job supervisors detach with setsid; as a child subreaper we inherit and end them."""
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if ppid == me:
            try:
                os.killpg(int(entry), signal.SIGKILL)
            except OSError:
                pass
            try:
                os.waitpid(int(entry), 0)
            except ChildProcessError:
                pass


def cpu_ms(pid):
    """CPU time of a process, its own and its reaped children's (utime, stime, cutime,
    cstime), in ms: the agent's children are the supervisors and their jobs."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    own = (int(fields[11]) + int(fields[12])) * 1000.0 / tick
    kids = (int(fields[13]) + int(fields[14])) * 1000.0 / tick
    return own, kids


def live_children(pid):
    """The pids of a process's children that are still running (the supervisor launcher)."""
    kids = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                kids += [int(k) for k in f.read().split()]
        except OSError:
            pass
    return kids


def descendants_cpu_ms(pid):
    """CPU of a process's reaped children and of its live children with theirs: the agent's
    supervisors and jobs, whether the agent or its supervisor launcher forked them."""
    _, total = cpu_ms(pid)
    for kid in live_children(pid):
        try:
            own, reaped = cpu_ms(kid)
        except OSError:
            continue
        total += own + reaped
    return total


class CpuMeter:
    """CPU per job of the server, the agent, the agent's children (supervisors and jobs) and
    of this script's reaped children (the CLI processes): a figure that load disturbs less
    than wall time, since it counts work, not waiting."""

    def __init__(self, pool):
        self.pool = pool
        self.start = self.read()
        self.end = None

    def stop(self):
        self.end = self.read()

    def read(self):
        server, _ = cpu_ms(self.pool.server.pid)
        agent, _ = cpu_ms(self.pool.agent.pid)
        jobs = descendants_cpu_ms(self.pool.agent.pid)
        r = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {"server": server, "agent": agent, "supervisors+jobs": jobs,
                "cli": (r.ru_utime + r.ru_stime) * 1000.0}

    def line(self, n, with_cli=False):
        end = self.end or self.read()
        parts = [f"{k} {(end[k] - self.start[k]) / n:.2f}" for k in end
                 if with_cli or k != "cli"]
        return "CPU ms per job: " + ", ".join(parts)


def span(jobs):
    first = min(j["submitted_ms"] for j in jobs)
    last = max(j["finished_ms"] for j in jobs)
    return (last - first) / 1000.0


def bench_http(pool, n, clients):
    per = [n // clients + (1 if i < n % clients else 0) for i in range(clients)]
    errors = []

    def submit(count):
        c = pool.conn()
        try:
            for _ in range(count):
                status, body = pool.call(c, "POST", "/v1/jobs",
                                         {"argv": ["true"], "resources": {"gpus": 1}})
                if status != 201:
                    errors.append(body)
        finally:
            c.close()

    meter = CpuMeter(pool)
    threads = [threading.Thread(target=submit, args=(k,)) for k in per]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"{len(errors)} submits failed, e.g. {errors[0]}")
    jobs = pool.wait_all_ended(n, meter=meter)
    secs = span(jobs)
    print(f"http: {n} jobs in {secs:.2f} s = {n / secs:.0f} jobs/s "
          f"(first submit to last completion, {clients} clients); {meter.line(n)}")


def bench_cli(pool, n, clients):
    env = dict(os.environ, FASTGPU_URL=pool.url, FASTGPU_API_KEY=pool.key)
    left = [n]
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
            subprocess.run([pool.bin, "run", "--detach", "--gpus", "1", "--", "true"], env=env,
                           stdout=subprocess.DEVNULL, check=True)

    meter = CpuMeter(pool)
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    jobs = pool.wait_all_ended(n, meter=meter)
    secs = span(jobs)
    print(f"cli: {n} jobs in {secs:.2f} s = {n / secs:.0f} jobs/s "
          f"(fastgpu run --detach, {clients} at once); {meter.line(n, with_cli=True)}")


def bench_latency(pool, samples):
    fifo = os.path.join(pool.tmp, "started")
    os.mkfifo(fifo)
    os.chmod(fifo, 0o666)
    c = pool.conn()
    lat = []
    try:
        for _ in range(samples):
            t0 = time.monotonic()
            status, body = pool.call(c, "POST", "/v1/jobs", {
                "argv": ["/bin/sh", "-c", f"echo > {fifo}"], "resources": {"gpus": 1}})
            if status != 201:
                raise SystemExit(f"submit failed: {body}")
            # Returns once the job's shell has opened the FIFO; a job that cannot ends the wait.
            fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
            try:
                while True:
                    try:
                        if os.read(fd, 1):
                            break
                    except BlockingIOError:
                        pass
                    if time.monotonic() - t0 > 10:
                        raise SystemExit(f"job {body['id']} did not start within 10 s")
                    time.sleep(0.0002)
            finally:
                os.close(fd)
            lat.append((time.monotonic() - t0) * 1000.0)
            time.sleep(0.02)  # an idle pool for the next one
    finally:
        c.close()
    lat.sort()

    def pct(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))]

    print(f"latency: submit to process start over {samples} jobs: p50 {pct(0.5):.1f} ms, "
          f"p90 {pct(0.9):.1f} ms, p99 {pct(0.99):.1f} ms, max {lat[-1]:.1f} ms")


def bench_run(pool, samples):
    env = dict(os.environ, FASTGPU_URL=pool.url, FASTGPU_API_KEY=pool.key)
    c = pool.conn()
    walls, steps = [], {}
    try:
        for _ in range(samples):
            t0 = time.time() * 1000.0
            subprocess.run([pool.bin, "run", "--gpus", "1", "--", "true"], env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            walls.append(time.time() * 1000.0 - t0)
            status, page = pool.call(c, "GET", "/v1/jobs?limit=1000")
            job = max(page["jobs"], key=lambda j: j["id"])
            status, events = pool.call(c, "GET", f"/v1/jobs/{job['id']}/events")
            at = {e["type"]: e["time_ms"] for e in events["events"]}
            for name, ms in (("submitted", job["submitted_ms"]), ("scheduled", at["scheduled"]),
                             ("forked", job["started_ms"]), ("ended", job["finished_ms"]),
                             ("committed", at["finished"])):
                steps.setdefault(name, []).append(ms - t0)
            time.sleep(0.02)
    finally:
        c.close()
    med = lambda xs: sorted(xs)[len(xs) // 2]
    print(f"run: `fastgpu run --gpus 1 -- true` over {samples} runs: median {med(walls):.0f} ms "
          f"(min {min(walls):.0f}, max {max(walls):.0f}); median ms from the CLI's start: "
          + ", ".join(f"{k} {med(v):.0f}" for k, v in steps.items()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.environ.get("FASTGPU_BIN",
                                                    os.path.join(REPO, "build/src/main/fastgpu")))
    ap.add_argument("--jobs", type=int, default=1000)
    ap.add_argument("--gpus", type=int, default=8)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--mode", default="all", choices=["http", "cli", "latency", "run", "all"])
    ap.add_argument("--agent-arg", action="append", default=[],
                    help="an extra agent flag, e.g. --agent-arg=--supervisor-launcher=false")
    args = ap.parse_args()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # clean up on `timeout`
    modes = ["http", "cli", "latency", "run"] if args.mode == "all" else [args.mode]
    for mode in modes:
        pool = Pool(args.bin, args.gpus, args.agent_arg)
        try:
            if mode == "http":
                bench_http(pool, args.jobs, args.clients)
            elif mode == "cli":
                bench_cli(pool, args.jobs, args.clients)
            elif mode == "run":
                bench_run(pool, args.samples)
            else:
                bench_latency(pool, args.samples)
        finally:
            pool.close()


if __name__ == "__main__":
    sys.exit(main())
