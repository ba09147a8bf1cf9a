"""The two systems under test, behind one small interface (see vs_slurm.py).

Each `start()`s from nothing in its own folder under the work folder and `stop()`s leaving no
process behind: this process is a child subreaper, so job helpers that detach (Slurm's
slurmstepd, fastgpu's setsid supervisors) are reparented to it and killed by session.
"""

import concurrent.futures as cf
import ctypes
import http.client
import json
import os
import signal
import socket
import subprocess
import time

GPUS = 8
SLURM_PORTS = (16817, 16818)

# Slurm's high-throughput guide (slurm.schedmd.com/high_throughput.html): no scheduling at
# submit time (defer), a short minimum between scheduling passes, a deeper queue per pass,
# throttled RPCs, finished jobs purged sooner, quiet logs.
SLURM_HTC = """\
SchedulerParameters=defer,sched_min_interval=2000,default_queue_depth=1000,max_rpc_cnt=150,batch_sched_delay=1
MinJobAge=5
MessageTimeout=30
SlurmctldDebug=error
SlurmdDebug=error
"""


def _become_subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


_become_subreaper()


def rss_kib(pids, field="Pss:"):
    """Proportional set size (KiB) of these processes together: shared pages (the binary, the
    libraries) count once across them, so N helpers of one binary are not counted N times.
    field="Pss_Anon:": their anonymous memory only (heap, stacks: not code mapped from files)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith(field):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def pids_named(name, arg=None):
    """Processes called `name`; with `arg`, only those with it in their command line (other
    fastgpu processes on the machine are not this benchmark's)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as f:
                    if f.read().strip() != name:
                        continue
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    argv = f.read().decode(errors="replace").split("\0")
            except OSError:
                continue
            if arg is None or any(arg in a for a in argv):
                out.append(int(entry))
    return out


def kill_orphans():
    """Kills every session led by a process reparented to us (detached job helpers)."""
    me = os.getpid()
    sessions, stats = set(), {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry)] = (int(fields[1]), int(fields[3]))  # ppid, session
    for pid, (ppid, _) in stats.items():
        if ppid == me:
            sessions.add(stats[pid][1])
    for pid, (_, sid) in stats.items():
        if sid in sessions and sid != os.getsid(0):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    time.sleep(0.1)
    reap()


def reap():
    """Collects exited children: the daemons that detached were reparented to us."""
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG) == (0, 0):
                return
        except ChildProcessError:
            return


def alive(pid):
    reap()
    return os.path.exists(f"/proc/{pid}")


def wait_until(pred, timeout_s, what):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.01)
    raise TimeoutError(f"{what} within {timeout_s}s")


