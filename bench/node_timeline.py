#!/usr/bin/env python3
"""The node side of submit-to-start, step by step (run as root; needs `perf`).

  bench/node_timeline.py [--bin build/src/main/fastgpu] [--samples 30]

Starts a server and one agent (bench/control/e2e_bench.py's Pool), runs its latency benchmark
(one `sh -c 'echo > FIFO'` job at a time on an idle pool) under `perf record` of the kernel's
process and cgroup tracepoints, and prints the median and max milliseconds of each step of the
agent's attempts: the agent's spawn of the supervisor -> the supervisor's exec (or the agent's
supervisor launcher's fork of it) -> its fork of the job -> the job's first and last cgroup join -> the job's exec -> its exit -> the
supervisor's exit. Only the benchmark's own agent and its children are counted.
"""

import argparse
import ctypes
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "control"))
import e2e_bench  # noqa: E402

EVENTS = ["sched:sched_process_fork", "sched:sched_process_exec", "sched:sched_process_exit",
          "cgroup:cgroup_attach_task"]
STEPS = [("spawn", "sup_exec"), ("sup_exec", "fork"), ("spawn", "fork"), ("fork", "join_first"),
         ("join_first", "join_last"), ("join_last", "job_exec"), ("spawn", "job_exec"),
         ("job_exec", "job_exit"), ("job_exit", "sup_exit")]


def attempts(script, agent_pid, launcher_pid=0):
    """One dict of step -> ms per supervisor the agent started: exec'd by the agent, or forked
    by its supervisor launcher (then "spawn" is the launcher's fork, and there is no exec)."""
    by_sup, by_job = {}, {}
    for line in script.splitlines():
        m = re.match(r"\s*\S+\s+(\d+)\s+\[\d+\]\s+([\d.]+):\s+(\S+):\s+(.*)", line)
        if not m:
            continue
        pid, t, event, rest = int(m.group(1)), float(m.group(2)) * 1000, m.group(3), m.group(4)
        child = re.search(r"child_pid=(\d+)", rest)
        if event == "sched:sched_process_fork" and pid in (agent_pid, launcher_pid):
            if int(child.group(1)) != launcher_pid:
                by_sup[int(child.group(1))] = {"spawn": t}
        elif event == "sched:sched_process_fork" and pid in by_sup and "fork" not in by_sup[pid]:
            by_sup[pid]["fork"] = t
            by_job[int(child.group(1))] = by_sup[pid]
        elif event == "sched:sched_process_exec" and pid in by_sup:
            by_sup[pid]["sup_exec"] = t
        elif event == "sched:sched_process_exit" and pid in by_sup:
            by_sup[pid]["sup_exit"] = t
        elif pid in by_job:
            a = by_job[pid]
            if event == "cgroup:cgroup_attach_task":
                a.setdefault("join_first", t)
                a["join_last"] = t
            elif event == "sched:sched_process_exec":
                a["job_exec"] = t
            elif event == "sched:sched_process_exit":
                a["job_exit"] = t
    return list(by_sup.values())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(HERE), "build/src/main/fastgpu"))
    ap.add_argument("--samples", type=int, default=30)
    args = ap.parse_args()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER, as e2e_bench does
    data = tempfile.mktemp(prefix="fg-node-timeline-", suffix=".perf", dir="/var/tmp")
    pool = e2e_bench.Pool(args.bin, 8)
    try:
        cmd = ["perf", "record", "-a", "-o", data] + sum((["-e", e] for e in EVENTS), [])
        perf = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        e2e_bench.bench_latency(pool, args.samples)
        perf.send_signal(signal.SIGINT)
        perf.wait()
        fields = "comm,pid,cpu,time,event,trace"  # pid: the process, not the thread
        script = subprocess.run(["perf", "script", "-i", data, "-F", fields], capture_output=True,
                                text=True).stdout
        launchers = [k for k in e2e_bench.live_children(pool.agent.pid)
                     if b"--launcher" in open(f"/proc/{k}/cmdline", "rb").read()]
        found = attempts(script, pool.agent.pid, launchers[0] if launchers else 0)
    finally:
        pool.close()
        if os.path.exists(data):
            os.unlink(data)
    for a, b in STEPS:
        xs = sorted(x[b] - x[a] for x in found if a in x and b in x)
        if xs:
            print(f"{a:>10} -> {b:<10} median {xs[len(xs) // 2]:6.2f} ms, max {xs[-1]:6.2f} ms "
                  f"({len(xs)} attempts)")


if __name__ == "__main__":
    main()
