"""Fixtures for the multus end-to-end tests (Python 3 standard library only).

Every test runs the built `multus` exactly as kubelet would: CNI_* environment, the multus
config on stdin, inside a throwaway "node" network namespace that holds the bridges and a
veth pair (one end is the macvlan master), against throwaway "pod" namespaces, with the
real plugins from Debian's containernetworking-plugins in /usr/lib/cni.

Isolation and cleanup:
  * every namespace is named `<RUN_PREFIX>-...`, RUN_PREFIX = "me2e-<pid>-<random>";
  * each test gets its own node namespace and temp dir (confDir, cniDir, host-local
    dataDir, fake plugin dir), so "no IP leaked" means "no allocation file left there";
  * cleanups run even when a test fails (addCleanup), and a final sweep deletes every
    namespace with the run prefix and kills only the process groups this run started;
  * namespaces left by an earlier run whose process is gone are swept at import.
Nothing is ever created in the machine's own network namespace.

Environment:
  MULTUS_BIN        the binary under test (ctest sets it); else MULTUS_BUILD_DIR/multus
                    or <repo>/build/multus.
  MULTUS_E2E_KEEP=1 keep the temp dirs of failed tests (printed) for debugging.
  MULTUS_E2E_SLOW=1 also run tests that must wait for multus' own long timeouts.
"""

import atexit
import ipaddress
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import uuid

CNI_BIN_DIR = "/usr/lib/cni"
NETNS_DIR = "/var/run/netns"
IP = shutil.which("ip") or "/usr/sbin/ip"
JQ = shutil.which("jq") or "/usr/bin/jq"
BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MULTUS_CONF_NAME = "multus-cni-network"
SANITIZER_ENV = ("ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS")

RUN_PREFIX = f"me2e-{os.getpid()}-{secrets.token_hex(2)}"
_PREFIX_RE = re.compile(r"^me2e-(\d+)-[0-9a-f]{4}-")

_lock = threading.Lock()
_counter = itertools.count(1)
_subnet_counter = itertools.count(0)
_created_netns = set()
_session_leaders = set()  # PIDs of process groups this run created (start_new_session)


def _next():
    with _lock:
        return next(_counter)


# ---------------------------------------------------------------------------------------
# Low-level helpers: ip, namespaces, processes.


def ip(*args, ns=None, check=True, details=False, as_json=False, timeout=30):
    """Runs `ip [-n ns] [-d] [-j] args...`; returns parsed JSON or the CompletedProcess."""
    cmd = [IP]
    if ns:
        cmd += ["-n", ns]
    if details:
        cmd.append("-d")
    if as_json:
        cmd.append("-j")
    cmd += [str(a) for a in args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()}")
    if as_json:
        return json.loads(proc.stdout) if proc.stdout.strip() else []
    return proc


def netns_path(name):
    return os.path.join(NETNS_DIR, name)


def add_netns(role):
    """Creates `<RUN_PREFIX>-<role><n>` with lo up; returns its name."""
    name = f"{RUN_PREFIX}-{role}{_next()}"
    with _lock:
        _created_netns.add(name)
    ip("netns", "add", name)
    ip("link", "set", "lo", "up", ns=name)
    return name


def del_netns(name):
    subprocess.run([IP, "netns", "del", name], capture_output=True, timeout=30)
    with _lock:
        _created_netns.discard(name)


def netns_exists(name):
    return os.path.exists(netns_path(name))


