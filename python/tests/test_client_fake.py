"""Unit tests of the Python client against an in-process fake server (loopback, port 0):
typed errors, request bodies, log follow. The real server is exercised by
tests/integration/test_python_client.py."""

import http.server
import json
import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import fastgpu  # noqa: E402


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    routes = {}  # (method, path) -> (status, body dict | bytes | list of chunks)
    seen = []

    def log_message(self, *args):
        pass

    def _serve(self, method):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.seen.append((method, self.path, self.headers.get("Authorization"), body))
        status, reply = self.routes.get((method, self.path.split("?")[0]),
                                        (404, {"error": {"code": "not_found",
                                                         "message": "no route"}}))
        if isinstance(reply, list):  # chunked pieces
            self.send_response(status)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in reply:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return
        data = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")


class FakeServerTest(unittest.TestCase):
    def setUp(self):
        _Handler.routes = {}
        _Handler.seen = []
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.client = fastgpu.Client(f"http://127.0.0.1:{self.server.server_port}", "fgk_test")

    def tearDown(self):
        self.server.shutdown()
        self.server.server_close()

    def test_submit_sends_bearer_key_and_only_given_fields(self):
        _Handler.routes[("POST", "/v1/jobs")] = (201, {"id": 7, "state": "pending"})
        job = self.client.submit(["echo", "hi"], gpus=0.5, name="x")
        self.assertEqual(job["id"], 7)
        method, path, auth, body = _Handler.seen[0]
        self.assertEqual(auth, "Bearer fgk_test")
        self.assertEqual(json.loads(body),
                         {"argv": ["echo", "hi"], "resources": {"gpus": 0.5}, "name": "x"})
        self.client.submit("echo $HOME")  # a string runs under the shell
        self.assertEqual(json.loads(_Handler.seen[1][3])["argv"], ["/bin/sh", "-c", "echo $HOME"])

    def test_after_sends_texts_and_pairs(self):
        _Handler.routes[("POST", "/v1/jobs")] = (201, {"id": 9, "state": "pending"})
        self.client.submit(["true"], after="ok:7,any:8")
        self.assertEqual(json.loads(_Handler.seen[0][3])["after"], ["ok:7,any:8"])
        self.client.submit(["true"], after=[("any", 3), 4, {"id": 5, "state": "running"},
                                            "ok:6"])
        body = json.loads(_Handler.seen[1][3])
        self.assertEqual(body["dependencies"], [{"kind": "any", "job": 3},
                                                {"kind": "ok", "job": 4},
                                                {"kind": "ok", "job": 5}])
        self.assertEqual(body["after"], ["ok:6"])
        self.client.submit(["true"], after=12)
        self.assertEqual(json.loads(_Handler.seen[2][3])["dependencies"],
                         [{"kind": "ok", "job": 12}])

    def test_errors_are_typed_with_field(self):
        _Handler.routes[("POST", "/v1/jobs")] = (
            400, {"error": {"code": "invalid_argument", "message": "bad gpus",
                            "field": "resources.gpus"}})
        with self.assertRaises(fastgpu.InvalidArgument) as cm:
            self.client.submit(["true"], gpus=1.5)
        self.assertEqual(cm.exception.field, "resources.gpus")
        self.assertEqual(cm.exception.status, 400)
        self.assertEqual(str(cm.exception), "bad gpus (field resources.gpus)")
        _Handler.routes[("POST", "/v1/jobs/3/cancel")] = (
            409, {"error": {"code": "failed_precondition", "message": "ended"}})
        with self.assertRaises(fastgpu.Conflict):
            self.client.cancel(3)
        _Handler.routes[("GET", "/v1/gpus")] = (401, b"no")  # not an error body
        with self.assertRaises(fastgpu.Unauthenticated):
            self.client.gpus()

    def test_usage_404_is_not_supported_and_still_a_not_found(self):
        with self.assertRaises(fastgpu.NotSupported) as cm:
            self.client.usage()
        self.assertIsInstance(cm.exception, fastgpu.NotFound)

    def test_follow_yields_pieces_in_order(self):
        _Handler.routes[("GET", "/v1/jobs/5/logs")] = (200, [b"one\n", b"two\n"])
        self.assertEqual("".join(self.client.logs(5, follow=True)), "one\ntwo\n")
        _Handler.routes[("GET", "/v1/jobs/5/logs")] = (200, b"all\n")
        self.assertEqual(self.client.logs(5), "all\n")

    def test_wait_times_out_with_a_typed_error(self):
        _Handler.routes[("GET", "/v1/jobs/4")] = (200, {"id": 4, "state": "pending"})
        with self.assertRaises(fastgpu.Timeout):
            self.client.wait(4, timeout=0.3, interval=0.05)


class UnreachableTest(unittest.TestCase):
    def test_connection_refused_is_unavailable(self):
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()  # nothing listens there now
        with self.assertRaises(fastgpu.Unavailable):
            fastgpu.Client(f"http://127.0.0.1:{port}", "k").gpus()

    def test_bad_url_names_the_field(self):
        with self.assertRaises(fastgpu.InvalidArgument) as cm:
            fastgpu.Client("ftp://x", "k")
        self.assertEqual(cm.exception.field, "url")


if __name__ == "__main__":
    unittest.main()
