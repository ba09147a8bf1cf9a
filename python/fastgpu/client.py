"""Client: the fastgpu user API (docs/api/protocol.md) over HTTP, standard library only.

One Client may be used from several threads: every call opens its own connection. Calls
block. Replies are plain dicts, as the API documents them (a job object has "id", "state",
"exit_code", ...). Every failure raises a subclass of fastgpu.FastgpuError.
"""

import http.client
import json
import os
import ssl
import time
import urllib.parse

from . import errors

TERMINAL_STATES = ("succeeded", "failed", "cancelled")


def _config_file():
    path = os.environ.get("FASTGPU_CONFIG")
    if path:
        return path
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "fastgpu", "config.json")


def _from_config(url, api_key):
    """Fills what is missing as the CLI does: arguments, then $FASTGPU_URL / $FASTGPU_API_KEY,
    then the config file that `fastgpu up` writes."""
    url = url or os.environ.get("FASTGPU_URL")
    api_key = api_key or os.environ.get("FASTGPU_API_KEY")
    if not url or not api_key:
        try:
            with open(_config_file()) as f:
                conf = json.load(f)
            url = url or conf.get("url")
            api_key = api_key or conf.get("api_key")
        except (OSError, ValueError):
            pass
    if not url or not api_key:
        raise errors.InvalidArgument("no server configured: pass url and api_key, set "
                                     "FASTGPU_URL and FASTGPU_API_KEY, or run `fastgpu up`",
                                     field="url")
    return url, api_key


def _dependencies(after):
    """The submit body's "after" (texts) and "dependencies" (pairs) for Client.submit's after."""
    items = [after] if isinstance(after, (str, int, dict, tuple)) else list(after)
    texts, pairs = [], []
    for item in items:
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, tuple) and len(item) == 2:
            pairs.append({"kind": item[0], "job": item[1]})
        elif isinstance(item, dict) and "id" in item:  # a job as submit() returned it
            pairs.append({"kind": "ok", "job": item["id"]})
        else:  # a job id; anything else the server refuses naming the field
            pairs.append({"kind": "ok", "job": item})
    out = {}
    if texts:
        out["after"] = texts
    if pairs:
        out["dependencies"] = pairs
    return out