def _list_netns():
    try:
        return sorted(os.listdir(NETNS_DIR))
    except FileNotFoundError:
        return []


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def kill_pid_if_command(pid, needle):
    """SIGKILLs `pid` only if its command line still contains `needle` (no PID reuse)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return
    if needle in cmdline:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def sweep():
    """Kills the process groups this run started and deletes every namespace it made."""
    with _lock:
        leaders = list(_session_leaders)
        _session_leaders.clear()
    for pgid in leaders:
        _kill_group(pgid)
    for name in _list_netns():
        if name.startswith(RUN_PREFIX + "-"):
            del_netns(name)
    for name in list(_created_netns):
        del_netns(name)


def sweep_stale_runs():
    """Deletes namespaces and temp dirs of earlier runs whose process no longer exists."""
    for name in _list_netns():
        m = _PREFIX_RE.match(name)
        if m and not _pid_alive(int(m.group(1))):
            del_netns(name)
    if os.environ.get("MULTUS_E2E_KEEP") == "1":
        return  # keep temp dirs of earlier failed runs for inspection
    tmp = tempfile.gettempdir()
    try:
        entries = os.listdir(tmp)
    except OSError:
        entries = []
    for entry in entries:
        m = _PREFIX_RE.match(entry)
        if m and not _pid_alive(int(m.group(1))):
            shutil.rmtree(os.path.join(tmp, entry), ignore_errors=True)


atexit.register(sweep)


# ---------------------------------------------------------------------------------------
# What this machine can do (probed once).

_probe_result = None


def probe():
    """Returns (problem, link_kinds): `problem` is a reason to skip everything, or None."""
    global _probe_result
    with _lock:
        if _probe_result is not None:
            return _probe_result
    problem = None
    kinds = set()
    if os.geteuid() != 0:
        problem = "end-to-end tests need root (network namespaces)"
    elif not os.path.exists(IP):
        problem = "iproute2 (`ip`) is not installed"
    elif not os.path.exists(os.path.join(CNI_BIN_DIR, "bridge")):
        problem = f"containernetworking-plugins are not installed in {CNI_BIN_DIR}"
    else:
        name = f"{RUN_PREFIX}-probe{_next()}"
        proc = subprocess.run([IP, "netns", "add", name], capture_output=True, text=True)
        if proc.returncode != 0:
            problem = f"`ip netns add` failed: {proc.stderr.strip()}"
        else:
            with _lock:
                _created_netns.add(name)
            try:
                tries = {
                    "veth": ["link", "add", "pv0", "type", "veth", "peer", "name", "pv1"],
                    "bridge": ["link", "add", "pbr0", "type", "bridge"],
                    "macvlan": ["link", "add", "pmv0", "link", "pv0", "type", "macvlan",
                                "mode", "bridge"],
                    "dummy": ["link", "add", "pdm0", "type", "dummy"],
                    "vlan": ["link", "add", "link", "pv0", "name", "pvl0", "type", "vlan",
                             "id", "7"],
                    "ipvlan": ["link", "add", "pip0", "link", "pv0", "type", "ipvlan",
                               "mode", "l2"],
                }
                for kind, args in tries.items():
                    if ip(*args, ns=name, check=False).returncode == 0:
                        kinds.add(kind)
            finally:
                del_netns(name)
            if not {"veth", "bridge"} <= kinds:
                problem = "the kernel cannot create veth and bridge links in a namespace"
    with _lock:
        _probe_result = (problem, frozenset(kinds))
    return _probe_result


def repo_root():
    return os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def find_multus():
    """Returns (path, error): MULTUS_BIN, else MULTUS_BUILD_DIR/multus, else <repo>/build."""
    env_bin = os.environ.get("MULTUS_BIN")
    if env_bin:
        if os.path.isfile(env_bin) and os.access(env_bin, os.X_OK):
            return os.path.abspath(env_bin), None
        return None, f"MULTUS_BIN={env_bin} is not an executable file"
    candidates = []
    if os.environ.get("MULTUS_BUILD_DIR"):
        candidates.append(os.path.join(os.environ["MULTUS_BUILD_DIR"], "multus"))
    candidates.append(os.path.join(repo_root(), "build", "multus"))
    for c in candidates:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return os.path.abspath(c), None
    return None, "no multus binary: set MULTUS_BIN (or build into ./build)"


# ---------------------------------------------------------------------------------------
# Results of one multus call.


class MultusRun(tuple):
    """(rc, out, err): `out` is stdout parsed as JSON, or the raw text if it is not JSON.

    Extra attributes: raw (stdout text), argv, env, stdin, duration (seconds)."""

    def __new__(cls, rc, raw, err, argv, env, stdin, duration):
        out = raw
        if raw.strip():
            try:
                out = json.loads(raw)
            except ValueError:
                out = raw
        obj = super().__new__(cls, (rc, out, err))
        obj.raw = raw
        obj.argv = argv
        obj.env = env
        obj.stdin = stdin
        obj.duration = duration
        return obj

    rc = property(lambda self: self[0])
    out = property(lambda self: self[1])
    err = property(lambda self: self[2])

    def describe(self):
        env = " ".join(f"{k}={v}" for k, v in sorted(self.env.items()) if k.startswith("CNI_"))
        return (f"\n--- multus call: {env}\n--- stdin: {self.stdin}\n--- exit code: {self.rc}"
                f"\n--- stdout: {self.raw}\n--- stderr: {self.err[-4000:]}")


class Pod:
    """A pod sandbox: its own netns, a container ID (64 hex as containerd makes) and a UID."""

    def __init__(self, name, namespace="default"):
        self.netns = add_netns("pod")
        self.path = netns_path(self.netns)
        self.name = name
        self.namespace = namespace
        self.container_id = secrets.token_hex(32)
        self.uid = str(uuid.uuid4())

    @property
    def cni_args(self):
        return (f"IgnoreUnknown=1;K8S_POD_NAMESPACE={self.namespace};K8S_POD_NAME={self.name};"
                f"K8S_POD_INFRA_CONTAINER_ID={self.container_id};K8S_POD_UID={self.uid}")

    @property
    def label(self):
        """The `[<ns>/<pod>/<uid>` prefix multus puts in its error messages."""
        return f"{self.namespace}/{self.name}/{self.uid}"

    def __repr__(self):
        return f"Pod({self.namespace}/{self.name}, netns={self.netns})"


# ---------------------------------------------------------------------------------------
# The per-test world: node namespace, temp dirs, configs, multus calls, inspection.


class E2EEnv:
    """One test's world. Independent of unittest so bench/ and scripts can use it too."""

    def __init__(self, multus_bin, tag="t"):
        self.multus_bin = multus_bin
        self._cleanups = []
        self._procs = []
        self.pods = []
        self.tmp = tempfile.mkdtemp(prefix=f"{RUN_PREFIX}-{tag}-")
        os.chmod(self.tmp, 0o755)
        self.conf_dir = self._mkdir("conf")
        self.cni_dir = os.path.join(self.tmp, "cni")  # multus creates it
        self.ipam_dir = self._mkdir("ipam")
        self.bin_dir = self._mkdir("bin")
        self.rec_dir = self._mkdir("rec")
        self.run_dir = self._mkdir("run")
        self.node = add_netns("node")
        n = _next()
        # Link names only need to be unique inside this node namespace; keep them short.
        self.veth_master = f"mvm{n}"
        self.veth_peer = f"mvp{n}"
        ip("link", "add", self.veth_master, "type", "veth", "peer", "name", self.veth_peer,
           ns=self.node)
        ip("link", "set", self.veth_master, "up", ns=self.node)
        ip("link", "set", self.veth_peer, "up", ns=self.node)
        self._bridge_seq = itertools.count(0)
        self._bridge_tag = n

    def _mkdir(self, sub):
        path = os.path.join(self.tmp, sub)
        os.makedirs(path, exist_ok=True)
        return path

    # -- lifecycle ----------------------------------------------------------------------

    def add_cleanup(self, fn, *args):
        self._cleanups.append((fn, args))

    def close(self, keep_tmp=False):
        errors = []
        while self._cleanups:
            fn, args = self._cleanups.pop()
            try:
                fn(*args)
            except Exception as e:  # noqa: BLE001 - cleanup must go on
                errors.append(repr(e))
        for proc in self._procs:
            if proc.poll() is None:
                _kill_group(proc.pid)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
            with _lock:
                _session_leaders.discard(proc.pid)
        for pod in self.pods:
            del_netns(pod.netns)
        del_netns(self.node)
        if keep_tmp:
            print(f"\n[multus_e2e] kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return errors

    def new_pod(self, name=None, namespace="default"):
        pod = Pod(name or f"pod{_next()}", namespace)
        self.pods.append(pod)
        return pod

    def delete_pod_netns(self, pod):
        """Deletes the pod's netns (as a runtime does when the sandbox goes away)."""
        del_netns(pod.netns)

    # -- configs --------------------------------------------------------------------------

    @staticmethod
    def new_subnet(kind="10"):
        """A private /24 unique within this run: 10.2xx.y.0/24 or 172.2x.y.0/24."""
        with _lock:
            n = next(_subnet_counter)
        if kind == "172":
            return f"172.{20 + (n // 256) % 12}.{n % 256}.0/24"
        return f"10.{200 + (n // 256) % 50}.{n % 256}.0/24"

    def new_bridge_name(self):
        return f"mbr{self._bridge_tag}x{next(self._bridge_seq)}"

    def host_local(self, subnet):
        return {"type": "host-local", "subnet": subnet, "dataDir": self.ipam_dir}

    def bridge_conf(self, name=None, subnet=None, bridge=None, cni_version="1.0.0",
                    is_gateway=True, **extra):
        """A bridge + host-local conf; bridge name unique in this node namespace."""
        conf = {
            "cniVersion": cni_version,
            "name": name or f"e2e-br{_next()}",
            "type": "bridge",
            "bridge": bridge or self.new_bridge_name(),
            "isGateway": is_gateway,
            "ipam": self.host_local(subnet or self.new_subnet("10")),
        }
        if cni_version is None:
            del conf["cniVersion"]
        conf.update(extra)
        return conf

    def macvlan_conf(self, name=None, subnet=None, cni_version="1.0.0", **extra):
        """A macvlan conf whose master is this node's veth end."""
        conf = {
            "cniVersion": cni_version,
            "name": name or f"e2e-mv{_next()}",
            "type": "macvlan",
            "master": self.veth_master,
            "mode": "bridge",
            "ipam": self.host_local(subnet or self.new_subnet("172")),
        }
        conf.update(extra)
        return conf

    def chain_conflist(self, name=None, subnet=None, mtu=1400, cni_version="1.0.0",
                       extra_plugins=()):
        """A conflist: bridge + host-local, then tuning setting the MTU."""
        bridge = self.bridge_conf(subnet=subnet)
        del bridge["cniVersion"], bridge["name"]
        return {
            "cniVersion": cni_version,
            "name": name or f"e2e-chain{_next()}",
            "plugins": [bridge, {"type": "tuning", "mtu": mtu}, *extra_plugins],
        }

    def fake_conf(self, plugin_type, name=None, cni_version="1.0.0", **extra):
        conf = {"cniVersion": cni_version, "name": name or f"e2e-{plugin_type}{_next()}",
                "type": plugin_type}
        conf.update(extra)
        return conf

    def multus_conf(self, delegates=None, cluster_network=None, default_networks=None,
                    cni_version="1.0.0", **extra):
        """The multus config (stdin). binDir is /usr/lib/cni; no kubeconfig."""
        conf = {
            "cniVersion": cni_version,
            "name": MULTUS_CONF_NAME,
            "type": "multus",
            "confDir": self.conf_dir,
            "cniDir": self.cni_dir,
            "binDir": CNI_BIN_DIR,
            "logLevel": "verbose",
            "logToStderr": True,
        }
        if delegates is not None:
            conf["delegates"] = delegates
        if cluster_network is not None:
            conf["clusterNetwork"] = cluster_network
        if default_networks is not None:
            conf["defaultNetworks"] = default_networks
        conf.update(extra)
        return conf

    def write_conf(self, conf, filename=None, directory=None):
        """Writes a conf/conflist (dict or text) into confDir (or `directory`); returns path."""
        directory = directory or self.conf_dir
        os.makedirs(directory, exist_ok=True)
        if filename is None:
            ext = ".conflist" if isinstance(conf, dict) and "plugins" in conf else ".conf"
            filename = conf["name"] + ext
        path = os.path.join(directory, filename)
        with open(path, "w") as f:
            f.write(conf if isinstance(conf, str) else json.dumps(conf, indent=2))
        return path

    # -- fake delegate plugins ------------------------------------------------------------

    def _write_plugin(self, name, body):
        path = os.path.join(self.bin_dir, name)
        with open(path, "w") as f:
            f.write("#!/bin/sh\n# fake CNI plugin written by multus_e2e.py\n" + body)
        os.chmod(path, 0o755)
        return name

    def _calls_line(self, name):
        """Shell lines logging "<cmd> <ifname>" per plugin, and "<name> <cmd> <ifname>" to a
        log shared by all fake plugins (for ordering)."""
        log = os.path.join(self.rec_dir, name + ".calls")
        shared = os.path.join(self.rec_dir, "all.calls")
        return (f"echo \"$CNI_COMMAND ${{CNI_IFNAME:-}}\" >> '{log}'\n"
                f"echo \"{name} $CNI_COMMAND ${{CNI_IFNAME:-}}\" >> '{shared}'\n")

    def trace_plugin(self, name="e2e-trace"):
        """A plugin that only logs its calls and succeeds (empty result on ADD)."""
        return self.fail_plugin(name=name, on=())

    def fail_plugin(self, name="e2e-fail", code=42, msg="fake failure", details="fake details",
                    on=("ADD",), json_error=True, stderr_text="fake plugin wrote this"):
        """A plugin that fails for the commands in `on`: prints a CNI error with `code` (or,
        with json_error=False, only text on stderr), exit 1. Other commands succeed."""
        err = json.dumps({"cniVersion": "1.0.0", "code": code, "msg": msg, "details": details})
        fail = (f"printf '%s' '{err}'\n" if json_error
                else f"echo '{stderr_text}' >&2\n")
        body = ("in=$(cat)\n" + self._calls_line(name) +
                f"case ' {' '.join(on)} ' in *\" $CNI_COMMAND \"*)\n  {fail}  exit 1;;\nesac\n"
                "if [ \"$CNI_COMMAND\" = ADD ]; then\n"
                "  printf '{\"cniVersion\":\"1.0.0\",\"interfaces\":[],\"ips\":[]}'\nfi\n"
                "exit 0\n")
        return self._write_plugin(name, body)

    def sleep_plugin(self, name="e2e-sleep", seconds=300):
        """A plugin whose ADD writes its PID to <run_dir>/<name>.pid and sleeps."""
        pidfile = os.path.join(self.run_dir, name + ".pid")
        body = ("cat >/dev/null\n" + self._calls_line(name) +
                "if [ \"$CNI_COMMAND\" = ADD ]; then\n"
                f"  echo $$ > '{pidfile}.tmp' && mv '{pidfile}.tmp' '{pidfile}'\n"
                f"  exec sleep {int(seconds)}\nfi\nexit 0\n")
        return self._write_plugin(name, body)

    def sleep_pid(self, name="e2e-sleep"):
        try:
            with open(os.path.join(self.run_dir, name + ".pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def record_plugin(self, name="e2e-record", status_code=None):
        """A plugin that records env and stdin of every call under <rec_dir>/<name>/.

        ADD prints prevResult (chained) or an empty result of the config's version.
        With status_code, STATUS fails with that CNI code."""
        rec = os.path.join(self.rec_dir, name)
        os.makedirs(rec, exist_ok=True)
        status = ""
        if status_code is not None:
            err = json.dumps({"cniVersion": "1.1.0", "code": status_code,
                              "msg": "fake plugin not available", "details": ""})
            status = f"if [ \"$CNI_COMMAND\" = STATUS ]; then printf '%s' '{err}'; exit 1; fi\n"
        body = ("in=$(cat)\n"
                "seq=$(date +%s%N)-$$\n"
                f"printf '%s' \"$in\" > '{rec}/'$seq.stdin\n"
                f"env > '{rec}/'$seq.env\n"
                + self._calls_line(name) + status +
                "if [ \"$CNI_COMMAND\" = ADD ]; then\n"
                f"  printf '%s' \"$in\" | {JQ} -c 'if .prevResult then .prevResult + "
                "{cniVersion: .cniVersion} else {cniVersion: .cniVersion, interfaces: [], "
                "ips: [], dns: {}} end'\nfi\n"
                "exit 0\n")
        return self._write_plugin(name, body)

    def rss_probe_plugin(self, name="e2e-rssprobe"):
        """A plugin whose ADD saves its parent's (multus') VmHWM line to <run_dir>/<name>."""
        out = os.path.join(self.run_dir, name)
        body = ("cat >/dev/null\n"
                "if [ \"$CNI_COMMAND\" = ADD ]; then\n"
                f"  grep VmHWM /proc/$PPID/status > '{out}'\n"
                "  printf '{\"cniVersion\":\"1.0.0\",\"interfaces\":[],\"ips\":[]}'\nfi\n"
                "exit 0\n")
        return self._write_plugin(name, body)

    def calls(self, name):
        """Lines "<CNI_COMMAND> <CNI_IFNAME>" a fake plugin logged, in order."""
        try:
            with open(os.path.join(self.rec_dir, name + ".calls")) as f:
                return [line.rstrip("\n") for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def all_calls(self):
        """Lines "<plugin> <CNI_COMMAND> <CNI_IFNAME>" of every fake plugin, in order."""
        try:
            with open(os.path.join(self.rec_dir, "all.calls")) as f:
                return [line.rstrip("\n") for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def records(self, name="e2e-record", command=None):
        """Calls recorded by record_plugin: list of {"env": dict, "stdin": str, "json": obj}."""
        rec = os.path.join(self.rec_dir, name)
        out = []
        for entry in sorted(f for f in os.listdir(rec) if f.endswith(".stdin")):
            base = entry[:-len(".stdin")]
            with open(os.path.join(rec, entry)) as f:
                stdin = f.read()
            env = {}
            with open(os.path.join(rec, base + ".env")) as f:
                for line in f:
                    if "=" in line:
                        k, v = line.rstrip("\n").split("=", 1)
                        env[k] = v
            try:
                parsed = json.loads(stdin)
            except ValueError:
                parsed = None
            if command is None or env.get("CNI_COMMAND") == command:
                out.append({"env": env, "stdin": stdin, "json": parsed})
        return out

    # -- running multus -------------------------------------------------------------------

    def build_env(self, command, container_id=None, netns=None, ifname="eth0", cni_args=None,
                  cni_path=None, extra_env=None, pod=None):
        # As kubelet does, from scratch; the sanitizer stage's options are handed on so that
        # a sanitized multus reports into its log dir (scripts/sanitize.sh).
        env = {"PATH": BASE_PATH,
               **{k: v for k, v in os.environ.items() if k in SANITIZER_ENV}}
        if command is not None:
            env["CNI_COMMAND"] = command
        if pod is not None:
            container_id = container_id if container_id is not None else pod.container_id
            netns = netns if netns is not None else pod.path
            if cni_args is None:
                cni_args = pod.cni_args
        if container_id is not None:
            env["CNI_CONTAINERID"] = container_id
            if cni_args is None:
                cni_args = (f"IgnoreUnknown=1;K8S_POD_NAMESPACE=default;"
                            f"K8S_POD_NAME=pod-{container_id[:8]};"
                            f"K8S_POD_INFRA_CONTAINER_ID={container_id};"
                            f"K8S_POD_UID={uuid.uuid5(uuid.NAMESPACE_OID, container_id)}")
        if netns is not None:
            env["CNI_NETNS"] = netns if "/" in netns else netns_path(netns)
        if ifname is not None:
            env["CNI_IFNAME"] = ifname
        if cni_args is not None:
            env["CNI_ARGS"] = cni_args
        env["CNI_PATH"] = cni_path if cni_path is not None else f"{self.bin_dir}:{CNI_BIN_DIR}"
        for k, v in (extra_env or {}).items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        return env

    def start_multus(self, command, conf, container_id=None, netns=None, ifname="eth0",
                     cni_args=None, cni_path=None, extra_env=None, stdin_override=None,
                     pod=None, argv=(), to_files=False, wrapper=(), preexec_fn=None):
        """Starts multus in the node netns, in its own process group (killed at cleanup).

        Returns (Popen, env, stdin_bytes). With to_files, stdout/stderr go to files in
        run_dir (attributes out_path/err_path on the Popen), so a killed multus whose
        children still hold its descriptors cannot block the test. `preexec_fn` runs in the
        child before `ip netns exec` (bench/benchlib.py asks for ptrace there)."""
        env = self.build_env(command, container_id, netns, ifname, cni_args, cni_path,
                             extra_env, pod)
        if stdin_override is not None:
            stdin = stdin_override
        elif conf is None:
            stdin = ""
        elif isinstance(conf, (str, bytes)):
            stdin = conf
        else:
            stdin = json.dumps(conf)
        stdin_bytes = stdin if isinstance(stdin, bytes) else stdin.encode()
        cmd = [IP, "netns", "exec", self.node, *wrapper, self.multus_bin, *argv]
        if to_files:
            n = _next()
            out_path = os.path.join(self.run_dir, f"multus{n}.out")
            err_path = os.path.join(self.run_dir, f"multus{n}.err")
            in_path = os.path.join(self.run_dir, f"multus{n}.in")
            with open(in_path, "wb") as f:
                f.write(stdin_bytes)
            with open(in_path, "rb") as fin, open(out_path, "wb") as fout, \
                    open(err_path, "wb") as ferr:
                proc = subprocess.Popen(cmd, stdin=fin, stdout=fout, stderr=ferr, env=env,
                                        start_new_session=True, preexec_fn=preexec_fn)
            proc.out_path, proc.err_path = out_path, err_path
        else:
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, env=env, start_new_session=True,
                                    preexec_fn=preexec_fn)
        with _lock:
            _session_leaders.add(proc.pid)
        self._procs.append(proc)
        return proc, env, stdin_bytes

    def run_multus(self, command, conf, container_id=None, netns=None, ifname="eth0",
                   cni_args=None, cni_path=None, extra_env=None, stdin_override=None,
                   pod=None, argv=(), timeout=120):
        """Runs multus once as kubelet would; returns MultusRun (rc, out, err).

        `netns` is a namespace name or a path; None leaves CNI_NETNS unset (likewise
        container_id / ifname). `extra_env` values of None remove a variable."""
        start = time.monotonic()
        proc, env, stdin = self.start_multus(command, conf, container_id, netns, ifname,
                                             cni_args, cni_path, extra_env, stdin_override,
                                             pod, argv)
        try:
            out, err = proc.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid)
            out, err = proc.communicate()
            raise AssertionError(
                f"multus {command} did not finish within {timeout}s\nstdout: {out!r}\n"
                f"stderr: {err[-4000:]!r}")
        finally:
            with _lock:
                _session_leaders.discard(proc.pid)
        return MultusRun(proc.returncode, out.decode(errors="replace"),
                         err.decode(errors="replace"), [self.multus_bin, *argv], env,
                         stdin.decode(errors="replace"), time.monotonic() - start)

    def run_plugin(self, command, conf, pod=None, ifname="eth0", prev_result=None,
                   timeout=60):
        """Runs one plugin (conf["type"] from /usr/lib/cni) directly in the node netns, as
        multus would; returns (rc, stdout text, stderr text)."""
        env = self.build_env(command, pod=pod, ifname=ifname, cni_path=CNI_BIN_DIR)
        if prev_result is not None:
            conf = dict(conf, prevResult=prev_result)
        proc = subprocess.run([IP, "netns", "exec", self.node,
                               os.path.join(CNI_BIN_DIR, conf["type"])],
                              input=json.dumps(conf).encode(), capture_output=True, env=env,
                              timeout=timeout)
        return proc.returncode, proc.stdout.decode(), proc.stderr.decode()

    # -- inspecting what really exists ----------------------------------------------------

    @staticmethod
    def link_info(ns):
        """{ifname: link dict} from `ip -d -j -n ns addr` (kind in linkinfo.info_kind)."""
        return {l["ifname"]: l for l in ip("addr", ns=ns, details=True, as_json=True)}

    @staticmethod
    def links(ns):
        """Set of interface names in a namespace."""
        return set(E2EEnv.link_info(ns))

    @staticmethod
    def addrs(ns, family="inet"):
        """{ifname: ["10.200.1.2/24", ...]} for `family` (inet / inet6 without link-local)."""
        out = {}
        for link in ip("addr", ns=ns, as_json=True):
            lst = []
            for a in link.get("addr_info", []):
                if a.get("family") != family:
                    continue
                if family == "inet6" and a.get("scope") == "link":
                    continue
                lst.append(f"{a['local']}/{a['prefixlen']}")
            out[link["ifname"]] = lst
        return out

    def allocations(self):
        """host-local allocation files under the test's dataDir: ["<network>/<ip>", ...]."""
        found = []
        for root, _dirs, files in os.walk(self.ipam_dir):
            for f in files:
                try:
                    ipaddress.ip_address(f)
                except ValueError:
                    continue  # lock, last_reserved_ip.0
                found.append(os.path.relpath(os.path.join(root, f), self.ipam_dir))
        return sorted(found)

    def allocations_of(self, network_name):
        return [a for a in self.allocations() if a.split("/", 1)[0] == network_name]

    def scratch_cache_path(self, pod_or_cid):
        cid = getattr(pod_or_cid, "container_id", pod_or_cid)
        return os.path.join(self.cni_dir, cid)

    def result_cache_path(self, network_name, pod_or_cid, ifname):
        cid = getattr(pod_or_cid, "container_id", pod_or_cid)
        return os.path.join(self.cni_dir, "results", f"{network_name}-{cid}-{ifname}")

    def result_caches(self, pod_or_cid):
        """File names in <cniDir>/results that belong to this container."""
        cid = getattr(pod_or_cid, "container_id", pod_or_cid)
        try:
            return sorted(f for f in os.listdir(os.path.join(self.cni_dir, "results"))
                          if f"-{cid}-" in f)
        except FileNotFoundError:
            return []


# ---------------------------------------------------------------------------------------
# unittest glue.


def ip_in(addr, subnet):
    return ipaddress.ip_interface(addr).ip in ipaddress.ip_network(subnet)


def subnet_of(conf):
    """The host-local subnet of a conf or of the first plugin of a conflist."""
    if "plugins" in conf:
        conf = conf["plugins"][0]
    return conf["ipam"]["subnet"]


class MultusTestCase(unittest.TestCase):
    """Base class: self.env is a fresh E2EEnv (node netns, temp dirs) per test."""

    maxDiff = None
    required_link_kinds = ("veth", "bridge")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        problem, kinds = probe()
        if problem:
            raise unittest.SkipTest(problem)
        missing = [k for k in cls.required_link_kinds if k not in kinds]
        if missing:
            raise unittest.SkipTest(f"this kernel cannot create {', '.join(missing)} links")
        cls.multus_bin, error = find_multus()
        if error:
            if os.environ.get("MULTUS_BIN"):
                raise AssertionError(error)  # ctest said where it is: that is a failure
            raise unittest.SkipTest(error)

    @classmethod
    def tearDownClass(cls):
        sweep()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.env = E2EEnv(self.multus_bin, tag="t")
        self.addCleanup(self._close_env)

    def _close_env(self):
        keep = os.environ.get("MULTUS_E2E_KEEP") == "1" and self._failed()
        self.env.close(keep_tmp=keep)

    def _failed(self):
        outcome = getattr(self, "_outcome", None)
        result = getattr(outcome, "result", None)
        if result is None:
            return False
        for _test, _err in list(result.failures) + list(result.errors):
            if _test is self:
                return True
        return False

    def require_link_kinds(self, *kinds):
        _problem, have = probe()
        missing = [k for k in kinds if k not in have]
        if missing:
            self.skipTest(f"this kernel cannot create {', '.join(missing)} links")

    def require_jq(self):
        if not os.path.exists(JQ):
            self.skipTest("jq is not installed (the fake plugins need it)")

    # -- shortcuts ----------------------------------------------------------------------

    def run_multus(self, *args, **kwargs):
        return self.env.run_multus(*args, **kwargs)

    def add(self, pod, conf, **kw):
        """ADD that must succeed; returns the parsed result."""
        run = self.env.run_multus("ADD", conf, pod=pod, **kw)
        self.assert_ok(run)
        self.assertIsInstance(run.out, dict, "ADD printed no JSON result" + run.describe())
        return run.out

    def delete(self, pod, conf, **kw):
        run = self.env.run_multus("DEL", conf, pod=pod, **kw)
        self.assert_ok(run)
        self.assertEqual(run.raw.strip(), "", "DEL must print nothing on success" + run.describe())
        cni_dir = conf.get("cniDir") if isinstance(conf, dict) else None
        if cni_dir and "container_id" not in kw:
            self.assert_cni_dir_forgot(pod, cni_dir)
        return run

    def assert_cni_dir_forgot(self, pod_or_cid, cni_dir=None):
        """Nothing under cniDir (plans, results, markers, locks, temp files) names the
        container: after a successful DEL, nothing of it may outlive the pod."""
        cid = getattr(pod_or_cid, "container_id", pod_or_cid)
        left = []
        for root, dirs, files in os.walk(cni_dir or self.env.cni_dir):
            left += [os.path.join(root, n) for n in dirs + files if cid in n]
            for name in files:
                try:
                    with open(os.path.join(root, name), "rb") as f:
                        if cid.encode() in f.read():
                            left.append(os.path.join(root, name) + " (content)")
                except OSError:
                    pass
        self.assertEqual(left, [], f"entries naming container {cid} left after DEL")

    def check(self, pod, conf, **kw):
        run = self.env.run_multus("CHECK", conf, pod=pod, **kw)
        self.assert_ok(run)
        return run

    # -- assertions ---------------------------------------------------------------------

    def assert_ok(self, run):
        self.assertEqual(run.rc, 0, "multus failed" + run.describe())

    def assert_cni_error(self, run, code=None, msg_contains=(), details_contains=()):
        """Non-zero exit and exactly one CNI error object on stdout."""
        self.assertNotEqual(run.rc, 0, "multus should have failed" + run.describe())
        self.assertIsInstance(run.out, dict, "stdout is not one JSON object" + run.describe())
        for key in ("cniVersion", "code", "msg", "details"):
            self.assertIn(key, run.out, f"error JSON lacks {key!r}" + run.describe())
        self.assertIsInstance(run.out["code"], int, run.describe())
        self.assertTrue(run.out["msg"], "empty msg" + run.describe())
        if code is not None:
            self.assertEqual(run.out["code"], code, "wrong CNI error code" + run.describe())
        for text in ([msg_contains] if isinstance(msg_contains, str) else msg_contains):
            self.assertIn(text, run.out["msg"], run.describe())
        for text in ([details_contains] if isinstance(details_contains, str)
                     else details_contains):
            self.assertIn(text, run.out["details"], run.describe())
        return run.out

    def assert_pod_links(self, pod, expected, context=""):
        self.assertEqual(self.env.links(pod.netns), set(expected),
                         f"interfaces in {pod.netns} {context}")

    def assert_pod_empty(self, pod, context=""):
        if netns_exists(pod.netns):
            self.assert_pod_links(pod, {"lo"}, context)

    def assert_no_allocations(self, context=""):
        self.assertEqual(self.env.allocations(), [], f"host-local allocations left {context}")

    def assert_no_caches(self, pod, context=""):
        self.assertFalse(os.path.exists(self.env.scratch_cache_path(pod)),
                         f"scratch cache {self.env.scratch_cache_path(pod)} left {context}")
        self.assertEqual(self.env.result_caches(pod), [], f"result caches left {context}")

    def assert_nothing_left(self, pod, context=""):
        self.assert_pod_empty(pod, context)
        self.assert_no_allocations(context)
        self.assert_no_caches(pod, context)

    def assert_nothing_created(self, pod, node_links_before, context=""):
        """For rejected calls: no link in the pod or node, no IP, no cache for the pod."""
        self.assert_nothing_left(pod, context)
        self.assertEqual(self.env.links(self.env.node), node_links_before,
                         f"links created in the node namespace {context}")

    def assert_addr_in(self, pod, ifname, subnet):
        addrs = self.env.addrs(pod.netns)
        self.assertIn(ifname, addrs, f"{ifname} missing in {pod.netns}: {addrs}")
        self.assertEqual(len(addrs[ifname]), 1, f"{ifname} addresses: {addrs[ifname]}")
        self.assertTrue(ip_in(addrs[ifname][0], subnet),
                        f"{ifname} has {addrs[ifname][0]}, expected an address in {subnet}")
        return addrs[ifname][0]


sweep_stale_runs()
