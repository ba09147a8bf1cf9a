#!/usr/bin/env python3
"""The agent's NVML code on a machine with a real NVIDIA GPU (docs/agent.md, "GPUs").

Usage: python3 tests/gpu/nvml_real_gpu.py BUILD_DIR   (exit 0: all checks passed; 77: skipped)

Runs tests/agent/fg_nvml_probe (discovery and one telemetry sample through dlopen'ed NVML) and
compares it with nvidia-smi:
1. The same GPUs: every uuid nvidia-smi lists (GPUs not in MIG mode), with its name and total
   memory (within 1 MiB); a GPU in MIG mode is replaced by its instances ("MIG-..." uuids).
2. A sample: every whole GPU present, with utilization, temperature, power and memory used.
3. With PyTorch: a process holding 256 MiB shows up among the sampled processes of its GPU
   with at least 256 MiB.
"""
import os
import shutil
import subprocess
import sys
import textwrap

HOLD = textwrap.dedent("""
    import torch, sys
    x = torch.empty(256 << 20, dtype=torch.uint8, device="cuda"); torch.cuda.synchronize()
    print("ready", flush=True); sys.stdin.read()
""")


def fields(line):
    """("device", {...}) from one probe line; the model name (last, with spaces) kept whole."""
    head, _, rest = line.partition(" ")
    rest, _, model = (" " + rest).partition(" model=")
    out = dict(kv.split("=", 1) for kv in rest.split())
    if model:
        out["model"] = model
    return head, out


def probe(probe_bin):
    r = subprocess.run([probe_bin], capture_output=True, text=True, timeout=60)
    print(r.stdout, end="")
    if r.returncode != 0:
        print("fg_nvml_probe failed:", r.stderr.strip())
        return None
    devices, samples = [], []
    for line in r.stdout.splitlines():
        head, f = fields(line)
        (devices if head == "device" else samples if head == "sample" else []).append(f)
    return devices, samples


def smi_gpus():
    out = subprocess.run(["nvidia-smi", "--query-gpu=index,uuid,name,memory.total,mig.mode.current",
                          "--format=csv,noheader,nounits"], capture_output=True, text=True,
                         check=True).stdout
    gpus = []
    for line in out.splitlines():
        index, uuid, name, memory, mig = [p.strip() for p in line.split(",")]
        gpus.append({"index": index, "uuid": uuid, "name": name, "memory_mib": int(memory),
                     "mig": mig == "Enabled"})
    return gpus


def check_devices(devices, gpus):
    ok = True
    ours = {d["uuid"]: d for d in devices}
    for g in gpus:
        if g["mig"]:
            mine = [d for d in devices if d["gpu_index"] == g["index"] and d["mig"] == "1"]
            print(f"GPU {g['index']} in MIG mode: {len(mine)} instances offered")
            ok &= all(d["uuid"].startswith("MIG-") for d in mine)
            continue
        d = ours.get(g["uuid"])
        if d is None:
            print(f"FAIL: {g['uuid']} ({g['name']}) not discovered")
            ok = False
            continue
        same = d["model"] == g["name"] and abs(int(d["memory_mib"]) - g["memory_mib"]) <= 1
        print(f"{g['uuid']}: ours {d['model']} {d['memory_mib']} MiB cc {d['cc']}, "
              f"nvidia-smi {g['name']} {g['memory_mib']} MiB: {'ok' if same else 'FAIL'}")
        ok &= same
    return ok


def check_samples(devices, samples):
    ok = True
    for d, s in zip(devices, samples):
        if d["mig"] == "1":
            continue
        have = s["present"] == "1" and all(s[k] != "-" for k in ("util", "temp_c", "power_mw",
                                                                   "mem_used_mib"))
        print(f"sample of {d['uuid']}: {'ok' if have else 'FAIL'}")
        ok &= have
    return ok


def check_process(probe_bin):
    try:
        import torch  # noqa: F401
    except ImportError:
        print("process check: SKIP (no PyTorch)")
        return True
    p = subprocess.Popen([sys.executable, "-c", HOLD], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "ready"
        _, samples = probe(probe_bin)
        seen = [s["processes"] for s in samples if f"{p.pid}:" in s["processes"]]
        mib = max((int(entry.split(":")[1]) for procs in seen for entry in procs.split(",")
                   if entry.startswith(f"{p.pid}:") and entry.split(":")[1] != "-"), default=0)
        ok = mib >= 256
        print(f"process {p.pid} holding 256 MiB: NVML shows {mib} MiB: {'ok' if ok else 'FAIL'}")
        return ok
    finally:
        p.stdin.close()
        p.wait()


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    probe_bin = os.path.join(sys.argv[1], "tests", "agent", "fg_nvml_probe")
    if shutil.which("nvidia-smi") is None or not os.access(probe_bin, os.X_OK):
        print(f"SKIP: needs nvidia-smi and {probe_bin}")
        sys.exit(77)
    got = probe(probe_bin)
    if got is None:
        sys.exit(1)
    devices, samples = got
    ok = check_devices(devices, smi_gpus())
    ok &= check_samples(devices, samples)
    ok &= check_process(probe_bin)
    print("nvml:", "PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
