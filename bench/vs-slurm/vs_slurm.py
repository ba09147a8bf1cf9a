#!/usr/bin/env python3
"""fastgpu vs Slurm on one machine: the same workloads on both, alternating, several rounds.

Started by bench/vs-slurm/run (which installs Slurm and builds fastgpu); standard library only.
Workloads (each one GPU per job; Slurm's GPUs are gres backed by placeholder device files,
fastgpu's are simulated):
  latency     one trivial job from submit to completion: `srun --gres=gpu:1 true` vs
              `fastgpu run --gpus 1 -- true` (wall time of the command)
  start       submit to process start: `sbatch ... --wrap='date +%s%N > F'` vs
              `fastgpu run --detach ... -- sh -c 'date +%s%N > F'` (the job writes its start time)
  throughput  N trivial one-GPU batch jobs, 8 submitters in parallel (`sbatch --wrap=true` vs
              `fastgpu run --detach -- true`), first submit to last completion
  deep queue  8 GPUs held, 10,000 jobs pending; a holder ends: time until the next job starts
  memory      memory (PSS) of the daemons at rest and with the deep queue, and of the
              per-job helpers (slurmstepd, fastgpu's supervisors) of 8 running jobs
Slurm runs twice: as installed (its defaults) and with the high-throughput settings of its
HTC guide. Each figure is min/median/max over the rounds (the deep queue: over the GPUs freed,
in the first --deep-rounds rounds, since Slurm alone takes ~100 s to queue 10,000 jobs); the
ratio compares medians, the better Slurm configuration against fastgpu.
"""

import argparse
import concurrent.futures as cf
import glob
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from systems import Fastgpu, Slurm

GPUS = 8


def median_ms(samples):
    return statistics.median(samples) * 1000.0


def timed(fn):
    t0 = time.monotonic()
    fn()
    return time.monotonic() - t0


