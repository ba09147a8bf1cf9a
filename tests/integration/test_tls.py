"""TLS: the server serves HTTPS with a given certificate and key; the agent and the CLI verify
it against a CA file (--ca-file / FASTGPU_CA_FILE) and refuse a server they cannot verify."""

import http.server
import os
import re
import ssl
import subprocess
import sys
import threading
import unittest

from harness import (REPO_ROOT, Agent, Cluster, ClusterTestCase, _clean_env, make_tls_files,
                     wait_for)

sys.path.insert(0, os.path.join(REPO_ROOT, "python"))
import fastgpu  # noqa: E402


class TlsTest(ClusterTestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = cls.enterClassContext(Cluster(agents=[Agent("node-a", "2xA100-80GB")],
                                                    tls=True))

    def test_agent_cli_and_api_over_https(self):
        c = self.cluster
        self.assertTrue(c.url.startswith("https://127.0.0.1:"), c.url)
        with open(os.path.join(c.server_dir, "server-url")) as f:
            self.assertEqual(f.read().strip(), c.url)
        # The agent registered over TLS (the cluster waited for it); a job runs end to end.
        r = c.cli("run", "--gpus", "1", "--", "echo", "hello over tls")
        self.assertEqual(r.stdout.strip(), "hello over tls")
        self.assertEqual(c.cli("nodes").returncode, 0)

    def test_python_client_verifies_with_the_ca_file(self):
        c = self.cluster
        client = fastgpu.Client(c.url, c.admin_key, ca_file=c.ca_file)
        self.assertEqual(client.gpus()["summary"]["gpus"], 2)
        with self.assertRaises(Exception) as cm:
            fastgpu.Client(c.url, c.admin_key, ca_file=make_tls_files(c.path("py-ca"))[0]).gpus()
        self.assertIn("CERTIFICATE_VERIFY_FAILED", repr(cm.exception))

    def test_cli_refuses_a_server_it_cannot_verify(self):
        c = self.cluster
        env = {"FASTGPU_CA_FILE": "", "FASTGPU_CONFIG": c.path("no-config.json")}
        r = c.cli("ps", check=False, env=env)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("TLS certificate not trusted", r.stderr)
        self.assertIn("--ca-file", r.stderr)
        other_ca, _, _ = make_tls_files(c.path("other-ca"))  # a CA that did not sign it
        r = c.cli("--ca-file", other_ca, "ps", check=False, env=env)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("TLS certificate not trusted", r.stderr)
        r = c.cli("--ca-file", c.path("no-such-ca.pem"), "ps", check=False, env=env)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("cannot read the CA file", r.stderr)
        r = c.cli("--ca-file", c.ca_file, "ps", env=env)
        self.assertEqual(r.returncode, 0)

    def test_cli_checks_the_name_in_the_certificate(self):
        c = self.cluster
        env = {"FASTGPU_CA_FILE": "", "FASTGPU_CONFIG": c.path("no-config.json")}
        by_name = c.url.replace("127.0.0.1", "localhost")  # the certificate names both
        r = c.cli("--url", by_name, "--ca-file", c.ca_file, "ps", env=env)
        self.assertEqual(r.returncode, 0, r)
        # A server whose certificate, signed by a trusted CA, names another host.
        ca, cert, key = make_tls_files(c.path("elsewhere"), san="DNS:elsewhere.example")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            for host in ("127.0.0.1", "localhost"):
                url = f"https://{host}:{server.server_address[1]}"
                r = c.cli("--url", url, "--ca-file", ca, "ps", check=False, env=env)
                self.assertEqual(r.returncode, 1, r)
                self.assertIn("TLS certificate not trusted", r.stderr)
        finally:
            server.shutdown()
            server.server_close()

    def test_agent_without_the_ca_never_registers(self):
        c = self.cluster
        data = c.path("agent-untrusting")
        os.makedirs(data)
        log = c.path("agent-untrusting.log")
        refused = re.compile(r"register: .*TLS certificate is not trusted "
                             r"\(give its CA with --ca-file\)")
        with open(log, "wb") as out:
            p = subprocess.Popen([c.bin, "agent", "--server", c.url, "--data", data, "--name",
                                  "untrusting", "--join-token", c.join_token, "--simulate",
                                  "1xT4-16GB"], stdout=out, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, env=_clean_env(), cwd=data,
                                 start_new_session=True)
        try:
            # Two refused attempts (however slow the machine): it retried and still refused.
            wait_for(lambda: len(refused.findall(open(log, errors="replace").read())) >= 2,
                     60, "two refused register attempts in the agent's log")
            names = [n["name"] for n in c.http("GET", "/v1/nodes")[1]["nodes"]]
            self.assertNotIn("untrusting", names)
        finally:
            p.kill()
            p.wait(timeout=30)

    def test_server_with_an_unusable_certificate_says_so(self):
        c = self.cluster
        r = subprocess.run([c.bin, "server", "--listen", "127.0.0.1:0", "--data",
                            c.path("bad-server"), "--tls-cert", c.path("nope.pem"),
                            "--tls-key", c.path("nope.key")],
                           capture_output=True, text=True, timeout=30, env=_clean_env())
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("cannot use TLS certificate", r.stderr + r.stdout)
        r = subprocess.run([c.bin, "server", "--listen", "127.0.0.1:0", "--data",
                            c.path("bad-server2"), "--tls-cert", c._cert],
                           capture_output=True, text=True, timeout=30, env=_clean_env())
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("both a certificate and its key", r.stderr + r.stdout)


if __name__ == "__main__":
    unittest.main()
