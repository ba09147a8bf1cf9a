#!/usr/bin/env python3
"""vGPU checks on a machine with a real NVIDIA GPU, PyTorch and nvidia-smi (docs/vgpu.md).

Usage: python3 tests/gpu/vgpu_real_gpu.py BUILD_DIR   (exit 0: all checks passed; 77: skipped)

1. PyTorch under a 4 GiB slice allocates 64 MiB blocks until torch.cuda.OutOfMemoryError; the
   host's NVML (nvidia-smi, outside the slice) samples the process's memory all along: it must
   never exceed the limit + 4 MiB plus the CUDA context, which the library does not account
   (the context size is measured first, by a process that allocates nothing).
2. torch.cuda.mem_get_info() inside the slice shows total = 4 GiB.
3. A matmul loop alone (no library) and then two copies at 500 milli side by side: each copy
   should get about half of the solo throughput (0.35..0.65 is accepted and printed).
4. The share is per job: two processes of ONE job (one ledger) at 500 milli together get about
   half of the solo throughput (0.35..0.65 together), not half each.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

GIB = 1 << 30
MIB = 1 << 20

CHILD_ALLOC = textwrap.dedent("""
    import torch, sys
    torch.cuda.init(); torch.zeros(1, device="cuda")
    print("ready", flush=True)
    blocks = []
    try:
        while True:
            blocks.append(torch.empty(64 << 20, dtype=torch.uint8, device="cuda"))
    except torch.cuda.OutOfMemoryError:
        pass
    free, total = torch.cuda.mem_get_info()
    print(f"allocated={len(blocks) * (64 << 20)} free={free} total={total}", flush=True)
    sys.stdin.read()
""")

CHILD_CONTEXT = textwrap.dedent("""
    import torch, sys
    torch.zeros(1, device="cuda"); torch.cuda.synchronize()
    print("ready", flush=True); sys.stdin.read()
""")

CHILD_MATMUL = textwrap.dedent("""
    import torch, time
    a = torch.randn(4096, 4096, device="cuda"); b = torch.randn(4096, 4096, device="cuda")
    for _ in range(5): a @ b
    torch.cuda.synchronize(); n = 0; t = time.time()
    while time.time() - t < 10:
        a @ b; n += 1
        if n % 10 == 0: torch.cuda.synchronize()
    torch.cuda.synchronize()
    print(f"rate={n / (time.time() - t):.2f}", flush=True)
""")


def process_memory_mib(pid):
    out = subprocess.run(["nvidia-smi", "--query-compute-apps=pid,used_memory",
                          "--format=csv,noheader,nounits"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        p, _, used = line.partition(",")
        if p.strip() == str(pid):
            return int(used.strip())
    return 0


def spawn(code, env):
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)


def slice_env(lib, shm_dir, name, memory=None, share=None):
    env = dict(os.environ, LD_PRELOAD=lib, FASTGPU_VGPU_SHM=os.path.join(shm_dir, name))
    if memory:
        env["FASTGPU_VGPU_MEMORY_LIMIT"] = memory
    if share:
        env["FASTGPU_VGPU_COMPUTE_SHARE"] = str(share)
    return env


def context_mib():
    p = spawn(CHILD_CONTEXT, dict(os.environ))
    p.stdout.readline()
    time.sleep(1)
    used = process_memory_mib(p.pid)
    p.stdin.close()
    p.wait()
    return used


def check_memory(lib, shm_dir):
    ctx = context_mib()
    print(f"CUDA context of an idle PyTorch process: {ctx} MiB (not accounted by the library)")
    p = spawn(CHILD_ALLOC, slice_env(lib, shm_dir, "mem", memory="4GiB"))
    assert p.stdout.readline().strip() == "ready"
    peak, done = 0, threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process_memory_mib(p.pid))
            time.sleep(0.05)

    t = threading.Thread(target=sample)
    t.start()
    line = p.stdout.readline().strip()
    time.sleep(0.5)
    done.set()
    t.join()
    p.stdin.close()
    p.wait()
    print(f"slice 4GiB: {line}; NVML peak {peak} MiB")
    fields = dict(kv.split("=") for kv in line.split())
    ok = int(fields["total"]) == 4 * GIB
    ok &= int(fields["allocated"]) <= 4 * GIB
    ok &= peak * MIB <= 4 * GIB + 4 * MIB + ctx * MIB
    print("memory:", "PASS" if ok else "FAIL")
    return ok


def rate(proc):
    out = proc.stdout.read()
    proc.wait()
    return float(out.strip().split("=")[1])


def check_compute(lib, shm_dir):
    solo = rate(spawn(CHILD_MATMUL, dict(os.environ)))
    pair = [spawn(CHILD_MATMUL, slice_env(lib, shm_dir, f"c{i}", share=500)) for i in range(2)]
    rates = [rate(p) for p in pair]
    ratios = [r / solo for r in rates]
    print(f"matmul solo {solo:.2f}/s; two at 500 milli: {rates[0]:.2f}/s, {rates[1]:.2f}/s "
          f"(ratios {ratios[0]:.2f}, {ratios[1]:.2f})")
    ok = all(0.35 <= r <= 0.65 for r in ratios)
    print("compute:", "PASS" if ok else "FAIL")
    together = [spawn(CHILD_MATMUL, slice_env(lib, shm_dir, "one-job", share=500))
                for _ in range(2)]
    rates = [rate(p) for p in together]
    total = sum(rates) / solo
    print(f"one job, two processes at 500 milli: {rates[0]:.2f}/s + {rates[1]:.2f}/s "
          f"= {total:.2f} of solo")
    per_job = 0.35 <= total <= 0.65
    print("compute per job:", "PASS" if per_job else "FAIL")
    return ok and per_job


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    lib = os.path.abspath(os.path.join(sys.argv[1], "src", "vgpu", "libfastgpu-vgpu.so"))
    if shutil.which("nvidia-smi") is None or not os.path.isfile(lib):
        print(f"SKIP: needs nvidia-smi and {lib}")
        sys.exit(77)
    try:
        import torch  # noqa: F401  (only checks that PyTorch exists)
    except ImportError:
        print("SKIP: needs PyTorch")
        sys.exit(77)
    with tempfile.TemporaryDirectory() as shm_dir:
        ok = check_memory(lib, shm_dir)
        ok &= check_compute(lib, shm_dir)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
