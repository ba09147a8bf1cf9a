"""Metering and billing end to end: prices, gpu_seconds and cost on every job (exactly the
attempt's interval x slice, also across a server crash), `fastgpu usage` as a table, JSON and
CSV, budgets refusing submits with 402 and a clear message, and quotas making jobs wait
"over quota"."""

import csv
import io
import os
import re
import shlex
import unittest

from harness import REPO_ROOT, Agent, Cluster, ClusterTestCase, json_of, wait_for

PRICE = 36.0  # per GPU-hour: 0.01 per GPU-second, so small runs cost visible amounts


def wait_file(path):
    return f"while [ ! -f {path} ]; do sleep 0.05; done"


class UsageTest(ClusterTestCase):
    def setUp(self):
        self.cluster = self.enterContext(Cluster(agents=[Agent("node-a", "4xA100-80GB")]))
        c = self.cluster
        c.cli("price", "set", "gpu:A100-80GB", str(PRICE), "--from", "2000-01-01")
        c.cli("price", "set", "cpu", "0.36", "--from", "2000-01-01")
        self.keys = {}
        for tenant in ("a", "b"):
            status, k = c.http("POST", "/v1/keys", {"tenant": tenant, "role": "member",
                                                    "user": tenant + "-dev"})
            self.assertEqual(status, 201, k)
            self.keys[tenant] = k["key"]

    def run_job(self, tenant, gpus, seconds, cpus=None):
        args = ["run", "--detach", "--gpus", str(gpus)]
        if cpus:
            args += ["--cpus", str(cpus)]
        r = self.cluster.cli(*args, "--", "sleep", str(seconds),
                             env={"FASTGPU_API_KEY": self.keys[tenant]})
        return int(r.stdout.strip().split()[-1])

    def assertMetered(self, job, milli, cpu_milli=0):
        """gpu_seconds is exactly the attempt's interval x its slice; cost is its price (the
        GPU's, plus 0.36 per CPU-hour); a piece cut at midnight may round 1 micro apart."""
        self.assertEqual(job["attempt"], 1)
        ms = job["finished_ms"] - job["started_ms"]
        self.assertGreater(ms, 0)
        self.assertAlmostEqual(job["gpu_seconds"], milli * ms / 1e6, places=6)
        micros = round(milli * ms * PRICE * 1e6 / 3.6e9) + round(cpu_milli * ms * 0.36e6 / 3.6e9)
        self.assertAlmostEqual(job["cost"], micros / 1e6, delta=2.1e-6)

    def test_jobs_show_gpu_seconds_and_cost_and_usage_adds_up(self):
        c = self.cluster
        jobs = [self.run_job("a", 0.25, 0.6), self.run_job("a", 1, 0.4, cpus=2),
                self.run_job("b", 2, 0.3)]
        done = [c.wait_state(j, "succeeded", timeout=20) for j in jobs]
        for job, milli, cpu in zip(done, (250, 1000, 2000), (0, 2000, 0)):
            self.assertMetered(job, milli, cpu)
        status, report = c.http("GET", "/v1/usage?by=tenant&from=2000-01")
        self.assertEqual(status, 200, report)
        by_tenant = {r["tenant"]: r for r in report["rows"]}
        self.assertEqual(set(by_tenant), {"a", "b"})
        for tenant, mine in (("a", done[:2]), ("b", done[2:])):
            self.assertAlmostEqual(by_tenant[tenant]["gpu_seconds"],
                                   sum(j["gpu_seconds"] for j in mine), places=6)
            self.assertAlmostEqual(by_tenant[tenant]["cost"], sum(j["cost"] for j in mine),
                                   places=6)
        self.assertEqual(report["total"]["cost_micros"],
                         sum(r["cost_micros"] for r in report["rows"]))
        # By job: the same totals as the jobs themselves show.
        rows = c.http("GET", "/v1/usage?by=job&from=2000-01")[1]["rows"]
        for job in done:
            got = [r for r in rows if r["job"] == job["id"] and r["gpu_seconds"] > 0]
            self.assertTrue(got, rows)
        # A member sees its own tenant only, whatever it asks for.
        status, mine = c.http("GET", "/v1/usage?by=tenant&tenant=b&from=2000-01",
                              key=self.keys["a"])
        self.assertEqual([r["tenant"] for r in mine["rows"]], ["a"])
        # The CLI: a table with a total, CSV and JSON.
        table = c.cli("usage", "--by", "tenant,model", "--period", "day", "--from", "2000-01").stdout
        self.assertRegex(table, r"(?m)^PERIOD\s+TENANT\s+MODEL\s+GPU-HOURS\s+CPU-HOURS")
        self.assertRegex(table, r"(?m)^\d{4}-\d\d-\d\d\s+a\s+A100-80GB\s")
        self.assertRegex(table, r"(?m)^\d{4}-\d\d-\d\d\s+a\s+host\s")  # CPU time of job 2
        self.assertRegex(table, r"(?m)^TOTAL\s")
        out = c.cli("usage", "--by", "tenant,user", "--csv", "--from", "2000-01").stdout
        parsed = list(csv.DictReader(io.StringIO(out)))
        self.assertEqual({r["tenant"] for r in parsed}, {"a", "b"})
        self.assertEqual({r["user"] for r in parsed}, {"a-dev", "b-dev"})
        self.assertEqual(parsed[0]["currency"], "USD")
        total = sum(float(r["cost"]) for r in parsed)
        self.assertAlmostEqual(total, report["total"]["cost"], places=5)
        j = json_of(c.cli("usage", "--json", "--from", "2000-01"))
        self.assertEqual(j["total"]["cost_micros"], report["total"]["cost_micros"])
        bad = c.cli("usage", "--by", "colour", check=False)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("cannot group by \"colour\"", bad.stderr)

    def test_metering_across_a_server_crash(self):
        c = self.cluster
        stop = c.path("STOP")
        job = c.submit("sh", "-c", wait_file(stop), gpus=0.5)
        c.wait_state(job, "running")
        c.restart_server()  # SIGKILL while the attempt runs
        c.wait_nodes_ready(["node-a"])
        with open(stop, "w"):
            pass
        done = c.wait_state(job, "succeeded", timeout=20)
        self.assertMetered(done, 500)
        status, report = c.http("GET", "/v1/usage?by=job&from=2000-01")
        self.assertAlmostEqual(report["total"]["gpu_seconds"], done["gpu_seconds"], places=6)

    def test_budget_refuses_submits_and_quota_makes_jobs_wait(self):
        c = self.cluster
        c.cli("tenant", "set", "a", "--budget", "0.005", "--budget-warn", "50")
        job = self.run_job("a", 1, 1)
        c.wait_state(job, "succeeded", timeout=20)  # 1 GPU-second: 0.01 > 0.005
        r = c.cli("run", "--detach", "--gpus", "1", "--", "true", check=False,
                  env={"FASTGPU_API_KEY": self.keys["a"]})
        self.assertEqual(r.returncode, 1, r)
        self.assertRegex(r.stderr, r"budget exhausted: tenant a used 0\.01\d* USD of its 0\.005 USD "
                                   r"budget for \d{4}-\d\d; new jobs are refused until")
        self.assertIn("field budget", r.stderr)
        status, body = c.http("POST", "/v1/jobs", {"argv": ["true"]}, key=self.keys["a"])
        self.assertEqual(status, 402, body)
        self.assertEqual(body["error"]["field"], "budget")
        self.assertEqual(c.http("POST", "/v1/jobs", {"argv": ["true"]}, key=self.keys["b"])[0],
                         201)
        kinds = wait_for(lambda: {e["kind"] for e in
                                  c.http("GET", "/v1/tenants/a/events")[1]["events"]} >=
                         {"budget_warning", "budget_exhausted"} and
                         c.http("GET", "/v1/tenants/a/events")[1]["events"], 15,
                         "budget events")
        self.assertIn("spent its budget", kinds[0]["message"])
        t = json_of(c.cli("tenant", "show", "a", "--json"))
        self.assertGreaterEqual(t["budget"]["percent"], 100)
        # Quota: b may hold one GPU; its second job waits "over quota".
        c.cli("tenant", "set", "b", "--max-gpus", "1")
        stop = c.path("STOP-B")
        first = int(c.cli("run", "--detach", "--gpus", "1", "--", "sh", "-c", wait_file(stop),
                          env={"FASTGPU_API_KEY": self.keys["b"]}).stdout.split()[-1])
        c.wait_state(first, "running")
        second = int(c.cli("run", "--detach", "--gpus", "1", "--", "true",
                           env={"FASTGPU_API_KEY": self.keys["b"]}).stdout.split()[-1])
        c.wait_state(second, "pending")
        # The scheduler runs just after the submit is answered: wait for its verdict.
        pending = wait_for(lambda: (j := c.job(second))["reason"] and j, 10, "the wait reason")
        self.assertEqual(pending["reason"],
                         "over quota: tenant b holds 1 of its max 1 GPU and this job needs 1")
        why = c.cli("why", second, env={"FASTGPU_API_KEY": self.keys["b"]}).stdout
        self.assertIn("over quota", why)
        with open(stop, "w"):
            pass
        c.wait_state(second, "succeeded", timeout=20)

    def test_key_budget_refuses_that_keys_submits(self):
        c = self.cluster
        key = c.cli("key", "create", "--tenant", "a", "--user", "carol", "--budget", "0.005",
                    "--budget-warn", "50").stdout.strip()
        prefix = key[:12]
        carol = {"FASTGPU_API_KEY": key}
        job = int(c.cli("run", "--detach", "--gpus", "1", "--", "sleep", "1",
                        env=carol).stdout.split()[-1])
        c.wait_state(job, "succeeded", timeout=20)  # 1 GPU-second: 0.01 > 0.005
        r = c.cli("run", "--detach", "--gpus", "1", "--", "true", check=False, env=carol)
        self.assertEqual(r.returncode, 1, r)
        self.assertRegex(r.stderr, rf"budget exhausted: key {prefix} \(carol of tenant a\) used "
                                   r"0\.01\d* USD of its 0\.005 USD budget for \d{4}-\d\d; new "
                                   r"jobs with this key are refused until \d{4}-\d\d-01")
        status, body = c.http("POST", "/v1/jobs", {"argv": ["true"]}, key=key)
        self.assertEqual((status, body["error"]["field"]), (402, "budget"), body)
        # The tenant's other keys still submit: the budget is this key's.
        self.assertEqual(c.http("POST", "/v1/jobs", {"argv": ["true"]}, key=self.keys["a"])[0],
                         201)
        mine = [k for k in json_of(c.cli("key", "list", "--json")) if k["prefix"] == prefix][0]
        self.assertEqual((mine["budget"]["kind"], mine["budget"]["limit"]), ("currency", 0.005))
        self.assertGreaterEqual(mine["budget"]["used"], 0.01)
        self.assertIn(prefix, c.cli("key", "list", "--tenant", "a").stdout)
        events = wait_for(lambda: [e for e in c.http("GET", "/v1/tenants/a/events")[1]["events"]
                                   if e["key_prefix"] == prefix and
                                   e["kind"] == "budget_exhausted"], 15, "the key's event")
        self.assertIn(f"key {prefix} (carol of tenant a) spent its budget", events[0]["message"])
        # An admin raises it: the key submits again; bad flags name themselves.
        r = c.cli("key", "set", prefix, "--budget-gpu-hours", "10")
        self.assertIn("10 GPU-h/month", r.stdout)
        self.assertEqual(c.http("POST", "/v1/jobs", {"argv": ["true"]}, key=key)[0], 201)
        bad = c.cli("key", "set", prefix, check=False)
        self.assertEqual(bad.returncode, 2, bad)
        self.assertIn("nothing to change", bad.stderr)
        bad = c.cli("key", "create", "--budget", "1", "--budget-gpu-hours", "1", check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("--budget", bad.stderr)
        status, body = c.http("PUT", f"/v1/keys/{prefix}", {"budget": {"kind": "currency",
                                                                       "limit": 1,
                                                                       "preempt": True}})
        self.assertEqual((status, body["error"]["field"]), (400, "budget.preempt"), body)
        self.assertEqual(c.http("PUT", f"/v1/keys/{prefix}", {"budget": None},
                                key=self.keys["a"])[0], 403)

    def test_prices_cli_and_bad_input(self):
        c = self.cluster
        table = c.cli("price", "list").stdout
        self.assertRegex(table, r"(?m)^gpu:A100-80GB\s+36\.0000 USD\s+per GPU-hour\s+2000-01-01")
        r = c.cli("price", "set", "gpu:A100-80GB", "40", "--from", "2030-01-01")
        self.assertIn("2030-01-01", r.stdout)
        for args, field in ((["gpux", "1"], "field resource"),
                            (["cpu", "1", "--from", "2030-02-30"], "field from")):
            bad = c.cli("price", "set", *args, check=False)
            self.assertEqual(bad.returncode, 1, bad)
            self.assertIn(field, bad.stderr)
        status, body = c.http("PUT", "/v1/prices", {"resource": "cpu", "price": -1})
        self.assertEqual((status, body["error"]["field"]), (400, "price"))
        denied = c.cli("price", "set", "cpu", "1", check=False,
                       env={"FASTGPU_API_KEY": self.keys["a"]})
        self.assertIn("cannot change prices", denied.stderr)


def doc_usage_examples():
    """[(argv after `fastgpu`, [output lines])] of each `$ fastgpu usage ...` in docs/billing.md."""
    with open(os.path.join(REPO_ROOT, "docs", "billing.md")) as f:
        text = f.read()
    examples = []
    for block in re.findall(r"(?ms)^```\n(\$ fastgpu usage.*?)^```", text):
        for part in re.split(r"(?m)^\$ ", block)[1:]:
            lines = part.rstrip("\n").split("\n")
            examples.append((shlex.split(lines[0])[1:], lines[1:]))
    return examples


def labels(line, csv_line=False):
    """The words of an output line that are not numbers (header names, tenants, models)."""
    cells = line.split(",") if csv_line else line.split()
    return [c for c in cells if not re.fullmatch(r"[0-9.:TZ-]+", c)]


class UsageDocsTest(ClusterTestCase):
    """docs/billing.md's `fastgpu usage` examples are what the CLI prints: the same commands
    after the same kind of run (tenants research and vision, the prices of the page) print the
    same lines, with the same columns and row labels (only the figures differ)."""

    def setUp(self):
        self.cluster = self.enterContext(Cluster(agents=[Agent("node-a", "4xA100-80GB")]))
        c = self.cluster
        for resource, price in (("gpu:A100-80GB", "2.50"), ("cpu", "0.04"), ("memory", "0.005")):
            c.cli("price", "set", resource, price, "--from", "2000-01-01")
        self.keys = {}
        for tenant, user in (("research", "alice"), ("vision", "bob")):
            status, k = c.http("POST", "/v1/keys", {"tenant": tenant, "role": "member",
                                                    "user": user})
            self.assertEqual(status, 201, k)
            self.keys[tenant] = k["key"]

    def test_docs_examples_match_the_cli(self):
        c = self.cluster
        jobs = []
        for tenant, args in (("research", ["--gpus", "1", "--cpus", "2", "--memory", "16GiB"]),
                             ("research", ["--gpus", "0.25"]), ("vision", ["--gpus", "2"])):
            r = c.cli("run", "--detach", *args, "--", "sleep", "0.3",
                      env={"FASTGPU_API_KEY": self.keys[tenant]})
            jobs.append(int(r.stdout.split()[-1]))
        for job in jobs:
            c.wait_state(job, "succeeded", timeout=20)
        examples = doc_usage_examples()
        self.assertGreaterEqual(len(examples), 3)
        for argv, doc in examples:
            with self.subTest(command=" ".join(argv)):
                # The page's default window is this month; a window from 2000 also holds a run
                # that began just before a month turned.
                out = c.cli(*argv, "--from", "2000-01").stdout.rstrip("\n").split("\n")
                self.assertEqual(len(out), len(doc), out)
                is_csv = "--csv" in argv
                for got, want in zip(out, doc):
                    if want.startswith("usage from "):
                        self.assertRegex(got, r"^usage from \S+ to \S+ \(USD\)$")
                        continue
                    self.assertEqual(labels(got, is_csv), labels(want, is_csv), got)


if __name__ == "__main__":
    unittest.main()
