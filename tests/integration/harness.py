"""End-to-end test harness: real `fastgpu server` and `fastgpu agent` processes on loopback.

A `Cluster` owns one temporary folder, one server process and N agent processes. It offers the
CLI (`cli`), raw HTTP (`http`), polling with deadlines (`wait_for`), a server restart, and a
teardown that leaves nothing running: every daemon is started in its own session and its process
group is killed, and because this Python process makes itself a child subreaper
(PR_SET_CHILD_SUBREAPER), the job supervisors that the agents detach with setsid are reparented
to it and are killed as well. Standard library only.

The cluster's folder is made under /var/tmp (or $FASTGPU_TEST_TMPDIR), not /tmp: jobs run as
unprivileged per-tenant users with a private /tmp of their own, so the files a test shares with
its jobs (sentinels, pid files) must lie outside /tmp, in a folder they may write (mode 1777).
The server's and the agents' own folders inside it are private to them. At teardown the
cgroups of the agents' jobs are removed too (a SIGKILLed supervisor leaves its group behind).

The binary is `$FASTGPU_BIN` (CTest sets it) or `build/src/main/fastgpu` of the source tree.
Set FASTGPU_KEEP_TMP=1 to keep the temporary folder of each cluster for inspection.
"""

import ctypes
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_DEFAULT_KEY = object()  # sentinel: "use the admin key" in Cluster.http
TERMINAL_STATES = ("succeeded", "failed", "cancelled")


def fastgpu_binary():
    explicit = os.environ.get("FASTGPU_BIN")
    path = explicit or os.path.join(REPO_ROOT, "build", "src", "main", "fastgpu")
    if not os.access(path, os.X_OK):
        if explicit:  # CTest named it: a missing binary is a failure, not a skip
            raise AssertionError(f"FASTGPU_BIN={path} is not an executable (build `fastgpu`)")
        raise unittest.SkipTest(f"fastgpu binary not found at {path} (set FASTGPU_BIN)")
    return path


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _become_subreaper():
    """Orphaned descendants (setsid'd supervisors, jobs) get reparented to us, so we can kill
    them at teardown. Best effort: only Linux has it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_CHILD_SUBREAPER = 36
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _read_proc_stat(pid):
    """(state, ppid, pgid) of pid, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read().decode("ascii", "replace")
    except OSError:
        return None
    # comm may contain spaces and parentheses: split after the last ')'.
    rest = data[data.rfind(")") + 2:].split()
    return rest[0], int(rest[1]), int(rest[2])


def _all_pids():
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def _descendants(root):
    children = {}
    for pid in _all_pids():
        st = _read_proc_stat(pid)
        if st is not None:
            children.setdefault(st[1], []).append(pid)
    out, stack = [], [root]
    while stack:
        for c in children.get(stack.pop(), []):
            out.append(c)
            stack.append(c)
    return out


def _pids_mentioning(path):
    """Processes whose command line names `path` or whose working directory lies under it."""
    pids = []
    for pid in _all_pids():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read()
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        if path.encode() in cmdline or cwd.startswith(path):
            pids.append(pid)
    return pids


def pid_alive(pid):
    """True while pid is a live (non-zombie) process. A zombie that is our own child (an orphan
    reparented to this subreaper) is reaped and counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    st = _read_proc_stat(pid)
    if st is None:
        return False
    if st[0] == "Z":
        if st[1] == os.getpid():
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
        return False
    return True


def wait_for(predicate, timeout=10.0, what="condition", interval=0.05):
    """Polls predicate every `interval` s until it returns a truthy value, which is returned.
    Exceptions raised by predicate count as "not yet" and are shown on timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            value = predicate()
            if value:
                return value
            last = value
        except Exception as e:  # noqa: BLE001 - shown in the failure message
            last = e
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what}; last: {last!r}")
        time.sleep(interval)


def _tail(path, limit=6000):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        return f"<cannot read {path}: {e}>"
    text = data.decode("utf-8", "replace")
    if len(text) > limit:
        text = "...\n" + text[-limit:]
    return text


