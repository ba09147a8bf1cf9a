#!/usr/bin/env python3
"""Rebuilds the FGD paper's workloads that are not shipped, to check the default policy on
files it was not chosen on (docs/scheduler.md, "Fifth round").

The FGD authors publish FGD's and BestFit's results for 17 workloads
(shared/traces/alibaba-gpu-v2023/fgd-expected-results/); six are shipped. This script makes
the other eleven from `default` and `gpuspec33` the way the shipped variants were made (seeded,
so every run writes the same files), runs `fastgpu-sim sim fill` on each (10 seeds, 130 %
inflation) and prints the median allocation at 100 % arrival next to the published figures:

  multigpuNN  default plus multi-GPU tasks drawn uniformly (with replacement) from default's
              own 75 multi-GPU tasks, appended until multi-GPU tasks hold NN % of the GPU
              request (multigpu30 was made so: its 356 extra tasks are copies of default's);
  cpuXXX      default's 7,064 GPU tasks plus CPU-only tasks drawn from default's 1,088 until
              they are XX.X % of the tasks, without replacement while there are enough (as in
              cpu050), with replacement beyond (as in cpu250);
  gpushareNN  default's 1,088 CPU-only tasks and 7,064 GPU tasks, of which the sharing ones
              (1 GPU, gpu_milli < 1000) are drawn with replacement from default's 3,078 and the
              others without replacement from default's 3,986, as many sharing tasks as make
              their share of the GPU request NN % (as in gpushare40);
  gpuspecNN   default with gpu_spec kept from gpuspec33 on a uniform sample of its specced GPU
              tasks, NN % of the GPU tasks (gpuspec33's specs are spread evenly over task
              sizes: 29-38 % of slices, 1-GPU and multi-GPU tasks).
`--rebuild-shipped` also makes cpu050, cpu250, gpushare40 and multigpu30 this way
("rebuilt_<name>"), to compare the method with the shipped files themselves.

Usage: bench/sim_published.py [--build DIR] [--out DIR] [--traces DIR]
           [--workloads a,b] [--policies fgd,bestfit] [--seeds 42-51] [--draws 1-5]
           [--label L] [--threads N] [--rebuild-shipped] [--make-only]
       bench/sim_published.py --summarize OUT/results.csv
--workloads also takes the shipped names (run on the shipped file), the three files of
bench/sim_heldout.py, and any other multigpuNN/cpuXXX/gpushareNN/gpuspecNN. --draws are the
generator's seeds: each draw is another file of the same recipe, and results.csv (appended to,
one line per workload, draw and policy, policy names prefixed by --label) keeps each draw's
10-seed median; --summarize prints their mean per workload.
python3 standard library only. Environment variables pass through to fastgpu-sim.
"""
import argparse
import csv
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sim_heldout  # noqa: E402  (same folder: the trace finder, reader and writer)
from sim_heldout import load  # noqa: E402
HELD_OUT = ["cpu100", "cpu200", "gpushare60", "gpushare80", "gpushare100", "gpuspec10",
            "gpuspec20", "gpuspec25", "multigpu20", "multigpu40", "multigpu50"]
SHIPPED_REBUILDS = ["cpu050", "cpu250", "gpushare40", "multigpu30"]
SHIPPED = ["default", "cpu050", "cpu250", "gpushare40", "gpuspec33", "multigpu30"]
HELDOUT_PY = ["mix_share_multi", "default_jitter", "gpuspec_halfcpu"]


def gpu_of(r):
    return int(r["num_gpu"]) * int(r["gpu_milli"])


def is_share(r):
    return int(r["num_gpu"]) == 1 and int(r["gpu_milli"]) < 1000


def multigpu(default, pct, rng):
    pool = [r for r in default if int(r["num_gpu"]) >= 2]
    rows = [dict(r, gpu_spec="") for r in default]
    total = sum(gpu_of(r) for r in rows)
    multi = sum(gpu_of(r) for r in pool)
    while multi * 100 < pct * total:
        r = dict(rng.choice(pool), gpu_spec="")
        rows.append(r)
        total += gpu_of(r)
        multi += gpu_of(r)
    return rows


def cpu(default, per_mille, rng):
    gpu_tasks = [r for r in default if int(r["num_gpu"]) > 0]
    cpu_tasks = [r for r in default if int(r["num_gpu"]) == 0]
    n = round(per_mille * len(gpu_tasks) / (1000 - per_mille))
    if n <= len(cpu_tasks):
        drawn = rng.sample(cpu_tasks, n)
    else:
        drawn = [rng.choice(cpu_tasks) for _ in range(n)]
    return [dict(r) for r in drawn] + [dict(r) for r in gpu_tasks]


