#!/usr/bin/env python3
"""How long a fresh child takes to join a cgroup v1 group, the two ways (run as root).

  bench/cgroup_join.py [--samples 10] [--idle-ms 50]

For each sample: forks a child that joins a new group in every v1 hierarchy the agent uses
(memory, cpu, pids), once by writing its pid to cgroup.procs (what AddProcess does) and once by
writing "0" to tasks (what cgroup::JoinSelf does for a single-threaded child), and prints the
median and max milliseconds per way. With --idle-ms between samples (an idle pool), the
cgroup.procs way waits for the kernel's threadgroup lock and its RCU grace period; the tasks
way does not take that lock. Standard library only; removes its groups afterwards.
"""

import argparse
import os
import time


def own_paths():
    """{controller: our group's folder} for memory, cpu, pids (v1 mounts under /sys/fs/cgroup)."""
    out = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for c in controllers.split(","):
                if c in ("memory", "cpu", "pids"):
                    mount = f"/sys/fs/cgroup/{c}"
                    if not os.path.exists(mount + "/cgroup.procs"):
                        mount = "/sys/fs/cgroup/cpu,cpuacct" if c == "cpu" else mount
                    out[c] = mount + (path if path != "/" else "")
    return out


def join_ms(dirs, way):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        t = time.perf_counter()
        for d in dirs:
            name, value = ("cgroup.procs", str(os.getpid())) if way == "procs" else ("tasks", "0")
            with open(f"{d}/{name}", "w") as f:
                f.write(value)
        os.write(w, str((time.perf_counter() - t) * 1000).encode())
        os._exit(0)
    os.waitpid(pid, 0)
    ms = float(os.read(r, 64).decode())
    os.close(r)
    os.close(w)
    return ms


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--samples", type=int, default=10)
    ap.add_argument("--idle-ms", type=float, default=50)
    args = ap.parse_args()
    paths = own_paths()
    if len(paths) < 3:
        raise SystemExit(f"no cgroup v1 memory, cpu and pids hierarchies here: {paths}")
    dirs = [f"{p}/fastgpu-join-bench-{os.getpid()}" for p in paths.values()]
    for d in dirs:
        os.makedirs(d, exist_ok=True)
    try:
        for way in ("procs", "tasks"):
            xs = []
            for _ in range(args.samples):
                time.sleep(args.idle_ms / 1000)
                xs.append(join_ms(dirs, way))
            xs.sort()
            label = "cgroup.procs <pid>" if way == "procs" else 'tasks "0"        '
            print(f"join via {label}: median {xs[len(xs) // 2]:.2f} ms, max {xs[-1]:.2f} ms "
                  f"({args.samples} samples, {args.idle_ms:.0f} ms idle before each)")
    finally:
        for d in dirs:
            os.rmdir(d)


if __name__ == "__main__":
    main()
