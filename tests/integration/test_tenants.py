"""Tenants and keys over real HTTP: every route of the spec called with another tenant's key
(404/403, never data), what each role may and may not do, revoked and expired keys (401), the
audit log of mutating requests, no plaintext key in the database, and the `fastgpu key` /
`fastgpu tenant` commands."""

import glob
import json
import os
import re
import time
import unittest

from harness import REPO_ROOT, Agent, Cluster, ClusterTestCase, json_of, wait_for

MARK = "tenant-a-secret-marker"  # appears in tenant a's job; must never reach tenant b


def spec_routes():
    """(METHOD, path) of every user route in docs/api/openapi.yaml (agent routes excluded)."""
    import yaml  # python3-yaml (scripts/install-deps.sh)

    with open(os.path.join(REPO_ROOT, "docs", "api", "openapi.yaml")) as f:
        spec = yaml.safe_load(f)
    routes = []
    for path, ops in spec["paths"].items():
        if path.startswith("/v1/agent/"):
            continue
        for method in ops:
            if method in ("get", "post", "put", "delete", "patch"):
                routes.append((method.upper(), path))
    return sorted(routes)


class TenantsTest(ClusterTestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = cls.enterClassContext(Cluster(agents=[Agent("node-a", "4xA100-80GB")]))
        c = cls.cluster
        cls.keys = {}
        for name, tenant, role in (("a", "a", "member"), ("b", "b", "member"),
                                   ("viewer", "a", "viewer"), ("ci", "a", "submit-only"),
                                   ("ci2", "a", "submit-only")):
            status, body = c.http("POST", "/v1/keys",
                                  {"tenant": tenant, "role": role, "user": name + "-user"})
            assert status == 201, body
            cls.keys[name] = body
        status, job = c.http("POST", "/v1/jobs",
                             {"name": MARK, "argv": ["sh", "-c", f"echo {MARK}; sleep 600"],
                              "resources": {"gpus": 1}},
                             key=cls.keys["a"]["key"])
        assert status == 201, job
        cls.job_a = job["id"]
        c.wait_state(cls.job_a, "running")
        wait_for(lambda: MARK.encode() in c.http("GET", f"/v1/jobs/{cls.job_a}/logs", raw=True)[1],
                 15, "tenant a's job output")

    def key(self, name):
        return self.keys[name]["key"]

    def assertNoData(self, status, body, what):
        text = body if isinstance(body, (bytes, str)) else json.dumps(body)
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        self.assertNotIn(MARK, text, f"{what}: tenant a's job leaked ({status})")
        self.assertNotIn(self.keys["a"]["prefix"], text, f"{what}: tenant a's key leaked")
        self.assertNotIn('"tenant":"a"', text.replace(" ", ""), f"{what}: tenant a named")

    # Routes whose answer to tenant b's key is fixed; every other route of the spec must answer
    # 401/403/404, or 2xx without any of tenant a's data.
    EXPECTED = {
        ("POST", "/v1/jobs"): 403,  # with "tenant": "a" in the body
        ("GET", "/v1/jobs/{id}"): 404,
        ("POST", "/v1/jobs/{id}/cancel"): 404,
        ("GET", "/v1/jobs/{id}/logs"): 404,
        ("POST", "/v1/keys"): 403,
        ("GET", "/v1/keys"): 403,
        ("POST", "/v1/keys/{prefix}/revoke"): 404,
        ("GET", "/v1/tenants/{name}"): 404,
        ("PUT", "/v1/tenants/{name}"): 404,
        ("GET", "/v1/audit"): 403,
        ("PUT", "/v1/prices"): 403,
        ("GET", "/v1/tenants/{name}/events"): 404,
        ("GET", "/v1/usage"): 200,  # its own tenant's (nothing), whatever tenant it names
    }

    def target(self, path):
        path = path.replace("{id}", str(self.job_a)).replace("{prefix}", self.keys["a"]["prefix"])
        return re.sub(r"\{[a-z_]+\}", "a", path.replace("{name}", "a"))

    def test_every_route_with_another_tenants_key(self):
        routes = spec_routes()
        self.assertGreaterEqual(len(routes), 17)
        for method, path in routes:
            with self.subTest(route=f"{method} {path}"):
                body = None
                if method in ("POST", "PUT"):
                    body = {"tenant": "a", "argv": ["true"]} if path == "/v1/jobs" else {}
                target = self.target(path) + ("?tenant=a&by=tenant,user,job&from=2000-01"
                                              if path == "/v1/usage" else "")
                status, reply = self.cluster.http(method, target, body, key=self.key("b"))
                self.assertNoData(status, reply, f"{method} {path}")
                want = self.EXPECTED.get((method, path))
                if want is not None:
                    self.assertEqual(status, want, reply)
                elif path != "/healthz":
                    self.assertTrue(status in (401, 403, 404) or 200 <= status < 300,
                                    f"{method} {path}: {status} {reply}")
        # A followed log of another tenant's job is refused before any byte is streamed.
        status, reply = self.cluster.http("GET", f"/v1/jobs/{self.job_a}/logs?follow=true",
                                          key=self.key("b"))
        self.assertEqual(status, 404, reply)
        # Its job stays untouched, and is not in b's list or pool view.
        self.assertEqual(self.cluster.job(self.job_a)["state"], "running")
        status, page = self.cluster.http("GET", "/v1/jobs", key=self.key("b"))
        self.assertEqual((status, page["jobs"]), (200, []))
        status, pool = self.cluster.http("GET", "/v1/gpus", key=self.key("b"))
        held = [a for g in pool["gpus"] for a in g["allocations"]]
        self.assertEqual([(a["tenant"], a["job"]) for a in held], [("", 0)])

    def test_roles(self):
        c = self.cluster
        job = {"argv": ["true"]}
        # viewer: reads its tenant, changes nothing.
        self.assertEqual(c.http("GET", f"/v1/jobs/{self.job_a}", key=self.key("viewer"))[0], 200)
        self.assertEqual(c.http("GET", "/v1/gpus", key=self.key("viewer"))[0], 200)
        self.assertEqual(c.http("POST", "/v1/jobs", job, key=self.key("viewer"))[0], 403)
        self.assertEqual(c.http("POST", f"/v1/jobs/{self.job_a}/cancel",
                                key=self.key("viewer"))[0], 403)
        # submit-only: submits and sees what it submitted, nothing else of its tenant.
        status, mine = c.http("POST", "/v1/jobs", job, key=self.key("ci"))
        self.assertEqual(status, 201, mine)
        self.assertEqual(mine["user"], "ci-user")
        self.assertEqual(c.http("GET", f"/v1/jobs/{mine['id']}", key=self.key("ci"))[0], 200)
        self.assertEqual(c.http("GET", f"/v1/jobs/{mine['id']}", key=self.key("ci2"))[0], 404)
        self.assertEqual(c.http("GET", f"/v1/jobs/{self.job_a}", key=self.key("ci"))[0], 404)
        status, page = c.http("GET", "/v1/jobs?limit=1000", key=self.key("ci"))
        self.assertEqual([j["id"] for j in page["jobs"]], [mine["id"]])
        self.assertEqual(c.http("POST", f"/v1/jobs/{mine['id']}/cancel",
                                key=self.key("ci"))[0], 403)
        # member: submits and cancels in its tenant; no admin routes.
        status, other = c.http("POST", "/v1/jobs", {"argv": ["sleep", "30"]}, key=self.key("a"))
        self.assertEqual(status, 201)
        self.assertEqual(c.http("POST", f"/v1/jobs/{other['id']}/cancel",
                                key=self.key("a"))[0], 200)
        for method, path in (("GET", "/v1/keys"), ("POST", "/v1/keys"), ("GET", "/v1/audit"),
                             ("PUT", "/v1/tenants/a")):
            for who in ("a", "viewer", "ci"):
                with self.subTest(who=who, route=f"{method} {path}"):
                    body = {} if method != "GET" else None
                    self.assertEqual(c.http(method, path, body, key=self.key(who))[0], 403)
        # whoami works for every role.
        status, me = c.http("GET", "/v1/whoami", key=self.key("ci"))
        self.assertEqual(me, {"tenant": "a", "role": "submit-only",
                              "key_prefix": self.keys["ci"]["prefix"], "user": "ci-user"})

    def test_revoked_and_expired_keys_are_401(self):
        c = self.cluster
        status, k = c.http("POST", "/v1/keys", {"tenant": "a", "role": "viewer"})
        self.assertEqual(status, 201)
        self.assertEqual(c.http("GET", "/v1/jobs", key=k["key"])[0], 200)
        r = c.cli("key", "revoke", k["prefix"])
        self.assertIn(k["prefix"], r.stdout)
        status, body = c.http("GET", "/v1/jobs", key=k["key"])
        self.assertEqual(status, 401)
        self.assertIn("revoked", body["error"]["message"])
        # An expiring key stops working by itself.
        expires = int(time.time() * 1000) + 800
        status, e = c.http("POST", "/v1/keys", {"tenant": "a", "role": "viewer",
                                                "expires_ms": expires})
        self.assertEqual(status, 201, e)
        self.assertEqual(c.http("GET", "/v1/jobs", key=e["key"])[0], 200)
        wait_for(lambda: c.http("GET", "/v1/jobs", key=e["key"])[0] == 401, 10, "key expiry")
        self.assertIn("expired", c.http("GET", "/v1/jobs", key=e["key"])[1]["error"]["message"])
        # Unknown and malformed keys too.
        self.assertEqual(c.http("GET", "/v1/jobs", key="fgk_00000000_" + "0" * 32)[0], 401)
        self.assertEqual(c.http("GET", "/v1/jobs", key="nope")[0], 401)

    def test_database_holds_no_plaintext_key(self):
        files = glob.glob(os.path.join(self.cluster.server_dir, "fastgpu.db*"))
        self.assertTrue(files)
        data = b""
        for name in files:
            with open(name, "rb") as f:
                data += f.read()
        self.assertIn(self.keys["a"]["prefix"].encode(), data)  # the prefix is stored
        for name, k in self.keys.items():
            secret = k["key"].split("_", 2)[2]
            self.assertNotIn(secret.encode(), data, f"key {name}'s secret is in the database")
            self.assertNotIn(k["key"].encode(), data)
        self.assertNotIn(self.cluster.admin_key.split("_", 2)[2].encode(), data)

    def test_audit_log_records_mutating_requests(self):
        c = self.cluster
        c.http("POST", "/v1/jobs", {"argv": ["true"], "tenant": "a"}, key=self.key("b"))
        status, audit = c.http("GET", "/v1/audit?limit=1000")
        self.assertEqual(status, 200, audit)
        entries = audit["entries"]
        ids = [e["id"] for e in entries]
        self.assertEqual(ids, sorted(ids, reverse=True))
        denied = [e for e in entries if e["key_prefix"] == self.keys["b"]["prefix"]
                  and e["method"] == "POST" and e["path"] == "/v1/jobs" and e["status"] == 403]
        self.assertTrue(denied, entries[:5])
        self.assertEqual(denied[0]["tenant"], "b")
        self.assertEqual(denied[0]["user"], "b-user")
        self.assertRegex(denied[0]["remote"], r"^127\.0\.0\.1:\d+$")
        self.assertIn("permission_denied", denied[0]["detail"])
        created = [e for e in entries if e["path"] == "/v1/keys" and e["status"] == 201]
        self.assertGreaterEqual(len(created), 5)
        self.assertFalse([e for e in entries if e["method"] == "GET"], "GETs are not audited")
        for k in self.keys.values():
            self.assertNotIn(k["key"], json.dumps(audit), "a key's secret is in the audit log")
        only_b = c.http("GET", "/v1/audit?tenant=b&limit=1000")[1]["entries"]
        self.assertTrue(only_b)
        self.assertEqual({e["tenant"] for e in only_b}, {"b"})
        r = c.cli("audit", "--tenant", "b")
        self.assertIn("POST /v1/jobs", r.stdout)
        self.assertIn("403", r.stdout)

    def test_cli_key_and_tenant_commands(self):
        c = self.cluster
        r = c.cli("key", "create", "--tenant", "cli-team", "--role", "viewer", "--user", "dora",
                  "--expires", "30d")
        key = r.stdout.strip()
        self.assertRegex(key, r"^fgk_[0-9a-f]{8}_[0-9a-f]{32}$")
        self.assertIn("shown only now", r.stderr)
        who = c.cli("whoami", env={"FASTGPU_API_KEY": key})
        self.assertIn("tenant cli-team, role viewer", who.stdout)
        listed = c.cli("key", "list", "--tenant", "cli-team")
        self.assertIn(key[:12], listed.stdout)
        self.assertIn("dora", listed.stdout)
        self.assertNotIn(key[13:], listed.stdout)
        keys = json_of(c.cli("key", "list", "--json"))
        self.assertTrue(all("hash" not in k and "key" not in k for k in keys))
        bad = c.cli("key", "create", "--role", "owner", check=False)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("field role", bad.stderr)

        r = c.cli("tenant", "set", "cli-team", "--max-gpus", "2", "--max-running-jobs", "3",
                  "--max-gpu-memory", "40GiB", "--budget", "250.5", "--budget-warn", "75")
        self.assertIn("cli-team", r.stdout)
        t = json_of(c.cli("tenant", "show", "cli-team", "--json"))
        self.assertEqual((t["max_gpus"], t["max_running_jobs"], t["max_gpu_memory_mib"]),
                         (2, 3, 40960))
        self.assertEqual(t["budget"], {"kind": "currency", "limit": 250.5, "warn_percent": 75,
                                       "preempt": False, "used": 0.0, "percent": 0.0})
        self.assertTrue(t["stored"])
        c.cli("tenant", "set", "cli-team", "--max-gpus", "-1", "--no-budget")
        t = json_of(c.cli("tenant", "show", "cli-team", "--json"))
        self.assertEqual((t["max_gpus"], t["max_running_jobs"], t["budget"]), (-1, 3, None))
        table = c.cli("tenant", "list").stdout
        self.assertRegex(table, r"(?m)^TENANT\s+WEIGHT")
        self.assertRegex(table, r"(?m)^cli-team\s")
        bad = c.cli("tenant", "set", "cli-team", check=False)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("nothing to change", bad.stderr)
        bad = c.cli("tenant", "set", "cli-team", "--weight", "0", check=False)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("weight", bad.stderr)
        # A viewer cannot change it; the CLI says so.
        denied = c.cli("tenant", "set", "cli-team", "--max-gpus", "9", check=False,
                       env={"FASTGPU_API_KEY": key})
        self.assertEqual(denied.returncode, 1)
        self.assertIn("cannot change tenants", denied.stderr)


if __name__ == "__main__":
    unittest.main()
