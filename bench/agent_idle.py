#!/usr/bin/env python3
"""The node agent's idle cost: CPU and resident memory of `fastgpu agent` with 8 simulated GPUs
and 20 running jobs (each a quarter GPU, so all 20 fit), measured over a window while nothing
changes. Prints one line per figure; the targets are under 1 % of one core and 30 MiB RSS
(issue 5). The jobs' supervisors are separate processes; their totals are printed too.

    python3 bench/agent_idle.py [--seconds 60] [--jobs 20] [--gpus 8]

Uses the integration harness (real server and agent on loopback, cleaned up at the end) and
$FASTGPU_BIN or build/src/main/fastgpu. Run it on a quiet machine: a figure measured while
others compile is an upper bound for CPU.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
from harness import Agent, Cluster  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def supervisors(data_dir):
    pids = []
    attempts = os.path.join(data_dir, "attempts")
    for name in os.listdir(attempts):
        try:
            with open(os.path.join(attempts, name, "supervisor.pid")) as f:
                pids.append(int(f.read()))
        except (OSError, ValueError):
            pass
    return pids


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="measurement window")
    ap.add_argument("--jobs", type=int, default=20)
    ap.add_argument("--gpus", type=int, default=8)
    args = ap.parse_args()
    with Cluster(agents=[Agent("bench", f"{args.gpus}xA100-80GB")]) as c:
        jobs = [c.submit("sleep", "3600", gpus=0.25) for _ in range(args.jobs)]
        for j in jobs:
            c.wait_state(j, "running", timeout=60)
        agent = c.agents[0].proc.pid
        sups = supervisors(c.agents[0].data_dir)
        time.sleep(5)  # let the start-up traffic settle
        a0, s0, t0 = cpu_seconds(agent), sum(cpu_seconds(p) for p in sups), time.monotonic()
        time.sleep(args.seconds)
        a1, s1, t1 = cpu_seconds(agent), sum(cpu_seconds(p) for p in sups), time.monotonic()
        wall = t1 - t0
        print(f"agent: {args.gpus} simulated GPUs, {len(jobs)} running jobs, {wall:.0f} s window")
        print(f"agent CPU: {100 * (a1 - a0) / wall:.3f} % of one core")
        print(f"agent RSS: {status_kib(agent, 'VmRSS') / 1024:.1f} MiB "
              f"(peak {status_kib(agent, 'VmHWM') / 1024:.1f} MiB)")
        print(f"supervisors ({len(sups)}): CPU {100 * (s1 - s0) / wall:.3f} % of one core in all; "
              f"RSS {sum(status_kib(p, 'VmRSS') for p in sups) / 1024:.1f} MiB in all, "
              f"PSS {sum(pss_kib(p) for p in sups) / 1024:.1f} MiB in all")
        for j in jobs:
            c.http("POST", f"/v1/jobs/{j}/cancel")


if __name__ == "__main__":
    main()