def wait_start_file(pattern, since_ns, timeout_s=120):
    """Earliest start time (ns, written by the job) among files matching pattern."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        stamps = []
        for path in glob.glob(pattern):
            try:
                with open(path) as f:
                    text = f.read().strip()
            except OSError:
                continue
            if text.isdigit():
                stamps.append(int(text))
        if stamps:
            return min(stamps)
        time.sleep(0.001)
    raise TimeoutError(f"no job wrote {pattern} within {timeout_s}s")


def measure_latency(system, reps):
    return median_ms([timed(system.run_trivial) for _ in range(reps)])


def measure_start(system, work, reps):
    samples = []
    for i in range(reps):
        pattern = os.path.join(work, f"s2s-{system.tag}-{time.time_ns()}-{i}")
        t0 = time.time_ns()
        system.submit(f"date +%s%N > {pattern}")
        samples.append((wait_start_file(pattern, t0) - t0) / 1e9)
    system.wait_idle()
    return median_ms(samples)


def measure_throughput(system, jobs):
    t0 = time.monotonic()
    with cf.ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: system.submit("true"), range(jobs)))
    system.wait_idle(timeout_s=1200)
    return jobs / (time.monotonic() - t0)


def measure_deep_queue(system, work, depth, releases):
    """Holds every GPU, queues `depth` jobs, then frees GPUs one at a time."""
    base = tempfile.mkdtemp(prefix=f"deep-{system.tag}-", dir=work)  # a new one each round
    os.chmod(base, 0o755)
    fifos = []
    for i in range(GPUS):
        fifo = os.path.join(base, f"hold-{i}")
        os.mkfifo(fifo)
        os.chmod(fifo, 0o666)
        fifos.append(fifo)
        system.submit(f"cat {fifo} > /dev/null")
    system.wait_running(GPUS)
    starts = os.path.join(base, "starts")
    os.makedirs(starts)
    os.chmod(starts, 0o1777)
    system.submit_many(f"date +%s%N > $(mktemp {starts}/s.XXXXXX); exec sleep 3600", depth)
    system.wait_queued(depth + GPUS)
    time.sleep(2)  # let the scheduler settle on the deep queue before the clock starts
    rss_deep = system.rss_kib()
    rss_helpers = system.helpers_rss_kib()
    samples = []
    for i in range(releases):
        seen = set(os.listdir(starts))
        t0 = time.time_ns()
        with open(fifos[i], "w"):
            pass  # the holder's `cat` reads EOF and exits: its GPU frees
        stamp = wait_new_start(starts, seen)
        samples.append((stamp - t0) / 1e9)
    system.cancel_all()
    return [x * 1000.0 for x in samples], rss_deep, rss_helpers


def wait_new_start(folder, seen, timeout_s=300):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for name in set(os.listdir(folder)) - seen:
            with open(os.path.join(folder, name)) as f:
                text = f.read().strip()
            if text.isdigit():
                return int(text)
        time.sleep(0.0005)
    raise TimeoutError("no queued job started after a GPU freed")


def run_round(rnd, systems, work, args, results):
    for system in systems:
        phases = []  # (name, seconds): where the run's time goes

        def phase(name, fn):
            t0 = time.monotonic()
            value = fn()
            phases.append((name, time.monotonic() - t0))
            return value

        phase("start", system.start)
        r = results.setdefault(system.tag, {})
        r.setdefault("rss_rest_mib", []).append(system.rss_kib() / 1024)
        r.setdefault("anon_rest_mib", []).append(system.rss_kib("Pss_Anon:") / 1024)
        r.setdefault("latency_ms", []).append(
            phase("latency", lambda: measure_latency(system, args.reps)))
        r.setdefault("start_ms", []).append(
            phase("start-time", lambda: measure_start(system, work, args.reps)))
        r.setdefault("jobs_per_s", []).append(
            phase("throughput", lambda: measure_throughput(system, args.jobs)))
        if args.deep > 0 and rnd < args.deep_rounds:
            ms, rss, helpers = phase("deep", lambda: measure_deep_queue(
                system, work, args.deep, args.releases))
            r.setdefault("deep_next_ms", []).extend(ms)  # each release is a sample
            r.setdefault("rss_deep_mib", []).append(rss / 1024)
            r.setdefault("rss_helpers_mib", []).append(helpers / 1024)
        phase("stop", system.stop)
        print(f"  {system.tag}: " + ", ".join(f"{k} {v[-1]:.1f}" for k, v in r.items()),
              flush=True)
        print("    (" + ", ".join(f"{n} {s:.0f} s" for n, s in phases) + ")", flush=True)


ROWS = [  # key, title, higher is better
    ("latency_ms", "submit to completion, one trivial job (ms)", False),
    ("start_ms", "submit to process start (ms)", False),
    ("jobs_per_s", "throughput, trivial 1-GPU jobs (jobs/s)", True),
    ("deep_next_ms", "deep queue: next start after a GPU frees (ms)", False),
    ("rss_rest_mib", "daemons' memory at rest (MiB, PSS)", False),
    ("anon_rest_mib", "daemons' memory at rest, anonymous only (MiB, Pss_Anon)", False),
    ("rss_deep_mib", "daemons' memory, deep queue (MiB, PSS)", False),
    ("rss_helpers_mib", "per-job helpers, 8 running jobs (MiB, PSS; slurmstepd vs "
     "fastgpu-supervise)", False),
]


def fmt(values):
    if not values:
        return "-"
    return f"{min(values):.1f} / {statistics.median(values):.1f} / {max(values):.1f}"


def print_table(results, args):
    tags = ["fastgpu", "slurm", "slurm-htc"]
    print(f"\nfastgpu vs Slurm 22.05 on {socket.gethostname()} ({os.cpu_count()} cores), "
          f"{args.rounds} rounds, N={args.jobs}, deep queue {args.deep} in {args.deep_rounds} "
          f"round(s) x {args.releases} GPUs freed; min / median / max")
    head = f"| metric | {' | '.join(tags)} | ratio (best Slurm / fastgpu) |"
    print(head)
    print("|" + "---|" * (len(tags) + 2))
    for key, title, higher in ROWS:
        cells = [fmt(results.get(t, {}).get(key, [])) for t in tags]
        meds = {t: statistics.median(results[t][key]) for t in tags if results.get(t, {}).get(key)}
        ratio = "-"
        if "fastgpu" in meds and len(meds) > 1:
            slurm = [v for t, v in meds.items() if t != "fastgpu"]
            best = max(slurm) if higher else min(slurm)
            fg = meds["fastgpu"]
            x = (fg / best) if higher else (best / fg if fg > 0 else float("inf"))
            ratio = f"{x:.1f}x {'ahead' if x >= 1 else 'BEHIND'}"
        print(f"| {title} | {' | '.join(cells)} | {ratio} |")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--fastgpu", required=True, help="the fastgpu binary")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--reps", type=int, default=5, help="latency samples per round")
    p.add_argument("--jobs", type=int, default=100, help="jobs in the throughput run")
    p.add_argument("--deep", type=int, default=10000, help="pending jobs in the deep queue")
    p.add_argument("--releases", type=int, default=5, help="GPUs freed per deep-queue round")
    p.add_argument("--deep-rounds", type=int, default=1,
                   help="rounds that also run the deep queue (Slurm takes ~100 s to queue 10,000)")
    p.add_argument("--quick", action="store_true", help="1 round, 50 jobs, deep queue 1000")
    p.add_argument("--json", help="also write the raw results here")
    args = p.parse_args()
    if args.quick:
        args.rounds, args.jobs, args.deep, args.reps = 1, 50, 1000, 5
    # Not under /tmp: fastgpu gives each job a private /tmp, and the jobs write start stamps here.
    work = tempfile.mkdtemp(prefix="fg-vs-slurm.", dir="/var/tmp")
    os.chmod(work, 0o1777)  # jobs may run as an unprivileged user: they write start stamps here
    systems = [Slurm(work, "slurm", htc=False), Fastgpu(work, args.fastgpu),
               Slurm(work, "slurm-htc", htc=True)]
    results = {}
    started = time.monotonic()
    try:
        for rnd in range(args.rounds):
            print(f"round {rnd + 1}/{args.rounds}", flush=True)
            order = systems if rnd % 2 == 0 else list(reversed(systems))
            run_round(rnd, order, work, args, results)
    finally:
        for s in systems:
            s.stop()
        shutil.rmtree(work, ignore_errors=True)
    print_table(results, args)
    print(f"\n(total {time.monotonic() - started:.0f} s; command: sudo bench/vs-slurm/run "
          f"--rounds {args.rounds} --reps {args.reps} --jobs {args.jobs} --deep {args.deep} "
          f"--deep-rounds {args.deep_rounds} --releases {args.releases})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main()