class Agent:
    """One agent. wrapper: a command prefix (e.g. `ip netns exec NS`); server_url: the URL it
    uses to reach the server, "{port}" standing for the server's port (default: the
    cluster's URL)."""

    def __init__(self, name, simulate="10xA100-80GB", env=None, kill_grace_ms=None, extra_args=(),
                 wrapper=(), server_url=None):
        self.name = name
        self.simulate = simulate
        self.env = dict(env or {})
        self.kill_grace_ms = kill_grace_ms
        self.extra_args = list(extra_args)
        self.wrapper = list(wrapper)
        self.server_url = server_url
        self.proc = None
        self.data_dir = None
        self.log_out = None
        self.log_err = None


class Cluster:
    """One server + agents on loopback. Use as a context manager."""

    def __init__(self, agents=None, join_token=None, node_grace_ms=None, server_args=(),
                 tls=False, server_env=None, listen_host="127.0.0.1", server_dir_hook=None):
        self.bin = fastgpu_binary()
        self.server_env = dict(server_env or {})  # e.g. FASTGPU_PG_PASSWORD
        self.listen_host = listen_host
        self.server_dir_hook = server_dir_hook  # called with the server's data folder, empty
        self.agents = list(agents) if agents is not None else [Agent("node-a")]
        self.fixed_join_token = join_token
        self.node_grace_ms = node_grace_ms
        self.server_args = list(server_args)
        self.tmp = None
        self.server = None
        self.server_starts = 0
        self.port = None
        self.url = None
        self.tls = tls  # serve HTTPS with a CA and certificate made by make_tls_files()
        self.ca_file = None
        self.admin_key = None
        self.join_token = None
        self._popen_pids = set()
        self._background = []
        self._closed = False
        self._log_files = []  # (label, path)
        self.saved_logs = None
        self._logs_dumped = False

    # ----------------------------------------------------------------------------- lifecycle
    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.dump_logs("cluster start failed")
            self.close()
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and not issubclass(exc_type, unittest.SkipTest):
            self.dump_logs(f"{exc_type.__name__}: {exc}")
        self.close()
        return False

    def start(self):
        _become_subreaper()
        base = os.environ.get("FASTGPU_TEST_TMPDIR") or "/var/tmp"
        self.tmp = tempfile.mkdtemp(prefix="fg-int-", dir=base if os.path.isdir(base) else None)
        os.chmod(self.tmp, 0o1777)  # the jobs' users write their pid and sentinel files here
        self.server_dir = os.path.join(self.tmp, "server")
        os.makedirs(self.server_dir)
        if self.server_dir_hook is not None:
            self.server_dir_hook(self.server_dir)
        for attempt in range(3):
            self.port = free_port()
            if self._start_server(startup_timeout=15.0, allow_port_race=(attempt < 2)):
                break
        self._read_server_files()
        for agent in self.agents:
            self.start_agent(agent)
        if self.agents:
            self.wait_nodes_ready([a.name for a in self.agents])

    def path(self, *parts):
        """A path inside this cluster's temporary folder (for sentinel and pid files)."""
        return os.path.join(self.tmp, *parts)

    def _tls_args(self):
        if not self.tls:
            return []
        if self.ca_file is None:
            files = make_tls_files(os.path.join(self.tmp, "tls"))
            self.ca_file, self._cert, self._key = files
        return ["--tls-cert", self._cert, "--tls-key", self._key]

    def _server_cmd(self):
        cmd = [self.bin, "server", "--listen", f"{self.listen_host}:{self.port}", "--data",
               self.server_dir]
        if self.fixed_join_token:
            cmd += ["--join-token", self.fixed_join_token]
        if self.node_grace_ms is not None:
            cmd += ["--node-grace-ms", str(self.node_grace_ms)]
            if "--heartbeat-ms" not in self.server_args:  # several heartbeats per grace period
                cmd += ["--heartbeat-ms", str(max(100, min(2000, self.node_grace_ms // 4)))]
        return cmd + self._tls_args() + self.server_args

    def _start_server(self, startup_timeout, allow_port_race=False):
        """Starts the server and waits for /healthz. Returns False only when the server exited
        early and allow_port_race is set (the free port was taken meanwhile)."""
        self.server_starts += 1
        n = self.server_starts
        out = os.path.join(self.tmp, f"server-{n}.stdout")
        err = os.path.join(self.tmp, f"server-{n}.stderr")
        self._log_files += [(f"server#{n} stdout", out), (f"server#{n} stderr", err)]
        env = _clean_env()
        env.update(self.server_env)
        with open(out, "wb") as fo, open(err, "wb") as fe:
            self.server = subprocess.Popen(self._server_cmd(), stdout=fo, stderr=fe,
                                           stdin=subprocess.DEVNULL, env=env,
                                           start_new_session=True)
        self._popen_pids.add(self.server.pid)
        self.url = f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"
        deadline = time.monotonic() + startup_timeout
        last = None
        while time.monotonic() < deadline:
            rc = self.server.poll()
            if rc is not None:
                if allow_port_race:
                    return False
                raise AssertionError(f"fastgpu server exited with {rc} during startup:\n"
                                     f"{_tail(err)}\n{_tail(out)}")
            try:
                status, body = self.http("GET", "/healthz", key=None, timeout=2)
                if status == 200:
                    return True
                last = (status, body)
            except OSError as e:
                last = e
            time.sleep(0.05)
        raise AssertionError(f"fastgpu server not healthy on {self.url} after {startup_timeout}s; "
                             f"last: {last!r}\n{_tail(err)}")

    def _read_server_files(self):
        def read(name):
            # The server writes server-url just after its listener starts, so /healthz may
            # answer a moment before the file exists: allow it a short while.
            p = os.path.join(self.server_dir, name)
            wait_for(lambda: os.path.exists(p) and os.path.getsize(p) > 0, 5.0,
                     f"the server to write {p}")
            with open(p) as f:
                return f.read().strip()

        self.admin_key = read("admin-key")
        self.join_token = read("join-token")
        server_url = read("server-url")
        if server_url.rstrip("/") != self.url:
            raise AssertionError(f"server-url file says {server_url!r}, expected {self.url!r}")
        for name in ("admin-key", "join-token"):
            mode = os.stat(os.path.join(self.server_dir, name)).st_mode & 0o777
            if mode != 0o600:
                raise AssertionError(f"{name} has mode {oct(mode)}, expected 0o600")

    def start_agent(self, agent):
        if agent.data_dir is None:
            agent.data_dir = os.path.join(self.tmp, "agent-" + agent.name)
            os.makedirs(agent.data_dir, exist_ok=True)
        n = sum(1 for label, _ in self._log_files if label.startswith(f"agent {agent.name}#")) // 2 + 1
        agent.log_out = os.path.join(self.tmp, f"agent-{agent.name}-{n}.stdout")
        agent.log_err = os.path.join(self.tmp, f"agent-{agent.name}-{n}.stderr")
        self._log_files += [(f"agent {agent.name}#{n} stdout", agent.log_out),
                            (f"agent {agent.name}#{n} stderr", agent.log_err)]
        server_url = (agent.server_url or self.url).format(port=self.port)
        cmd = agent.wrapper + [self.bin, "agent", "--server", server_url, "--data", agent.data_dir,
                               *(["--ca-file", self.ca_file] if self.tls else []),
                               "--name", agent.name]
        if agent.simulate:
            cmd += ["--simulate", agent.simulate]
        if agent.kill_grace_ms is not None:
            cmd += ["--kill-grace-ms", str(agent.kill_grace_ms)]
        cmd += agent.extra_args
        env = _clean_env()
        env["FASTGPU_JOIN_TOKEN"] = self.join_token  # not on the command line: jobs see that
        env.update(agent.env)
        with open(agent.log_out, "wb") as fo, open(agent.log_err, "wb") as fe:
            agent.proc = subprocess.Popen(cmd, stdout=fo, stderr=fe, stdin=subprocess.DEVNULL,
                                          env=env, cwd=agent.data_dir, start_new_session=True)
        self._popen_pids.add(agent.proc.pid)

    def wait_nodes_ready(self, names, timeout=15.0):
        def ready():
            for agent in self.agents:
                if agent.proc is not None and agent.proc.poll() is not None:
                    raise AssertionError(f"agent {agent.name} exited with {agent.proc.returncode}:\n"
                                         f"{_tail(agent.log_err)}")
            status, body = self.http("GET", "/v1/nodes")
            if status != 200:
                return None
            states = {n.get("name"): n.get("state") for n in body.get("nodes", [])}
            return all(states.get(n) == "ready" for n in names) and states

        return wait_for(ready, timeout, f"nodes {names} to be ready")

    def stop_server(self, sig=signal.SIGKILL, timeout=10.0):
        if self.server is None:
            return
        _kill_group(self.server, sig)
        try:
            self.server.wait(timeout)
        except subprocess.TimeoutExpired:
            _kill_group(self.server, signal.SIGKILL)
            self.server.wait(5)

    def restart_server(self, sig=signal.SIGKILL, down_hook=None):
        """Stops the server (SIGKILL by default, or SIGTERM) and starts it again on the same port
        and data folder. down_hook, when given, runs while the server is down."""
        self.stop_server(sig)
        if down_hook is not None:
            down_hook()
        deadline = time.monotonic() + 15.0
        while True:  # the port may stay busy for a moment
            if self._start_server(startup_timeout=15.0, allow_port_race=True):
                break
            if time.monotonic() > deadline:
                raise AssertionError("server could not start again on port "
                                     f"{self.port}:\n{self.logs_text()}")
            time.sleep(0.2)
        with open(os.path.join(self.server_dir, "admin-key")) as f:
            if f.read().strip() != self.admin_key:
                raise AssertionError("admin-key changed across a server restart")

    def kill_node(self, agent):
        """The node dies: SIGKILL to its agent and to every supervisor and job of that agent
        (the processes whose command line or working directory is in its data folder)."""
        _kill_group(agent.proc, signal.SIGKILL)
        _wait_quietly(agent.proc)
        for _ in range(5):
            live = [p for p in _pids_mentioning(agent.data_dir)
                    if (_read_proc_stat(p) or ("Z",))[0] != "Z"]
            for pid in live:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            self._reap_orphans()
            if not live:
                return
            time.sleep(0.05)

    def stop_agent(self, agent, sig=signal.SIGTERM, timeout=10.0):
        if agent.proc is None:
            return
        _kill_group(agent.proc, sig)
        try:
            agent.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            _kill_group(agent.proc, signal.SIGKILL)
            agent.proc.wait(5)

    def close(self):
        if self._closed:
            return
        self._closed = True
        for p in self._background:
            _kill_group(p, signal.SIGKILL)
            _wait_quietly(p)
        for agent in self.agents:
            if agent.proc is not None:
                _kill_group(agent.proc, signal.SIGTERM)
        for agent in self.agents:
            if agent.proc is not None and not _wait_quietly(agent.proc, 3.0):
                _kill_group(agent.proc, signal.SIGKILL)
                _wait_quietly(agent.proc)
        if self.server is not None:
            _kill_group(self.server, signal.SIGKILL)
            _wait_quietly(self.server)
        self._kill_leftovers()
        self._remove_job_cgroups()
        self.saved_logs = self.logs_text()
        if self.tmp and not os.environ.get("FASTGPU_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)
        elif self.tmp:
            sys.stderr.write(f"[harness] kept {self.tmp}\n")

    def _kill_leftovers(self):
        """Kills every process left under us (orphaned supervisors and jobs reparented to this
        subreaper) and every process whose command line or cwd mentions our temp folder."""
        me, my_pgid = os.getpid(), os.getpgid(0)
        for _ in range(5):
            victims = set(_descendants(me))
            if self.tmp:
                victims.update(p for p in _pids_mentioning(self.tmp) if p != me)
            live = [p for p in victims if (_read_proc_stat(p) or ("Z",))[0] != "Z"]
            for pid in live:
                try:
                    pgid = os.getpgid(pid)
                    if pgid != my_pgid and pgid > 1:
                        os.killpg(pgid, signal.SIGKILL)
                except OSError:
                    pass
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            self._reap_orphans()
            if not live:
                break
            time.sleep(0.05)
        self._reap_orphans()

    def _remove_job_cgroups(self):
        """Removes the cgroup folders of the agents' jobs (named in DATA/cgroup), which a
        SIGKILLed supervisor cannot remove itself, in every hierarchy, deepest first."""
        parents = []
        for agent in self.agents:
            try:
                with open(os.path.join(agent.data_dir or "", "cgroup")) as f:
                    parents.append(f.read().strip())
            except OSError:
                pass
        if not parents:
            return
        try:
            with open("/proc/self/cgroup") as f:
                own = {line.rstrip("\n").split(":", 2)[2] for line in f if line.count(":") >= 2}
        except OSError:
            return
        roots = [os.path.join("/sys/fs/cgroup", d) for d in os.listdir("/sys/fs/cgroup")]
        for parent in parents:
            for root in roots:
                for path in own:
                    top = os.path.join(root + path, parent)
                    if os.path.isdir(top):
                        _rmdir_tree(top)

    def _reap_orphans(self):
        me = os.getpid()
        for pid in _all_pids():
            st = _read_proc_stat(pid)
            if st and st[0] == "Z" and st[1] == me and pid not in self._popen_pids:
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass

    # ------------------------------------------------------------------------------ logs
    def logs_text(self):
        if self.saved_logs is not None:
            return self.saved_logs
        parts = []
        for label, path in self._log_files:
            parts.append(f"----- {label} ({path}) -----\n{_tail(path)}")
        return "\n".join(parts)

    def dump_logs(self, why=""):
        if self._logs_dumped:
            return
        self._logs_dumped = True
        text = []
        if self.server is not None and self.server.poll() is None and not self._closed:
            try:
                status, body = self.http("GET", "/v1/jobs?limit=1000", timeout=2)
                jobs = body.get("jobs", []) if isinstance(body, dict) else body
                text.append("----- jobs at failure -----")
                for j in jobs:
                    text.append(f"  job {j.get('id')}: {j.get('state')} node={j.get('node')} "
                                f"reason={j.get('reason')!r} exit={j.get('exit_code')} "
                                f"signal={j.get('signal')} argv={j.get('argv')}")
            except Exception as e:  # noqa: BLE001
                text.append(f"(could not list jobs: {e!r})")
        sys.stderr.write(f"\n===== fastgpu cluster logs ({why}) =====\n" + "\n".join(text) + "\n"
                         + self.logs_text() + "\n===== end of cluster logs =====\n")
        sys.stderr.flush()

    # ----------------------------------------------------------------------------- clients
    def client_env(self, extra=None):
        env = _clean_env()
        env["FASTGPU_URL"] = self.url
        env["FASTGPU_API_KEY"] = self.admin_key
        if self.tls:
            env["FASTGPU_CA_FILE"] = self.ca_file
        if extra:
            env.update(extra)
        return env

    def cli(self, *args, check=True, timeout=30.0, env=None, input=None):
        """Runs `fastgpu ARGS...` with FASTGPU_URL/FASTGPU_API_KEY set. Returns the
        CompletedProcess (text). check=True fails the test on a non-zero exit."""
        cmd = [self.bin] + [str(a) for a in args]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                               env=self.client_env(env), input=input,
                               stdin=None if input is not None else subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            raise AssertionError(f"`fastgpu {' '.join(cmd[1:])}` did not finish in {timeout}s; "
                                 f"stdout={_s(e.stdout)!r} stderr={_s(e.stderr)!r}") from None
        if check and r.returncode != 0:
            raise AssertionError(f"`fastgpu {' '.join(cmd[1:])}` exited {r.returncode}; "
                                 f"stdout={r.stdout!r} stderr={r.stderr!r}")
        return r

    def cli_popen(self, *args, env=None):
        """Starts `fastgpu ARGS...` in the background (stdout/stderr pipes, binary); it is killed
        at teardown if still running."""
        p = subprocess.Popen([self.bin] + [str(a) for a in args], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                             env=self.client_env(env), start_new_session=True)
        self._popen_pids.add(p.pid)
        self._background.append(p)
        return p

    def http(self, method, path, body=None, key=_DEFAULT_KEY, raw=False, headers=None,
             timeout=10.0):
        """One HTTP request. body: dict/list (sent as JSON), bytes or str (sent as is).
        key: the Bearer token (default: the admin key; None: no Authorization header).
        Returns (status, parsed JSON) or (status, bytes) when raw or the body is not JSON."""
        status, _, data = self.http_full(method, path, body, key, headers, timeout)
        if raw:
            return status, data
        try:
            return status, json.loads(data) if data else None
        except ValueError:
            return status, data

    def http_full(self, method, path, body=None, key=_DEFAULT_KEY, headers=None, timeout=10.0):
        """Like http() but returns (status, headers dict lower-cased, bytes)."""
        hdrs = {}
        if key is _DEFAULT_KEY:
            key = self.admin_key
        if key is not None:
            hdrs["Authorization"] = f"Bearer {key}"
        payload = None
        if body is not None:
            if isinstance(body, (dict, list)):
                payload = json.dumps(body).encode()
                hdrs["Content-Type"] = "application/json"
            elif isinstance(body, str):
                payload = body.encode()
                hdrs["Content-Type"] = "application/json"
            else:
                payload = bytes(body)
                hdrs.setdefault("Content-Type", "application/json")
        if headers:
            hdrs.update(headers)
        if self.tls:
            context = ssl.create_default_context(cafile=self.ca_file)
            conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                               context=context)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            send_error = None
            try:
                conn.request(method, path, body=payload, headers=hdrs)
            except (BrokenPipeError, ConnectionResetError) as e:
                send_error = e  # the server may answer (413) before reading the whole body
            try:
                resp = conn.getresponse()
            except (http.client.HTTPException, OSError) as e:
                if send_error is not None:
                    raise ConnectionError(f"{method} {path}: connection broken while sending "
                                          f"({send_error!r}) and no response ({e!r})") from None
                raise
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()

    # --------------------------------------------------------------------------- job helpers
    def submit(self, *argv, gpus=None, args=()):
        """`fastgpu run --detach [--gpus G] ARGS -- ARGV`; returns the job id (int)."""
        cmd = ["run", "--detach"]
        if gpus is not None:
            cmd += ["--gpus", str(gpus)]
        cmd += list(args) + ["--"] + list(argv)
        r = self.cli(*cmd)
        m = re.search(r"\d+", r.stdout)
        if not m:
            raise AssertionError(f"`fastgpu run --detach` printed no job id: {r.stdout!r}")
        return int(m.group(0))

    def job(self, job_id):
        status, body = self.http("GET", f"/v1/jobs/{job_id}")
        if status != 200:
            raise AssertionError(f"GET /v1/jobs/{job_id} -> {status} {body!r}")
        return body

    def wait_state(self, job_id, states, timeout=15.0):
        if isinstance(states, str):
            states = (states,)
        last = {}

        def check():
            j = self.job(job_id)
            last["job"] = j
            if j["state"] in states:
                return j
            if j["state"] in TERMINAL_STATES:
                raise _Unreachable(f"job {job_id} ended {j['state']} (want {states}): {j}")
            return None

        deadline = time.monotonic() + timeout
        while True:
            try:
                j = check()
                if j:
                    return j
            except _Unreachable as e:
                raise AssertionError(str(e)) from None
            if time.monotonic() >= deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for job {job_id} to be "
                                     f"{'/'.join(states)}; last: {last.get('job')}")
            time.sleep(0.05)

    def list_jobs(self, query=""):
        """Every job (following `next`) matching the query string, e.g. "state=pending"."""
        jobs, after = [], None
        for _ in range(1000):
            q = query + (f"&after={after}" if after is not None else "")
            status, body = self.http("GET", "/v1/jobs?" + q.lstrip("&"))
            if status != 200:
                raise AssertionError(f"GET /v1/jobs?{q} -> {status} {body!r}")
            jobs += body["jobs"]
            after = body.get("next")
            if after is None:
                return jobs
        raise AssertionError("job list pagination does not end")

    def gpus(self):
        status, body = self.http("GET", "/v1/gpus")
        if status != 200:
            raise AssertionError(f"GET /v1/gpus -> {status} {body!r}")
        return body


class _Unreachable(Exception):
    pass


def _s(b):
    if b is None:
        return ""
    return b.decode("utf-8", "replace") if isinstance(b, bytes) else b


def _clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("FASTGPU_")}
    env.pop("CUDA_VISIBLE_DEVICES", None)
    return env


def _rmdir_tree(top):
    """rmdir of a cgroup folder and the groups below it (cgroup folders hold only kernel files,
    which rmdir takes along); a group still holding processes is retried for a moment."""
    for _ in range(50):
        for dirpath, dirnames, _files in os.walk(top, topdown=False):
            try:
                os.rmdir(dirpath)
            except OSError:
                pass
        if not os.path.isdir(top):
            return
        time.sleep(0.02)


def _kill_group(proc, sig):
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except OSError:
        try:
            proc.send_signal(sig)
        except OSError:
            pass


def _wait_quietly(proc, timeout=5.0):
    try:
        proc.wait(timeout)
        return True
    except subprocess.TimeoutExpired:
        return False


def make_tls_files(folder, san="IP:127.0.0.1,DNS:localhost"):
    """A CA and a server certificate for `san` (by default 127.0.0.1 and localhost) signed by
    it, made now by the openssl command (scripts/install-deps.sh): returns (ca.pem, server.pem,
    server.key)."""
    os.makedirs(folder, exist_ok=True)
    ca_key, ca, key, csr, cert = (os.path.join(folder, n) for n in
                                  ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem"))
    ext = os.path.join(folder, "san.ext")
    with open(ext, "w") as f:
        f.write(f"subjectAltName={san}\n")

    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=30)

    # P-256 keys: made in milliseconds even on a loaded machine (RSA keys take far longer).
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    openssl("req", "-x509", *ec, "-keyout", ca_key, "-out", ca,
            "-days", "2", "-subj", "/CN=fastgpu test CA")
    openssl("req", *ec, "-keyout", key, "-out", csr,
            "-subj", "/CN=127.0.0.1")
    openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
            "-out", cert, "-days", "2", "-extfile", ext)
    return ca, cert, key


def touch(path):
    with open(path, "w"):
        pass


def read_pid_file(path, timeout=10.0):
    def read():
        with open(path) as f:
            text = f.read().strip()
        return int(text) if text.isdigit() else None

    return wait_for(read, timeout, f"pid file {path}")


def save_sample(name, text):
    """Writes one output sample to $FASTGPU_SAMPLES_DIR/name when that is set (`make samples`
    sets docs/samples/, which the README quotes: tests/docs/test_readme.py)."""
    folder = os.environ.get("FASTGPU_SAMPLES_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
            f.write(text.rstrip("\n") + "\n")  # a terminal's empty bottom rows dropped


def json_of(completed):
    """The JSON that a CLI command printed on stdout."""
    try:
        return json.loads(completed.stdout)
    except ValueError as e:
        raise AssertionError(f"not JSON ({e}): {completed.stdout!r}") from None


def ids_in_table(text):
    """Job ids of a `fastgpu ps` table: the first column of every line that starts with a
    number."""
    ids = []
    for line in text.splitlines():
        tok = line.split()
        if tok and tok[0].isdigit():
            ids.append(int(tok[0]))
    return ids


class ClusterTestCase(unittest.TestCase):
    """Base class: on a failing test, prints the logs of `self.cluster` (or the class's)."""

    cluster = None

    def run(self, result=None):
        if result is None:
            return super().run(result)
        before = len(result.failures) + len(result.errors)
        out = super().run(result)
        if len(result.failures) + len(result.errors) > before:
            c = getattr(self, "cluster", None)
            if c is not None:
                c.dump_logs(self.id())
                c._logs_dumped = False  # a later failing test of a shared cluster shows them too
        return out


class ReaderThread(threading.Thread):
    """Reads a pipe line by line into a list (with arrival times) in the background."""

    def __init__(self, pipe):
        super().__init__(daemon=True)
        self.pipe = pipe
        self.lines = []  # (monotonic time, bytes)
        self.cond = threading.Condition()

    def run(self):
        for line in iter(self.pipe.readline, b""):
            with self.cond:
                self.lines.append((time.monotonic(), line))
                self.cond.notify_all()

    def wait_lines(self, n, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.lines) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
        return True

    def text(self):
        with self.cond:
            return b"".join(l for _, l in self.lines).decode("utf-8", "replace")