def gpushare(default, pct, rng):
    cpu_tasks = [r for r in default if int(r["num_gpu"]) == 0]
    gpu_tasks = [r for r in default if int(r["num_gpu"]) > 0]
    share = [r for r in gpu_tasks if is_share(r)]
    whole = [r for r in gpu_tasks if not is_share(r)]
    mean_share = sum(gpu_of(r) for r in share) / len(share)
    mean_whole = sum(gpu_of(r) for r in whole) / len(whole)
    n = len(gpu_tasks)
    # n_share * mean_share = pct/100 * (n_share * mean_share + (n - n_share) * mean_whole)
    f = pct / 100.0
    n_share = n if pct >= 100 else round(
        f * n * mean_whole / (mean_share * (1 - f) + f * mean_whole))
    drawn = [rng.choice(share) for _ in range(n_share)] + rng.sample(whole, n - n_share)
    return [dict(r) for r in cpu_tasks] + [dict(r) for r in drawn]


def gpuspec(default, spec33, pct, rng):
    gpu_idx = [i for i, r in enumerate(default) if int(r["num_gpu"]) > 0]
    specced = [i for i in gpu_idx if spec33[i]["gpu_spec"]]
    keep = set(rng.sample(specced, round(pct * len(gpu_idx) / 100)))
    return [dict(r, gpu_spec=spec33[i]["gpu_spec"] if i in keep else "")
            for i, r in enumerate(default)]


def make(name, traces, seed=7):
    base = name[len("rebuilt_"):] if name.startswith("rebuilt_") else name
    rng = random.Random(f"{seed}-{base}")
    default = load(traces, "default")
    for prefix in ("multigpu", "cpu", "gpushare", "gpuspec"):
        if base.startswith(prefix):
            num = int(base[len(prefix):])
            break
    else:
        sys.exit(f"sim_published.py: unknown workload {name}")
    if prefix == "multigpu":
        return multigpu(default, num, rng)
    if prefix == "cpu":
        return cpu(default, num, rng)
    if prefix == "gpushare":
        return gpushare(default, num, rng)
    return gpuspec(default, load(traces, "gpuspec33"), num, rng)


def describe(rows):
    total = sum(gpu_of(r) for r in rows)
    gpu_tasks = [r for r in rows if int(r["num_gpu"]) > 0]
    return (f"{len(rows)} tasks, {total / 1000:.1f} GPUs; multi-GPU "
            f"{100 * sum(gpu_of(r) for r in rows if int(r['num_gpu']) >= 2) / total:.1f} %, "
            f"sharing {100 * sum(gpu_of(r) for r in rows if is_share(r)) / total:.1f} % of GPU; "
            f"CPU-only {100 * (len(rows) - len(gpu_tasks)) / len(rows):.1f} %, "
            f"specced {100 * sum(1 for r in gpu_tasks if r.get('gpu_spec')) / len(gpu_tasks):.1f} %"
            " of GPU tasks")


def published(traces):
    path = os.path.join(traces, "fgd-expected-results",
                        "derived_summary_by_workload_policy_arrival.csv")
    out = {}
    with open(path) as f:
        for row in csv.DictReader(f):
            if row["arrived_pct"] == "100":
                w = row["workload"][len("openb_pod_list_"):]
                out[(w, row["sc_policy"])] = float(row["alloc_pct_median"])
    return out


def rows_for(name, traces, draw, cache):
    """The rows of `name` for generator draw `draw` (shipped and sim_heldout.py files have one)."""
    if name in SHIPPED:
        return load(traces, name), False
    if name in HELDOUT_PY:
        if name not in cache:
            tmp = os.path.join(cache.setdefault("dir", "/var/tmp"), "heldout-src")
            os.makedirs(tmp, exist_ok=True)
            for n, path in sim_heldout.make_workloads(traces, tmp).items():
                with open(path) as f:
                    cache[n] = list(csv.DictReader(f))
        return cache[name], False
    return make(name, traces, seed=draw), True


