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

    # What tenant b's member key gets on every route of the spec, called on tenant a's job, key,
    # tenant and node: 403 for what its role may not do, 404 for what belongs to tenant a (as
    # for something that does not exist), 2xx only without any of tenant a's data. A route
    # added to the spec needs its line here.
    EXPECTED = {
        ("GET", "/"): 200,
        ("GET", "/healthz"): 200,
        ("GET", "/metrics"): 200,
        ("GET", "/ui/{version}/{asset}"): 404,
        ("GET", "/gpu/resource"): 200,  # how much is held, never by whom
        ("GET", "/v1/gpus"): 200,
        ("GET", "/v1/nodes"): 200,
        ("GET", "/v1/nodes/{name}"): 200,
        ("POST", "/v1/nodes/{name}/cordon"): 403,
        ("POST", "/v1/nodes/{name}/uncordon"): 403,
        ("POST", "/v1/nodes/{name}/drain"): 403,
        ("GET", "/v1/whoami"): 200,
        ("POST", "/v1/jobs"): 403,  # with "tenant": "a" in the body
        ("GET", "/v1/jobs"): 200,  # its own (none)
        ("GET", "/v1/jobs/{id}"): 404,
        ("POST", "/v1/jobs/{id}/cancel"): 404,
        ("GET", "/v1/jobs/{id}/events"): 404,
        ("GET", "/v1/jobs/{id}/logs"): 404,
        ("POST", "/v1/keys"): 403,
        ("GET", "/v1/keys"): 403,
        ("PUT", "/v1/keys/{prefix}"): 403,
        ("POST", "/v1/keys/{prefix}/revoke"): 404,
        ("GET", "/v1/tenants"): 200,  # its own only
        ("GET", "/v1/tenants/{name}"): 404,
        ("PUT", "/v1/tenants/{name}"): 404,
        ("GET", "/v1/tenants/{name}/events"): 404,
        ("GET", "/v1/audit"): 403,
        ("GET", "/v1/usage"): 200,  # its own tenant's (nothing), whatever tenant it names
        ("GET", "/v1/prices"): 200,
        ("PUT", "/v1/prices"): 403,
    }

    def target(self, path):
        path = path.replace("{id}", str(self.job_a)).replace("{prefix}", self.keys["a"]["prefix"])
        path = path.replace("/v1/nodes/{name}", "/v1/nodes/node-a")
        return re.sub(r"\{[a-z_]+\}", "a", path.replace("{name}", "a"))

    def test_every_route_with_another_tenants_key(self):
        routes = spec_routes()
        self.assertEqual(set(routes), set(self.EXPECTED),
                         "every route of docs/api/openapi.yaml needs its expected answer here")
        for method, path in routes:
            with self.subTest(route=f"{method} {path}"):
                body = None
                if method in ("POST", "PUT"):
                    body = {"tenant": "a", "argv": ["true"]} if path == "/v1/jobs" else {}
                target = self.target(path) + ("?tenant=a&by=tenant,user,job&from=2000-01"
                                              if path == "/v1/usage" else "")
                status, reply = self.cluster.http(method, target, body, key=self.key("b"))
                self.assertNoData(status, reply, f"{method} {path}")
                self.assertEqual(status, self.EXPECTED[(method, path)], reply)
        # A followed log of another tenant's job is refused before any byte is streamed.
        status, reply = self.cluster.http("GET", f"/v1/jobs/{self.job_a}/logs?follow=true",
                                          key=self.key("b"))
        self.assertEqual(status, 404, reply)
        # Its job stays untouched, and is not in b's list or pool view; its tenant list is b.
        self.assertEqual(self.cluster.job(self.job_a)["state"], "running")
        status, page = self.cluster.http("GET", "/v1/jobs", key=self.key("b"))
        self.assertEqual((status, page["jobs"]), (200, []))
        status, pool = self.cluster.http("GET", "/v1/gpus", key=self.key("b"))
        held = [a for g in pool["gpus"] for a in g["allocations"]]
        self.assertEqual([(a["tenant"], a["job"]) for a in held], [("", 0)])
        status, tenants = self.cluster.http("GET", "/v1/tenants", key=self.key("b"))
        self.assertEqual([t["name"] for t in tenants["tenants"]], ["b"])

    # The roles table of docs/security.md: which roles may do each action (on their own
    # tenant); every other role gets 403 naming its role, or 404 where it may not see the job.
    ROLES = ("admin", "member", "viewer", "submit-only")
    ALLOWED = {
        "submit jobs": {"admin", "member", "submit-only"},
        "cancel jobs": {"admin", "member"},
        "read jobs, logs, events": {"admin", "member", "viewer"},
        "read the pool, nodes, prices": set(ROLES),
        "read usage, its tenant, budget events": {"admin", "member", "viewer"},
        "manage tenants, keys, prices, nodes; read the audit log": {"admin"},
    }

    def role_key(self, role):
        return {"admin": self.cluster.admin_key, "member": self.key("a"),
                "viewer": self.key("viewer"), "submit-only": self.key("ci")}[role]

    def role_requests(self, action):
        """(method, path, body, status when forbidden) of each request of one action."""
        c = self.cluster
        j = self.job_a
        if action == "submit jobs":
            return [("POST", "/v1/jobs", {"argv": ["true"]}, 403)]
        if action == "cancel jobs":  # a job of tenant a that the admin submitted for it
            status, job = c.http("POST", "/v1/jobs", {"tenant": "a", "argv": ["sleep", "60"]})
            assert status == 201, job
            self._to_cancel.append(job["id"])
            return [("POST", f"/v1/jobs/{job['id']}/cancel", None, 403)]
        if action == "read jobs, logs, events":  # tenant a's job, submitted by the member key
            return [("GET", f"/v1/jobs/{j}", None, 404), ("GET", f"/v1/jobs/{j}/logs", None, 404),
                    ("GET", f"/v1/jobs/{j}/events", None, 404)]
        if action == "read the pool, nodes, prices":
            return [("GET", p, None, 403) for p in ("/v1/gpus", "/gpu/resource", "/v1/nodes",
                                                    "/v1/nodes/node-a", "/v1/prices",
                                                    "/v1/whoami")]
        if action == "read usage, its tenant, budget events":
            return [("GET", p, None, 403) for p in ("/v1/usage", "/v1/tenants", "/v1/tenants/a",
                                                    "/v1/tenants/a/events")]
        return [("GET", "/v1/keys", None, 403),
                ("POST", "/v1/keys", {"tenant": "roles-made", "role": "viewer"}, 403),
                ("PUT", "/v1/tenants/a", {"weight": 1}, 403),
                ("PUT", "/v1/prices", {"resource": "storage", "price": 0.02}, 403),
                ("PUT", f"/v1/keys/{self.keys['ci2']['prefix']}", {"budget": None}, 403),
                ("GET", "/v1/audit", None, 403),
                ("POST", "/v1/nodes/node-a/cordon", None, 403),
                ("POST", "/v1/nodes/node-a/uncordon", None, 403)]

    def test_each_roles_allowed_and_forbidden_actions(self):
        c = self.cluster
        self._to_cancel = []
        try:
            for action, allowed in self.ALLOWED.items():
                for role in self.ROLES:
                    for method, path, body, forbidden in self.role_requests(action):
                        with self.subTest(role=role, request=f"{method} {path}"):
                            status, reply = c.http(method, path, body, key=self.role_key(role))
                            if role in allowed:
                                self.assertTrue(200 <= status < 300, f"{status} {reply}")
                            else:
                                self.assertEqual(status, forbidden, reply)
                                if forbidden == 403:
                                    self.assertIn(f"role {role} cannot",
                                                  reply["error"]["message"])
        finally:
            for job in self._to_cancel:
                c.http("POST", f"/v1/jobs/{job}/cancel")
        self.assertEqual(c.job(self.job_a)["state"], "running")

    def test_submit_only_sees_only_what_its_key_submitted_and_admins_see_all(self):
        c = self.cluster
        job = {"argv": ["true"]}
        status, mine = c.http("POST", "/v1/jobs", job, key=self.key("ci"))
        self.assertEqual(status, 201, mine)
        self.assertEqual((mine["tenant"], mine["user"]), ("a", "ci-user"))
        self.assertEqual(c.http("GET", f"/v1/jobs/{mine['id']}", key=self.key("ci"))[0], 200)
        self.assertEqual(c.http("GET", f"/v1/jobs/{mine['id']}/logs",
                                key=self.key("ci"))[0], 200)
        self.assertEqual(c.http("GET", f"/v1/jobs/{mine['id']}", key=self.key("ci2"))[0], 404)
        status, page = c.http("GET", "/v1/jobs?limit=1000", key=self.key("ci"))
        listed = page["jobs"]
        self.assertIn(mine["id"], [j["id"] for j in listed])
        self.assertEqual({j["user"] for j in listed}, {"ci-user"})  # none of the member's
        status, page = c.http("GET", "/v1/jobs?limit=1000", key=self.key("ci2"))
        self.assertNotIn(mine["id"], [j["id"] for j in page["jobs"]])
        # The member and the viewer of tenant a see it too; tenant b does not.
        self.assertEqual(c.http("GET", f"/v1/jobs/{mine['id']}", key=self.key("viewer"))[0], 200)
        self.assertEqual(c.http("GET", f"/v1/jobs/{mine['id']}", key=self.key("b"))[0], 404)
        # An admin sees every tenant's jobs, and may submit for any tenant.
        status, theirs = c.http("POST", "/v1/jobs", job, key=self.key("b"))
        self.assertEqual(status, 201, theirs)
        status, for_b = c.http("POST", "/v1/jobs", {"argv": ["true"], "tenant": "b"})
        self.assertEqual((status, for_b["tenant"]), (201, "b"))
        status, page = c.http("GET", "/v1/jobs?limit=1000")
        tenants = {j["tenant"] for j in page["jobs"]}
        self.assertLessEqual({"a", "b"}, tenants)
        self.assertEqual(c.http("GET", f"/v1/jobs/{theirs['id']}")[0], 200)
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
        # Any key may revoke itself (at once), no other key of its tenant (404, as unknown).
        status, own = c.http("POST", "/v1/keys", {"tenant": "a", "role": "member"})
        self.assertEqual(status, 201)
        self.assertEqual(c.http("POST", f"/v1/keys/{self.keys['viewer']['prefix']}/revoke",
                                key=own["key"])[0], 404)
        self.assertEqual(c.http("GET", "/v1/jobs", key=self.key("viewer"))[0], 200)
        self.assertEqual(c.http("POST", f"/v1/keys/{own['prefix']}/revoke", key=own["key"])[0],
                         200)
        status, body = c.http("POST", "/v1/jobs", {"argv": ["true"]}, key=own["key"])
        self.assertEqual(status, 401, body)
        self.assertEqual(body["error"]["message"], f"API key {own['prefix']} was revoked")
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