class Client:
    """A client of one fastgpu server.

    url: "http://HOST:PORT" (https works too); api_key: "fgk_...". Both default to
    $FASTGPU_URL / $FASTGPU_API_KEY, then the config file of `fastgpu up`.
    timeout: seconds for each request (a followed log waits as long as the job is silent).
    ca_file: for https, the CA file (PEM) the server's certificate must chain to; default
    $FASTGPU_CA_FILE, else the system's CAs. The certificate is always verified.
    """

    def __init__(self, url=None, api_key=None, timeout=30.0, ca_file=None):
        url, api_key = _from_config(url, api_key)
        self.ca_file = ca_file or os.environ.get("FASTGPU_CA_FILE") or None
        if "://" not in url:
            url = "http://" + url
        parts = urllib.parse.urlsplit(url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise errors.InvalidArgument(f"bad server URL {url!r}: use http://HOST:PORT",
                                         field="url")
        self.url = f"{parts.scheme}://{parts.netloc}"
        self._parts = parts
        self._key = api_key
        self.timeout = timeout

    # ---------------------------------------------------------------------------- the pool
    def gpus(self):
        """The pool view: {"gpus": [device...], "summary": {...}} (GET /v1/gpus)."""
        return self._json("GET", "/v1/gpus")

    def nodes(self):
        """Every node: a list of node dicts (GET /v1/nodes)."""
        return self._json("GET", "/v1/nodes")["nodes"]

    # ---------------------------------------------------------------------------- jobs
    def submit(self, command, *, gpus=None, gpu_memory_mib=None, cpus=None, memory_mib=None,
               gpu_models=None, nodes=None, name=None, env=None, workdir=None, priority=None,
               max_retries=None, time_limit_s=None, array=None, after=None):
        """Submits a job and returns it (committed when this returns).

        command: the argv as a list, or a string run by /bin/sh -c. gpus: a whole count (2) or
        a fraction of one GPU (0.25). nodes > 1: a multi-node job, the other resources per node.
        Raises InvalidArgument (with .field) when the server rejects the request, e.g.
        gpus=1.5 or more GPUs than any node has. array="0-99%8": a job array, one job per
        index (at most 8 running at once), each with FASTGPU_ARRAY_INDEX; returns the first.
        after: dependencies (Slurm's afterok / afterany): "ok:12,any:13" as the CLI's --after,
        or a list of such strings, ("ok", 12) pairs, job ids or job objects (a bare id or job
        means ok: start only after it succeeded). The job waits with a reason and a
        "waiting_for" list, and is cancelled ("dependency 12 failed ...") when an ok one fails.
        An unknown job, or another tenant's, raises NotFound with field "dependencies"."""
        argv = ["/bin/sh", "-c", command] if isinstance(command, str) else list(command)
        body = {"argv": argv}
        resources = {k: v for k, v in (("gpus", gpus), ("gpu_memory_mib", gpu_memory_mib),
                                       ("cpus", cpus), ("memory_mib", memory_mib),
                                       ("gpu_models", gpu_models), ("nodes", nodes))
                     if v is not None}
        if resources:
            body["resources"] = resources
        for key, value in (("name", name), ("env", env), ("workdir", workdir),
                           ("priority", priority), ("max_retries", max_retries),
                           ("time_limit_s", time_limit_s), ("array", array)):
            if value is not None:
                body[key] = value
        if after is not None:
            body.update(_dependencies(after))
        return self._json("POST", "/v1/jobs", body)

    def get(self, job_id):
        """The job (GET /v1/jobs/ID). NotFound when there is no such job."""
        return self._json("GET", f"/v1/jobs/{int(job_id)}")

    def jobs(self, state=None):
        """Every job, by ID, following the pages; state: "active", "pending,running", ..."""
        out, after = [], None
        while True:
            query = {"limit": 1000}
            if state:
                query["state"] = state
            if after is not None:
                query["after"] = after
            page = self._json("GET", "/v1/jobs?" + urllib.parse.urlencode(query, safe=","))
            out += page["jobs"]
            if page.get("next") is None or page["next"] == after:
                return out
            after = page["next"]

    def cancel(self, job_id):
        """Cancels the job and returns it. Conflict when it has already ended."""
        return self._json("POST", f"/v1/jobs/{int(job_id)}/cancel")

    def wait(self, job_id, timeout=None, interval=0.2):
        """Blocks until the job has ended and returns it. Raises Timeout after `timeout`
        seconds (None: no limit)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = self.get(job_id)
            if job["state"] in TERMINAL_STATES:
                return job
            if deadline is not None and time.monotonic() >= deadline:
                raise errors.Timeout(f"job {job_id} still {job['state']} after {timeout}s")
            time.sleep(interval)

    def logs(self, job_id, follow=False, stream="stdout", offset=0, raw=False):
        """The job's output. Without follow: everything stored so far, as str (bytes with
        raw=True). With follow=True: an iterator of pieces as they arrive, ending when the job
        has ended and its log is complete; a broken connection is resumed where it stopped."""
        if stream not in ("stdout", "stderr"):
            raise errors.InvalidArgument("stream must be stdout or stderr", field="stream")
        if not follow:
            data = self._request("GET", self._logs_path(job_id, stream, offset, False))[1]
            return data if raw else data.decode("utf-8", "replace")
        return self._follow(job_id, stream, offset, raw)

    def usage(self, start=None, end=None, by="tenant", period=None, tenant=None, csv=False):
        """Metered usage and cost (GET /v1/usage): a dict with "rows" (one per group of `by`,
        any of "tenant", "user", "model", "job", comma-separated or a list; and per `period`,
        "day" or "month"), "total" and "currency"; each row has gpu_seconds, gpu_hours,
        cpu_hours, memory_gib_hours, the costs, and cost_micros (exact). start/end:
        "YYYY-MM-DD" or "YYYY-MM" (UTC; default this month so far). csv=True returns the CSV
        text instead. Raises NotSupported when the server has no usage API."""
        query = {"by": ",".join(by) if isinstance(by, (list, tuple)) else by}
        for name, value in (("from", start), ("to", end), ("period", period),
                            ("tenant", tenant)):
            if value:
                query[name] = value
        if csv:
            query["format"] = "csv"
        path = "/v1/usage?" + urllib.parse.urlencode(query)
        try:
            if csv:
                return self._request("GET", path)[1].decode("utf-8")
            return self._json("GET", path)
        except errors.NotFound as e:
            raise errors.NotSupported(f"this server has no usage API ({e.message})",
                                      status=e.status, field=e.field) from None

    # ---------------------------------------------------------------------------- transport
    @staticmethod
    def _logs_path(job_id, stream, offset, follow):
        return (f"/v1/jobs/{int(job_id)}/logs?stream={stream}&offset={int(offset)}"
                f"&follow={'true' if follow else 'false'}")

    def _connect(self, timeout):
        host, port = self._parts.hostname, self._parts.port
        if self._parts.scheme == "https":
            context = ssl.create_default_context(cafile=self.ca_file)
            return http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
        return http.client.HTTPConnection(host, port, timeout=timeout)

    def _headers(self, body):
        headers = {"Authorization": f"Bearer {self._key}", "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        return headers

    def _request(self, method, path, body=None):
        payload = None if body is None else json.dumps(body).encode()
        conn = self._connect(self.timeout)
        try:
            conn.request(method, path, body=payload, headers=self._headers(body))
            resp = conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as e:
            raise errors.Unavailable(f"cannot reach fastgpu server at {self.url}: {e}") from None
        finally:
            conn.close()
        if not 200 <= resp.status < 300:
            try:
                parsed = json.loads(data)
            except ValueError:
                parsed = data
            raise errors.error_from_reply(resp.status, parsed)
        return resp.status, data

    def _json(self, method, path, body=None):
        data = self._request(method, path, body)[1]
        try:
            return json.loads(data)
        except ValueError:
            raise errors.ServerError(f"unexpected reply from server: not JSON: {data[:100]!r}")

    def _follow(self, job_id, stream, offset, raw):
        failures = 0
        while True:
            conn = self._connect(max(self.timeout, 600))
            try:
                conn.request("GET", self._logs_path(job_id, stream, offset, True),
                             headers=self._headers(None))
                resp = conn.getresponse()
                if not 200 <= resp.status < 300:
                    data = resp.read()
                    try:
                        data = json.loads(data)
                    except ValueError:
                        pass
                    raise errors.error_from_reply(resp.status, data)
                while True:
                    piece = resp.read1(65536)
                    if not piece:
                        return
                    offset += len(piece)
                    failures = 0
                    yield piece if raw else piece.decode("utf-8", "replace")
            except (OSError, http.client.HTTPException) as e:
                failures += 1
                if failures > 20:
                    raise errors.Unavailable(f"log follow of job {job_id} broke: {e}") from None
                time.sleep(0.5)
            finally:
                conn.close()
