#!/usr/bin/env python3
"""Workloads that are not shipped, made from the shipped ones, to check that the default
policy was not only fitted to the shipped files (docs/scheduler.md, "Held-out workloads").

Writes three pod lists under OUT (seeded, so every run writes the same files), runs
`fastgpu-sim sim fill` on each with fgd, fgd+ and bestfit (10 seeds, 130 % inflation) and
prints the median allocation at 100 % arrival:
  mix_share_multi  8,152 tasks drawn half from gpushare40 and half from multigpu30;
  default_jitter   the default trace with every slice's gpu_milli redrawn in 50..950;
  gpuspec_halfcpu  gpuspec33 (model constraints) with every cpu request halved.
There are no published figures for these: fgd (which matches the paper on the shipped
workloads) is the reference.

Usage: bench/sim_heldout.py [BUILD_DIR] [OUT] [TRACES]   (python3 standard library only)
"""
import csv
import os
import random
import subprocess
import sys

COLUMNS = ["name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli", "gpu_spec"]


def find_traces(how="pass it as the third argument"):
    """The first shared/traces/alibaba-gpu-v2023 above this script; `how` says what to do
    when there is none."""
    d = os.path.dirname(os.path.abspath(__file__))
    while d != "/":
        d = os.path.dirname(d)
        cand = os.path.join(d, "shared", "traces", "alibaba-gpu-v2023")
        if os.path.isdir(cand):
            return cand
    sys.exit(f"{os.path.basename(sys.argv[0])}: no trace folder found; {how}")


def load(traces, workload):
    with open(os.path.join(traces, f"openb_pod_list_{workload}.csv")) as f:
        return list(csv.DictReader(f))


def write(path, rows, prefix="h"):
    with open(path, "w") as f:
        f.write(",".join(COLUMNS) + "\n")
        for i, r in enumerate(rows):
            f.write(",".join([f"{prefix}-{i}", r["cpu_milli"], r["memory_mib"], r["num_gpu"],
                              str(r["gpu_milli"]), r.get("gpu_spec") or ""]) + "\n")


def make_workloads(traces, out):
    rng = random.Random(7)
    share, multi = load(traces, "gpushare40"), load(traces, "multigpu30")
    default, spec = load(traces, "default"), load(traces, "gpuspec33")
    made = {}
    made["mix_share_multi"] = [dict(rng.choice(share if rng.random() < 0.5 else multi))
                               for _ in range(len(default))]
    jitter = []
    for r in default:
        r = dict(r)
        if int(r["num_gpu"]) == 1 and int(r["gpu_milli"]) < 1000:
            r["gpu_milli"] = rng.randrange(50, 951, 10)
        jitter.append(r)
    made["default_jitter"] = jitter
    made["gpuspec_halfcpu"] = [dict(r, cpu_milli=str(max(100, int(r["cpu_milli"]) // 2)))
                               for r in spec]
    paths = {}
    for name, rows in made.items():
        paths[name] = os.path.join(out, f"{name}.csv")
        write(paths[name], rows)
    return paths


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    out = sys.argv[2] if len(sys.argv) > 2 else "/tmp/fastgpu-sim-heldout"
    traces = sys.argv[3] if len(sys.argv) > 3 else find_traces()
    os.makedirs(out, exist_ok=True)
    sim = os.path.join(build, "src", "sim", "fastgpu-sim")
    print(f"{'workload':<17} {'fgd':>7} {'fgd+':>7} {'bestfit':>8}  (median % at 100 % arrival)")
    for name, path in make_workloads(traces, out).items():
        run_dir = os.path.join(out, name)
        subprocess.run([sim, "sim", "fill", "--nodes",
                        os.path.join(traces, "openb_node_list_gpu_node.csv"), "--pods", path,
                        "--policy", "fgd,fgd+,bestfit", "--seeds", "42-51", "--inflate", "1.3",
                        "--out", run_dir], check=True, stdout=subprocess.DEVNULL)
        at100 = {}
        with open(os.path.join(run_dir, "summary.csv")) as f:
            for row in csv.DictReader(f):
                if row["arrived_pct"] == "100":
                    at100[row["policy"]] = float(row["alloc_pct_median"])
        print(f"{name:<17} {at100['fgd']:>7.2f} {at100['fgd+']:>7.2f} {at100['bestfit']:>8.2f}")


if __name__ == "__main__":
    main()
