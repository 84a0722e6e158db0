"""What the benchmarks in bench/ share (Python 3 standard library only; nothing is asserted).

- statistics of wall-time samples (median, p90) and `timed()`, one timed command;
- `World`: a node namespace (tests/e2e/multus_e2e.py) with the cluster network and up to N
  more networks, as static `delegates` and as NADs in the stand-in apiserver
  (tests/e2e/apiserver_fixture.py: kubeconfig, token file, TLS), pods for either, and
  multus-daemon serving the plugin's fast path from its watch cache ("fastpath") and, through
  multus-shim, upstream's thick protocol where the daemon runs the delegates ("shim");
- `write_floor_script()`: the same delegates run directly by /bin/sh (the floor);
- the per-call figures machine load cannot blur, of the multus process only (never its
  delegates): `callgrind()` instructions, `strace_figures()` syscalls and fsyncs,
  `exit_figures()` page faults, VmHWM and shared objects mapped, read at its exit.
"""

import contextlib
import ctypes
import glob
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))

import apiserver_fixture as fx  # noqa: E402
import daemon_e2e  # noqa: E402
import multus_e2e as e2e  # noqa: E402

VALGRIND = shutil.which("valgrind") or "/usr/bin/valgrind"
CALLGRIND_CONTROL = shutil.which("callgrind_control") or "/usr/bin/callgrind_control"
STRACE = shutil.which("strace") or "/usr/bin/strace"
NETWORKS = "k8s.v1.cni.cncf.io/networks"
CLUSTER_NET = "cluster-net"
DAEMON_NODE = "bench-node"
MODES = ("static", "api")
# The modes whose calls go through multus-daemon: the pod must be in its watch cache first.
DAEMON_MODES = ("fastpath", "shim")
# Syscalls that force data to disk: what "fsyncs" counts.
SYNC_CALLS = ("fsync", "fdatasync", "sync_file_range", "syncfs", "sync")


# ---------------------------------------------------------------------------------------
# Wall time.


def median_ms(samples):
    return statistics.median(samples) * 1000


def p90_ms(samples):
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))] * 1000