class Slurm:
    """slurmctld + slurmd + munged on loopback, 8 gres GPUs on placeholder device files."""

    def __init__(self, work, tag, htc):
        self.tag, self.htc = tag, htc
        self.dir = os.path.join(work, tag)
        self.env = dict(os.environ, SLURM_CONF=os.path.join(self.dir, "slurm.conf"))
        self.procs = []

    def _write_config(self):
        d = self.dir
        host = socket.gethostname().split(".")[0]
        conf = f"""\
ClusterName=fgbench
SlurmctldHost={host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={d}/run/munge.sock
SlurmctldPort={SLURM_PORTS[0]}
SlurmdPort={SLURM_PORTS[1]}
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldPidFile={d}/run/slurmctld.pid
SlurmdPidFile={d}/run/slurmd.pid
SlurmctldLogFile={d}/log/slurmctld.log
SlurmdLogFile={d}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
GresTypes=gpu
SlurmdParameters=config_overrides
ReturnToService=2
MaxJobCount=50000
NodeName={host} NodeAddr=127.0.0.1 CPUs=16 Gres=gpu:{GPUS} State=UNKNOWN
PartitionName=gpu Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""
        if self.htc:
            conf += SLURM_HTC
        with open(os.path.join(d, "slurm.conf"), "w") as f:
            f.write(conf)
        with open(os.path.join(d, "gres.conf"), "w") as f:
            f.write(f"Name=gpu File={d}/dev/nvidia[0-{GPUS - 1}]\n")

    def start(self):
        d = self.dir
        # Each start begins from empty state and spool folders: steps left by the last run's
        # cancelled jobs would otherwise keep the node "completing" after a restart.
        # Moved aside, not removed: 10,000 jobs' scripts take minutes to delete on a busy disk
        # (the work folder goes at the end).
        for sub in ("state", "spool", "run"):
            if os.path.exists(os.path.join(d, sub)):
                os.rename(os.path.join(d, sub), os.path.join(d, f"{sub}.old-{time.time_ns()}"))
        for sub in ("state", "spool", "log", "run", "dev"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        for i in range(GPUS):
            node = os.path.join(d, "dev", f"nvidia{i}")
            if not os.path.exists(node):
                os.mknod(node, 0o666 | 0o020000, os.makedev(195, i))
        key = os.path.join(d, "munge.key")
        with open(key, "wb") as f:
            f.write(os.urandom(1024))
        os.chmod(key, 0o600)
        subprocess.run(["munged", f"--key-file={key}", f"--socket={d}/run/munge.sock",
                        f"--pid-file={d}/run/munged.pid", f"--log-file={d}/log/munged.log",
                        f"--seed-file={d}/run/munge.seed", "--force"], check=True)
        self._write_config()
        conf = self.env["SLURM_CONF"]
        subprocess.run(["slurmctld", "-f", conf, "-i", "-c"], check=True, env=self.env)
        subprocess.run(["slurmd", "-f", conf], check=True, env=self.env)
        try:
            wait_until(lambda: "idle" in self._out(["sinfo", "-h", "-o", "%T"]), 120,
                       "Slurm's node did not become idle")
        except TimeoutError as e:
            raise TimeoutError(f"{e}; sinfo says: {self._out(['sinfo', '-N', '-l'])}") from e

    def _pid(self, name):
        try:
            with open(os.path.join(self.dir, "run", f"{name}.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def _out(self, argv):
        return subprocess.run(argv, env=self.env, capture_output=True, text=True).stdout

    def stop(self, cancel=True):
        if self._pid("slurmctld") is None:
            return
        if cancel:
            subprocess.run(["scancel", "-u", "root"], env=self.env, capture_output=True,
                           timeout=120)
        for name in ("slurmd", "slurmctld", "munged"):
            pid = self._pid(name)
            if pid:
                try:
                    os.kill(pid, signal.SIGTERM)
                except OSError:
                    pass
                wait_until(lambda p=pid: not alive(p), 30,
                           f"{name} did not stop")
            try:
                os.unlink(os.path.join(self.dir, "run", f"{name}.pid"))
            except OSError:
                pass
        kill_orphans()

    def run_trivial(self):
        subprocess.run(["srun", "-Q", "--gres=gpu:1", "true"], env=self.env, check=True)

    def submit(self, cmd):
        subprocess.run(["sbatch", "-Q", "--gres=gpu:1", "-o", "/dev/null", f"--wrap={cmd}"],
                       env=self.env, check=True, stdout=subprocess.DEVNULL)

    def submit_many(self, cmd, n):
        with cf.ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda _: self.submit(cmd), range(n)))

    def _count(self, *extra):
        return len(self._out(["squeue", "-h", "-o", "%i", *extra]).split())

    def wait_idle(self, timeout_s=600):
        wait_until(lambda: self._count() == 0, timeout_s, "Slurm's queue did not empty")

    def wait_running(self, k):
        wait_until(lambda: self._count("-t", "R") >= k, 120, f"{k} Slurm jobs not running")

    def wait_queued(self, n):
        wait_until(lambda: self._count() >= n, 600, f"{n} Slurm jobs not queued")

    def cancel_all(self):
        # Cancelling 10,000 jobs through scancel times out on a loaded machine. Stopping the
        # daemons ends every job (the steps die with them) and the next start is from empty
        # state.
        self.stop(cancel=False)

    def rss_kib(self, field="Pss:"):
        daemons = (self._pid(n) for n in ("slurmctld", "slurmd", "munged"))
        return rss_kib([p for p in daemons if p], field)

    def helpers_rss_kib(self):
        return rss_kib(pids_named("slurmstepd"))


class Fastgpu:
    """`fastgpu up`: server and agent in one process, 8 simulated A100s."""

    tag = "fastgpu"

    def __init__(self, work, binary):
        self.work, self.binary = work, binary
        self.proc = None
        self.conn = None

    def start(self):
        self.dir = os.path.join(self.work, f"fastgpu-{time.time_ns()}")
        os.makedirs(self.dir)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        env = dict(os.environ, FASTGPU_CONFIG=os.path.join(self.dir, "client.json"))
        self.proc = subprocess.Popen(
            [self.binary, "up", "--listen", f"127.0.0.1:{self.port}", "--data", self.dir,
             "--simulate", f"{GPUS}xA100-80GB"],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.dir, "up.log"), "w"),
            env=env, start_new_session=True)
        key_path = os.path.join(self.dir, "admin-key")
        wait_until(lambda: os.path.exists(key_path) and os.path.getsize(key_path) > 0, 60,
                   "fastgpu up wrote no admin key")
        with open(key_path) as f:
            self.key = f.read().strip()
        self.env = dict(os.environ, FASTGPU_URL=f"http://127.0.0.1:{self.port}",
                        FASTGPU_API_KEY=self.key, FASTGPU_CONFIG=env["FASTGPU_CONFIG"])
        wait_until(lambda: self._pool().get("summary", {}).get("gpus", 0) >= GPUS, 60,
                   "fastgpu's agent did not register its GPUs")

    def _http(self, method, path, body=None):
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                data = json.dumps(body) if body is not None else None
                self.conn.request(method, path, body=data, headers={
                    "Authorization": f"Bearer {self.key}", "Content-Type": "application/json"})
                resp = self.conn.getresponse()
                payload = resp.read()
                if resp.status >= 400:
                    raise RuntimeError(f"{method} {path}: {resp.status} {payload[:200]!r}")
                return json.loads(payload) if payload else {}
            except (OSError, http.client.HTTPException):
                self.conn = None
                if attempt:
                    raise
        return {}

    def _pool(self):
        try:
            return self._http("GET", "/gpu/resource")
        except (OSError, RuntimeError, http.client.HTTPException):
            return {}

    def stop(self):
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc, self.conn = None, None
        kill_orphans()

    def _cli(self, *argv):
        subprocess.run([self.binary, *argv], env=self.env, check=True,
                       stdout=subprocess.DEVNULL)

    def run_trivial(self):
        self._cli("run", "--gpus", "1", "--", "true")

    def submit(self, cmd):
        self._cli("run", "--detach", "--gpus", "1", "--", "sh", "-c", cmd)

    def submit_many(self, cmd, n):
        body = {"argv": ["sh", "-c", cmd], "resources": {"gpus": 1}}
        for _ in range(n):
            self._http("POST", "/v1/jobs", body)

    def _jobs(self, state, limit):
        return self._http("GET", f"/v1/jobs?state={state}&limit={limit}").get("jobs", [])

    def wait_idle(self, timeout_s=600):
        wait_until(lambda: not self._jobs("active", 1), timeout_s, "fastgpu's queue did not empty")

    def wait_running(self, k):
        wait_until(lambda: len(self._jobs("running", 1000)) >= k, 120,
                   f"{k} fastgpu jobs not running")

    def wait_queued(self, n):
        def queued():
            s = self._pool().get("summary", {})
            return s.get("pending_jobs", 0) + GPUS >= n
        wait_until(queued, 600, f"{n} fastgpu jobs not queued")

    def cancel_all(self):
        self.stop()  # the pending jobs go with the data folder; running ones are killed
        self.proc = None

    def rss_kib(self, field="Pss:"):
        return rss_kib([self.proc.pid], field) if self.proc else 0

    def helpers_rss_kib(self):
        # fastgpu-supervise (its comm cut to 15 characters), or `fastgpu supervise`, which
        # runs as fastgpu-daemon.
        pids = pids_named("fastgpu-supervi", self.dir) + pids_named("fastgpu-daemon", self.dir)
        return rss_kib(p for p in pids if p != self.proc.pid)