def summarize(results, traces):
    """Prints, per workload, the mean over draws of each policy's 10-seed median at 100 %."""
    pub = published(traces)
    runs, order, policies = {}, [], []
    with open(results) as f:
        for row in csv.DictReader(f):
            w, p = row["workload"], row["policy"]
            order += [w] if w not in order else []
            policies += [p] if p not in policies else []
            runs.setdefault((w, p), []).append(float(row["alloc_pct_median_at_100"]))
    print("| workload | draws | FGD published | BestFit published | " +
          " | ".join(policies) + " |")
    print("| --- " * (4 + len(policies)) + "|")
    for w in order:
        base = w[len("rebuilt_"):] if w.startswith("rebuilt_") else w
        cells = []
        for p in policies:
            v = runs.get((w, p))
            cells.append(f"{sum(v) / len(v):.3f}" if v else "–")
        draws = max(len(runs.get((w, p), [])) for p in policies)
        fgd, bf = pub.get((base, "06-FGD")), pub.get((base, "05-BestFit"))
        print(f"| {w} | {draws} | {'–' if fgd is None else fgd} | {'–' if bf is None else bf} | " +
              " | ".join(cells) + " |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--out", default="/var/tmp/fastgpu-sim-published")
    ap.add_argument("--traces", default=None)
    ap.add_argument("--workloads", default=",".join(HELD_OUT))
    ap.add_argument("--policies", default="fgd,bestfit,fgd+")
    ap.add_argument("--seeds", default="42-51")
    ap.add_argument("--draws", default="7", help="generator seeds, e.g. 7 or 1-5")
    ap.add_argument("--label", default="", help="prefix of the policy names in results.csv")
    ap.add_argument("--threads", default="0")
    ap.add_argument("--rebuild-shipped", action="store_true")
    ap.add_argument("--make-only", action="store_true")
    ap.add_argument("--summarize", metavar="RESULTS_CSV",
                    help="only print the table of an earlier run's OUT/results.csv")
    a = ap.parse_args()
    traces = a.traces or sim_heldout.find_traces("pass --traces")
    if a.summarize:
        summarize(a.summarize, traces)
        return
    os.makedirs(a.out, exist_ok=True)
    names = a.workloads.split(",")
    if a.rebuild_shipped:
        names += ["rebuilt_" + w for w in SHIPPED_REBUILDS]
    lo, _, hi = a.draws.partition("-")
    draws = list(range(int(lo), int(hi or lo) + 1))
    pub = published(traces)
    policies = a.policies.split(",")
    sim = os.path.join(a.build, "src", "sim", "fastgpu-sim")
    results = os.path.join(a.out, "results.csv")
    if not os.path.exists(results):
        with open(results, "w") as f:
            f.write("workload,draw,policy,alloc_pct_median_at_100\n")
    print(f"{'workload':<20} {'draw':>4} " + " ".join(f"{p:>8}" for p in policies) +
          f" {'FGD pub':>8} {'BF pub':>8}   (median % at 100 % arrival)")
    cache = {"dir": a.out}
    for name in names:
        for draw in draws:
            rows, drawn = rows_for(name, traces, draw, cache)
            tag = f"{name}.d{draw}" if drawn else name
            path = os.path.join(a.out, f"{tag}.csv")
            sim_heldout.write(path, rows, prefix="p")
            if a.make_only:
                print(f"{tag:<20} {describe(rows)}")
                if not drawn:
                    break
                continue
            run_dir = os.path.join(a.out, (a.label or "run") + "-" + tag)
            cmd = [sim, "sim", "fill", "--nodes",
                   os.path.join(traces, "openb_node_list_gpu_node.csv"), "--pods", path,
                   "--policy", a.policies, "--seeds", a.seeds, "--inflate", "1.3",
                   "--out", run_dir]
            if a.threads != "0":
                cmd += ["--threads", a.threads]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            at100 = {}
            with open(os.path.join(run_dir, "summary.csv")) as f:
                for row in csv.DictReader(f):
                    if row["arrived_pct"] == "100":
                        at100[row["policy"]] = float(row["alloc_pct_median"])
            with open(results, "a") as f:
                for p in policies:
                    f.write(f"{name},{draw if drawn else 0},{a.label}{p},{at100[p]:.3f}\n")
            base = name[len("rebuilt_"):] if name.startswith("rebuilt_") else name
            fgd_pub = pub.get((base, "06-FGD"), float("nan"))
            bf_pub = pub.get((base, "05-BestFit"), float("nan"))
            print(f"{name:<20} {draw if drawn else '-':>4} " +
                  " ".join(f"{at100[p]:>8.3f}" for p in policies) +
                  f" {fgd_pub:>8.3f} {bf_pub:>8.3f}", flush=True)
            if not drawn:
                break


if __name__ == "__main__":
    main()
