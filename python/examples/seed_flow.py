#!/usr/bin/env python3
"""The seed's flow with the fastgpu Python client: get the pool's resources, submit a job,
wait for it, print its output.

    PYTHONPATH=python python3 python/examples/seed_flow.py [--url URL --api-key KEY] [--gpus 0.5]

URL and key default to $FASTGPU_URL / $FASTGPU_API_KEY, then the config `fastgpu up` writes.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import fastgpu  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url")
    parser.add_argument("--api-key")
    parser.add_argument("--gpus", type=float, default=0.5)
    parser.add_argument("command", nargs="*", default=["sh", "-c", "echo hello from $(hostname)"])
    args = parser.parse_args()

    try:
        client = fastgpu.Client(args.url, args.api_key)
        pool = client.gpus()  # the seed's GET /gpu/resource
        s = pool["summary"]
        print(f"pool: {s['gpus']} GPUs on {s['nodes']} node(s), "
              f"{s['free_milli'] / 1000:g} GPUs of compute free")
        job = client.submit(args.command, gpus=args.gpus, name="seed-flow")
        print(f"submitted job {job['id']} ({job['state']})")
        job = client.wait(job["id"], timeout=600)
        print(f"job {job['id']} {job['state']} with exit code {job['exit_code']}; output:")
        sys.stdout.write(client.logs(job["id"]))
        return 0 if job["state"] == "succeeded" else 1
    except fastgpu.FastgpuError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