def timed(cmd, env, stdin=b"", timeout=300):
    """Seconds `cmd` took; exits with its output if it failed."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, input=stdin, capture_output=True, env=env, timeout=timeout)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\nstdout: {proc.stdout.decode()}\n"
                         f"stderr: {proc.stderr.decode()[-3000:]}")
    return elapsed


def ifnames(count):
    """The interface names multus gives the cluster network and `count - 1` more."""
    return ["eth0"] + [f"net{i}" for i in range(1, count)]


def write_floor_script(env, confs, path, plugin_dir=e2e.CNI_BIN_DIR):
    """A /bin/sh script running `confs`' plugins directly with the env it is given (CNI_COMMAND
    decides): ADD in order, DEL in reverse, interface names as multus gives them. The configs
    are written next to it. Returns `path`."""
    conf_dir = os.path.splitext(path)[0] + ".d"
    lines = []
    for conf, ifname in zip(confs, ifnames(len(confs))):
        conf_path = env.write_conf(conf, directory=conf_dir)
        lines.append(f"CNI_IFNAME={ifname} {plugin_dir}/{conf['type']} < '{conf_path}' > /dev/null")
    with open(path, "w") as f:
        f.write("set -e\ncase $CNI_COMMAND in\n"
                "ADD)\n  " + "\n  ".join(lines) + "\n  ;;\n"
                "DEL)\n  " + "\n  ".join(reversed(lines)) + "\n  ;;\nesac\n")
    return path


# ---------------------------------------------------------------------------------------
# The world: node namespace, networks, apiserver, pods.


class World:
    """A node namespace with the cluster network (bridge) and `nads` more networks (macvlan on
    the node's veth and bridges, alternating), usable as static `delegates` ("static") and,
    after start_api(), as NADs in the stand-in apiserver ("api"). close() removes everything."""

    def __init__(self, multus, nads, tag="bench", macvlan=True):
        self.env = e2e.E2EEnv(multus, tag=tag)
        self.api = None
        self.daemon = None
        self.shim = None  # multus-shim, for mode "shim"
        self.sock_dir = os.path.join(self.env.tmp, "daemon-sock")
        self.kubeconfig = None
        self.cluster = self.env.bridge_conf(name=CLUSTER_NET)
        self.secondaries = [self.env.macvlan_conf(name=f"mv{i}") if macvlan and i % 2 == 0
                            else self.env.bridge_conf(name=f"br{i}") for i in range(nads)]

    def start_api(self):
        """The stand-in apiserver in the node namespace, with every network as a NAD (the
        cluster network in kube-system, the others in default) and a kubeconfig (CA data,
        tokenFile)."""
        self.api = fx.FakeApiserver(self.env.node, os.path.join(self.env.tmp, "api")).start()
        self.api.add_nad("kube-system", CLUSTER_NET, self.cluster)
        for conf in self.secondaries:
            self.api.add_nad("default", conf["name"], conf)
        self.kubeconfig = self.api.write_kubeconfig(os.path.join(self.env.tmp, "kubeconfig"))
        return self

    def start_daemon(self, daemon_bin, wrapper=()):
        """multus-daemon in the node namespace (after start_api), its watch cache on the pods
        of node DAEMON_NODE, under `wrapper` (e.g. callgrind); returns once the fast path is
        ready. A daemon already running is stopped first."""
        if self.daemon:
            self.daemon.kill()
        config = {"socketDir": self.sock_dir, "cniConfigDir": os.path.join(self.env.tmp, "net.d"),
                  "multusConfigFile": os.path.join(self.env.tmp, "none.conf"),
                  "kubeconfig": self.kubeconfig, "logLevel": "error"}
        os.makedirs(config["cniConfigDir"], exist_ok=True)
        self.daemon = daemon_e2e.DaemonProcess(self.env, daemon_bin, self.sock_dir)
        self.daemon.start(config, ready_path="/fastpath/v1/readyz",
                          extra_env=[f"MULTUS_NODE_NAME={DAEMON_NODE}"], wrapper=wrapper,
                          timeout=300 if wrapper else 30)
        return self

    @contextlib.contextmanager
    def plugin(self, mode):
        """The binary the runtime starts in `mode` (multus-shim for "shim", else multus), as
        env.multus_bin for the duration (the tools find the process they measure by it)."""
        saved = self.env.multus_bin
        if mode == "shim":
            self.env.multus_bin = self.shim
        try:
            yield self.env.multus_bin
        finally:
            self.env.multus_bin = saved

    def delegates(self, n):
        return [self.cluster, *self.secondaries[:n]]

    def conf(self, mode, n, **extra):
        """The multus config for a pod with the cluster network + `n` networks. Logging keeps
        multus' defaults (warning, stderr) unless `extra` says otherwise."""
        if mode == "static":
            conf = self.env.multus_conf(delegates=self.delegates(n))
        else:
            conf = self.env.multus_conf(cluster_network=CLUSTER_NET, kubeconfig=self.kubeconfig)
        if mode in DAEMON_MODES:
            conf["daemonSocketDir"] = self.sock_dir
        if mode == "shim":  # as the thick 00-multus.conf: the daemon runs it all
            conf["type"] = "multus-shim"
        del conf["logLevel"], conf["logToStderr"]
        conf.update(extra)
        return conf

    def new_pod(self, mode, n, name=None):
        """A pod namespace; in "api" mode also the pod object asking for `n` networks."""
        pod = self.env.new_pod(name)
        if mode in ("api", *DAEMON_MODES):
            names = ",".join(c["name"] for c in self.secondaries[:n])
            self.api.add_pod("default", pod.name, uid=pod.uid,
                             annotations={NETWORKS: names} if names else None,
                             node_name=DAEMON_NODE if mode in DAEMON_MODES else None)
        if mode in DAEMON_MODES:  # in the daemon's cache before the call, as a scheduled pod is
            path = f"/fastpath/v1/api/v1/namespaces/default/pods/{pod.name}"
            deadline = time.monotonic() + 10
            while self.daemon.status(path) != 200 and time.monotonic() < deadline:
                time.sleep(0.02)
        return pod

    def close(self):
        if self.daemon:
            self.daemon.kill()
        if self.api:
            self.api.close()
        self.env.close()
        e2e.sweep()


def preflight(multus=None, need=()):
    """Exits unless this machine can run the benchmark; returns (multus path, link kinds).
    `need`: programs that must be installed (scripts/install-deps.sh installs them)."""
    if multus:
        if not os.access(multus, os.X_OK):
            raise SystemExit(f"no multus binary at {multus}: build it (scripts/build.sh, "
                             "or scripts/test.sh) or name one with --multus")
        os.environ["MULTUS_BIN"] = os.path.abspath(multus)
    for program in need:
        if not shutil.which(program):
            raise SystemExit(f"{program} is missing: run scripts/install-deps.sh")
    problem, kinds = e2e.probe()
    if problem:
        raise SystemExit(f"cannot run: {problem}")
    path, error = e2e.find_multus()
    if error:
        raise SystemExit(error)
    return path, kinds


def run_tool(env, command, conf, pod, wrapper=(), preexec_fn=None, timeout=600):
    """One multus call (in the node namespace) under `wrapper`, stdout/stderr to files;
    returns the Popen (returncode set) after it ended, or exits if it failed."""
    proc, _, _ = env.start_multus(command, conf, pod=pod, wrapper=wrapper, to_files=True,
                                  preexec_fn=preexec_fn)
    if preexec_fn is None:
        proc.wait(timeout=timeout)
    return proc


def check_ok(proc, what):
    if proc.returncode != 0:
        with open(proc.out_path, "rb") as out, open(proc.err_path, "rb") as err:
            raise SystemExit(f"{what} failed ({proc.returncode}):\n{out.read().decode()}\n"
                             f"{err.read().decode()[-3000:]}")


# ---------------------------------------------------------------------------------------
# Instructions: callgrind.


class Callgrind:
    """What a callgrind.out file says: total instructions, calls per function, shared objects."""

    def __init__(self, instructions, calls, objects):
        self.instructions = instructions
        self.calls = calls
        self.objects = objects


def read_callgrind(path):
    """Reads a callgrind.out file (name compression understood: `(id) name` defines, `(id)`
    refers; functions and objects have separate id spaces)."""
    tables = {"fn": {}, "ob": {}}
    calls, objects = {}, set()
    total = 0
    current_cfn = None

    def resolve(spec, table):
        m = re.match(r"\((\d+)\)(?: (.*))?", spec)
        if not m:
            return spec
        if m.group(2) is not None:
            tables[table][m.group(1)] = m.group(2)
        return tables[table].get(m.group(1), spec)

    with open(path, errors="replace") as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("=")
            if line.startswith(("summary:", "totals:")):
                total = max(total, int(line.split()[1]))
            elif key == "fn":
                resolve(value, "fn")
            elif key == "cfn":
                current_cfn = resolve(value, "fn")
            elif key == "calls" and current_cfn is not None:
                calls[current_cfn] = calls.get(current_cfn, 0) + int(value.split()[0])
            elif key in ("ob", "cob"):
                name = resolve(value.strip(), "ob")
                if re.search(r"\.so(\.|$)", os.path.basename(name)):
                    objects.add(name)
    return Callgrind(total, calls, sorted(objects))


def callgrind(env, command, conf, pod, out_file):
    """One multus call under callgrind, its delegates untraced; returns read_callgrind()."""
    wrapper = (VALGRIND, "--tool=callgrind", "--trace-children=no",
               f"--callgrind-out-file={out_file}", "--dump-instr=no", "-q")
    check_ok(run_tool(env, command, conf, pod, wrapper), f"callgrind {command}")
    return read_callgrind(out_file)


def callgrind_control(pid, action, out_prefix=None):
    """Asks the callgrind running as `pid` to zero its counters ("-z") or to dump them ("-d");
    a dump returns the path of the file it wrote (`out_prefix`.<n>, the newest)."""
    before = set(glob.glob(f"{out_prefix}.*")) if out_prefix else set()
    proc = subprocess.run([CALLGRIND_CONTROL, action, str(pid)], capture_output=True, text=True,
                          timeout=120)
    if proc.returncode != 0 or "OK" not in proc.stdout:
        raise SystemExit(f"callgrind_control {action} {pid}: {proc.stdout}{proc.stderr}")
    if not out_prefix:
        return None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        new = set(glob.glob(f"{out_prefix}.*")) - before
        if new:
            path = max(new, key=lambda p: int(p.rsplit(".", 1)[1]))
            time.sleep(0.2)  # written by the time callgrind_control returns; be safe
            return path
        time.sleep(0.05)
    raise SystemExit(f"callgrind_control -d {pid}: no new {out_prefix}.<n>")


# ---------------------------------------------------------------------------------------
# Syscalls and fsyncs: strace, one trace file per task.

_SYSCALL_LINE = re.compile(r"^([a-z_][a-z0-9_]*)\(")
_CLONE_RESULT = re.compile(r"^(?:clone|clone3|vfork|fork)\(.*\)\s+=\s+(\d+)")


def strace_figures(env, command, conf, pod, prefix):
    """One multus call under `strace -f -ff`; counts the syscalls of multus' own tasks (its
    main thread and the threads it clones), not of the processes it starts (the delegates,
    from their fork on). Returns {"syscalls", "fsyncs", "by_name", "threads", "children"}."""
    wrapper = (STRACE, "-f", "-ff", "-qq", "-o", prefix)
    check_ok(run_tool(env, command, conf, pod, wrapper), f"strace {command}")
    traces = {}
    for name in os.listdir(os.path.dirname(prefix)):
        if name.startswith(os.path.basename(prefix) + "."):
            with open(os.path.join(os.path.dirname(prefix), name), errors="replace") as f:
                traces[int(name.rsplit(".", 1)[1])] = f.read().splitlines()
    main = [pid for pid, lines in traces.items()
            if any(l.startswith(f'execve("{env.multus_bin}"') for l in lines[:3])]
    if len(main) != 1:
        raise SystemExit(f"strace: cannot tell multus' task among {sorted(traces)}")
    tasks, children, todo = set(), set(), list(main)
    while todo:
        pid = todo.pop()
        tasks.add(pid)
        for line in traces.get(pid, []):
            m = _CLONE_RESULT.match(line)
            if m and "CLONE_THREAD" in line:
                todo.append(int(m.group(1)))
            elif m:
                children.add(int(m.group(1)))
    by_name = {}
    for pid in tasks:
        for line in traces.get(pid, []):
            m = _SYSCALL_LINE.match(line)
            if m:
                by_name[m.group(1)] = by_name.get(m.group(1), 0) + 1
    return {"syscalls": sum(by_name.values()),
            "fsyncs": sum(by_name.get(c, 0) for c in SYNC_CALLS),
            "by_name": dict(sorted(by_name.items(), key=lambda kv: -kv[1])),
            "threads": len(tasks) - 1, "children": len(children)}


# ---------------------------------------------------------------------------------------
# Page faults, peak RSS, shared objects: read from /proc at multus' exit (ptrace).

_PTRACE_TRACEME, _PTRACE_CONT, _PTRACE_SETOPTIONS = 0, 7, 0x4200
_PTRACE_O_TRACEEXEC, _PTRACE_O_TRACEEXIT, _PTRACE_O_EXITKILL = 0x10, 0x40, 0x100000
_PTRACE_EVENT_EXEC, _PTRACE_EVENT_EXIT = 4, 6
_libc = ctypes.CDLL(None, use_errno=True)
_libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
_libc.ptrace.restype = ctypes.c_long


def _ptrace(request, pid, data=0):
    if _libc.ptrace(request, pid, None, ctypes.c_void_p(data)) == -1:
        err = ctypes.get_errno()
        raise OSError(err, f"ptrace({request}, {pid}): {os.strerror(err)}")


def _trace_me():
    _libc.ptrace(_PTRACE_TRACEME, 0, None, None)


def _proc_snapshot(pid):
    """What /proc says of a process stopped on its way out (its memory still mapped)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    status = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            status[key] = value.strip()
    files = set()
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.split(maxsplit=5)
            if len(parts) == 6 and parts[5].startswith("/"):
                files.add(parts[5].strip())
    shared = sorted(p for p in files if re.search(r"\.so(\.|$)", os.path.basename(p)))
    # stat fields after the command name: [0] state ... [7] minflt [8] cminflt [9] majflt
    return {"exe": os.readlink(f"/proc/{pid}/exe"),
            "minor_faults": int(fields[7]), "major_faults": int(fields[9]),
            "children_minor_faults": int(fields[8]),
            "vm_hwm_kb": int(status.get("VmHWM", "0 kB").split()[0]),
            "vm_rss_kb": int(status.get("VmRSS", "0 kB").split()[0]),
            "shared_objects": shared, "mapped_files": sorted(files)}


def exit_figures(env, command, conf, pod):
    """One multus call run under ptrace, stopped at its exit (PTRACE_EVENT_EXIT, before its
    memory is released) to read its own minor/major faults (children's counted apart), VmHWM
    and the files it maps (.so: shared objects). Signals are handed on unchanged."""
    proc = run_tool(env, command, conf, pod, preexec_fn=_trace_me)
    pid = proc.pid
    snapshot = None
    _, status = os.waitpid(pid, 0)  # the SIGTRAP of exec'ing `ip`
    if not os.WIFSTOPPED(status):
        raise SystemExit(f"exit figures: `ip netns exec` did not start (status {status})")
    _ptrace(_PTRACE_SETOPTIONS, pid,
            _PTRACE_O_TRACEEXEC | _PTRACE_O_TRACEEXIT | _PTRACE_O_EXITKILL)
    _ptrace(_PTRACE_CONT, pid)
    while True:
        _, status = os.waitpid(pid, 0)
        if os.WIFEXITED(status) or os.WIFSIGNALED(status):
            proc.returncode = os.waitstatus_to_exitcode(status)
            break
        sig, event = os.WSTOPSIG(status), status >> 16
        if sig == signal.SIGTRAP and event == _PTRACE_EVENT_EXIT:
            snapshot = _proc_snapshot(pid)
            sig = 0
        elif sig == signal.SIGTRAP and event == _PTRACE_EVENT_EXEC:
            sig = 0
        _ptrace(_PTRACE_CONT, pid, sig)
    check_ok(proc, f"{command} under ptrace")
    if snapshot is None or snapshot["exe"] != os.path.realpath(env.multus_bin):
        raise SystemExit(f"exit figures: stopped in {snapshot and snapshot['exe']}, not multus")
    return snapshot


# ---------------------------------------------------------------------------------------
# The stand-in apiserver's view of one call.


def request_kind(entry):
    path = entry["path"]
    if "/events" in path:
        kind = "events"
    elif "/network-attachment-definitions" in path:
        kind = "nad"
    elif path.endswith("/status"):
        kind = "pods/status"
    elif "/pods" in path:
        kind = "pod"
    else:
        kind = path
    return f"{entry['method']} {kind}"


class ApiCounter:
    """Requests and TLS handshakes the apiserver saw between start() and stop() (start()
    clears its request log)."""

    def __init__(self, api):
        self.api = api
        self.before = None

    def start(self):
        self.api.reset_requests()
        self.before = self.api.stats()

    def stop(self, settle=0.05):
        # Events may be sent without waiting for the reply: wait until the counters rest.
        last = None
        while True:
            now = self.api.stats()
            key = (now["connections"], now["tls_handshakes"], now["requests"])
            if key == last:
                break
            last = key
            time.sleep(settle)
        entries = self.api.requests()
        by_kind = {}
        for e in entries:
            by_kind[request_kind(e)] = by_kind.get(request_kind(e), 0) + 1
        return {"api_requests": len(entries),
                "tls_handshakes": now["tls_handshakes"] - self.before["tls_handshakes"],
                "tls_resumed": now["tls_resumed"] - self.before["tls_resumed"],
                "connections": now["connections"] - self.before["connections"],
                "requests_by_kind": by_kind}


def dump_json(path, data):
    with open(path, "w") as f:
        json.dump(data, f, indent=1, sort_keys=False)
        f.write("\n")
