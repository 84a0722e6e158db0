"""The static multus runs anywhere: in an otherwise empty directory tree (no /lib, no /usr, no
/etc/nsswitch.conf, no CA bundle), chroot'ed inside the test's node namespace, it attaches a
pod to two networks from the stand-in apiserver, which it reaches by host name (resolved from
the tree's own /etc/hosts by c-ares, never by glibc's NSS), then CHECKs and DELetes them.

Debian's CNI plugins are dynamically linked Go programs: they get their own loader and libc in
/plugin-runtime (their ELF interpreter and rpath rewritten with patchelf), so the tree still has
no /lib, /lib64 or /usr for multus to lean on. /proc and /sys are bind-mounted: they are the
kernel, which is all a node is assumed to provide.

A second test runs multus inside an older Debian userland (bullseye, glibc 2.31) when
scripts/old-userland.sh could make one (MULTUS_OLD_USERLAND, set by the test suite)."""

import json
import os
import shutil
import struct
import subprocess
import tempfile
import unittest

import apiserver_fixture as fx
from k8s_e2e import MULTUS_NAMESPACE, K8sTestCase, pod_path
from multus_e2e import IP, _kill_group

API_HOST = "apiserver.multus.test"
PATCHELF = shutil.which("patchelf")
CHROOT = shutil.which("chroot") or "/usr/sbin/chroot"
PLUGINS = ("bridge", "host-local", "macvlan")
PT_INTERP, PT_DYNAMIC = 3, 2


def elf_program_header_types(path):
    """The p_type of every program header of a 64-bit little-endian ELF file."""
    with open(path, "rb") as f:
        header = f.read(64)
        if header[:4] != b"\x7fELF" or header[4] != 2 or header[5] != 1:
            raise ValueError(f"{path} is not a 64-bit little-endian ELF file")
        phoff, = struct.unpack_from("<Q", header, 32)
        phentsize, phnum = struct.unpack_from("<HH", header, 54)
        types = []
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            types.append(struct.unpack("<I", f.read(4))[0])
        return types


def is_static(path):
    types = elf_program_header_types(path)
    return PT_INTERP not in types and PT_DYNAMIC not in types


def shared_libraries(path):
    """The loader and libraries a dynamically linked program needs (from ldd)."""
    out = subprocess.run(["ldd", path], capture_output=True, text=True, check=True).stdout
    libs = []
    for line in out.splitlines():
        parts = line.split()
        for p in parts:
            if p.startswith("/"):
                libs.append(p)
                break
    return libs


class EmptyRoot:
    """A directory tree holding only multus, the plugins (with a private runtime), a
    hosts/resolv.conf pair and the directories multus is configured to use."""

    def __init__(self, path, multus_bin):
        self.path = path
        self.bin = self._dir("opt/cni/bin")
        self.runtime = self._dir("plugin-runtime")
        for sub in ("etc/cni/net.d/multus.d", "etc/cni/multus/net.d", "var/lib/cni", "ipam",
                    "run/netns", "proc", "sys", "dev"):
            self._dir(sub)
        shutil.copy2(multus_bin, os.path.join(self.bin, "multus"))
        for plugin in PLUGINS:
            self._add_plugin(os.path.join("/usr/lib/cni", plugin))
        self.write("etc/hosts", f"127.0.0.1 localhost\n127.0.0.1 {API_HOST}\n")
        # Nothing answers DNS here: the name must come from /etc/hosts.
        self.write("etc/resolv.conf", "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")

    def _dir(self, sub):
        path = os.path.join(self.path, sub)
        os.makedirs(path, exist_ok=True)
        return path

    def _add_plugin(self, source):
        target = os.path.join(self.bin, os.path.basename(source))
        shutil.copy2(source, target)
        if is_static(source):
            return
        for lib in shared_libraries(source):
            shutil.copy2(lib, os.path.join(self.runtime, os.path.basename(lib)))
            if "ld-linux" in lib:
                interpreter = "/plugin-runtime/" + os.path.basename(lib)
        subprocess.run([PATCHELF, "--set-interpreter", interpreter, "--set-rpath",
                        "/plugin-runtime", target], check=True)

    def write(self, sub, text):
        with open(os.path.join(self.path, sub), "w") as f:
            f.write(text)

    def host(self, sub):
        return os.path.join(self.path, sub.lstrip("/"))

    def entries(self):
        return sorted(os.listdir(self.path))


class StaticChrootTest(K8sTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not is_static(cls.multus_bin):
            raise unittest.SkipTest("multus was built with MULTUS_STATIC=OFF (e.g. a sanitizer "
                                    "build): only the static build runs without the host")
        if PATCHELF is None:
            raise unittest.SkipTest("patchelf is needed to give Debian's plugins a private "
                                    "runtime (scripts/install-deps.sh installs it)")
        # The apiserver's certificate must name the host name multus connects to.
        cls.pki = fx.make_pki(os.path.join(cls.pki_dir, "pki-static"),
                              san_dns=("localhost", API_HOST))

    def setUp(self):
        super().setUp()
        self.root = EmptyRoot(os.path.join(self.env.tmp, "root"), self.multus_bin)
        self.root.write("etc/cni/net.d/multus.d/multus.kubeconfig", "")
        fx.write_kubeconfig(self.root.host("etc/cni/net.d/multus.d/multus.kubeconfig"),
                            f"https://{API_HOST}:{self.api.port}", ca_pem=self.pki.ca_pem(),
                            token=self.api.token)

    def conf(self):
        return {
            "cniVersion": "1.0.0",
            "name": "multus-cni-network",
            "type": "multus",
            "kubeconfig": "/etc/cni/net.d/multus.d/multus.kubeconfig",
            "confDir": "/etc/cni/multus/net.d",
            "cniDir": "/var/lib/cni/multus",
            "binDir": "/opt/cni/bin",
            "clusterNetwork": "cluster-net",
        }

    def ipam(self, subnet):
        return {"type": "host-local", "subnet": subnet, "dataDir": "/ipam"}

    def run_chrooted(self, command, pod, argv=()):
        """multus in the node netns, chroot'ed into the empty root, as kubelet runs it. The pod
        netns and the kernel's /proc and /sys are bind-mounted in ip-netns-exec's private mount
        namespace, so nothing is mounted on the machine."""
        # `sh -c script sh <pod netns> <root> <multus_bin> argv...`
        script = ('set -e; pod=$1; root=$2; shift 3; touch "$root/run/netns/pod"; '
                  'mount --bind "$pod" "$root/run/netns/pod"; mount --rbind /proc "$root/proc"; '
                  'mount --rbind /sys "$root/sys"; exec chroot "$root" /opt/cni/bin/multus "$@"')
        wrapper = ("sh", "-c", script, "sh", pod.path, self.root.path)
        proc, env, stdin = self.env.start_multus(
            command, self.conf(), pod=pod, netns="/run/netns/pod", cni_path="/opt/cni/bin",
            wrapper=wrapper, argv=argv)
        try:
            out, err = proc.communicate(stdin, timeout=120)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid)
            out, err = proc.communicate()
            self.fail(f"chroot'ed multus {command} hung\nstderr: {err[-4000:]!r}")
        return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")

    def test_the_binary_is_static(self):
        types = elf_program_header_types(self.multus_bin)
        self.assertNotIn(PT_INTERP, types, "multus asks for a dynamic loader")
        self.assertNotIn(PT_DYNAMIC, types, "multus has a dynamic section")

    def test_add_check_del_in_an_empty_root_reaching_the_apiserver_by_name(self):
        self.assertEqual(self.root.entries(),
                         ["dev", "etc", "ipam", "opt", "plugin-runtime", "proc", "run", "sys",
                          "var"])
        for absent in ("lib", "lib64", "usr", "etc/nsswitch.conf", "etc/ssl", "bin"):
            self.assertFalse(os.path.exists(self.root.host(absent)), absent)

        bridge = {"cniVersion": "1.0.0", "name": "cluster-net", "type": "bridge",
                  "bridge": self.env.new_bridge_name(), "isGateway": True,
                  "ipam": self.ipam("10.231.7.0/24")}
        macvlan = {"cniVersion": "1.0.0", "name": "macvlan-conf", "type": "macvlan",
                   "master": self.env.veth_master, "mode": "bridge",
                   "ipam": self.ipam("172.29.7.0/24")}
        self.add_nad(MULTUS_NAMESPACE, "cluster-net", bridge)
        self.add_nad("default", "macvlan-conf", macvlan)
        pod = self.new_k8s_pod(networks="macvlan-conf")

        self.api.reset_requests()
        rc, out, err = self.run_chrooted("ADD", pod)
        self.assertEqual(rc, 0, f"ADD failed\nstdout: {out}\nstderr: {err}")
        result = json.loads(out)
        self.assertEqual(result["cniVersion"], "1.0.0", out)
        self.assertTrue(result["ips"][0]["address"].startswith("10.231.7."), out)
        requests = self.api.requests()
        self.assertIn(("GET", pod_path("default", pod.name)),
                      [(r["method"], r["path"]) for r in requests])

        self.assert_pod_links(pod, {"lo", "eth0", "net1"})
        addrs = self.env.addrs(pod.netns)
        self.assertTrue(addrs["eth0"][0].startswith("10.231.7."), addrs)
        self.assertTrue(addrs["net1"][0].startswith("172.29.7."), addrs)
        self.assert_network_status(pod, [("kube-system/cluster-net", "eth0", True),
                                         ("default/macvlan-conf", "net1", False)])
        self.assertEqual(len(os.listdir(self.root.host("ipam/cluster-net"))) > 0, True)

        rc, out, err = self.run_chrooted("CHECK", pod)
        self.assertEqual(rc, 0, f"CHECK failed\nstdout: {out}\nstderr: {err}")

        rc, out, err = self.run_chrooted("DEL", pod)
        self.assertEqual(rc, 0, f"DEL failed\nstdout: {out}\nstderr: {err}")
        self.assert_pod_links(pod, {"lo"})
        leftover_ips = [f for net in ("cluster-net", "macvlan-conf")
                        for f in os.listdir(self.root.host(f"ipam/{net}"))
                        if f[0].isdigit() and not f.startswith("last_reserved")]
        self.assertEqual(leftover_ips, [])
        cache = self.root.host("var/lib/cni/multus")
        leftovers = [os.path.relpath(os.path.join(d, f), cache)
                     for d, _, files in os.walk(cache) for f in files
                     if pod.container_id in f and not d.endswith("locks")]
        self.assertEqual(leftovers, [])

    def test_version_in_the_empty_root(self):
        pod = self.new_k8s_pod(create=False)
        rc, out, err = self.run_chrooted("VERSION", pod)
        self.assertEqual(rc, 0, err)
        self.assertIn("1.1.0", json.loads(out)["supportedVersions"])
        rc, out, err = self.run_chrooted(None, pod, argv=("--version",))
        self.assertEqual(rc, 0, err)
        self.assertTrue(out.startswith("multus: version:"), out)


class OldUserlandTest(unittest.TestCase):
    """multus inside a Debian bullseye minbase tree (glibc 2.31, older than the 2.36 it was
    built against), made by scripts/old-userland.sh."""

    def test_version_and_usage_under_glibc_2_31(self):
        root = os.environ.get("MULTUS_OLD_USERLAND", "")
        if not root or not os.path.isdir(root):
            self.skipTest("no old userland: scripts/old-userland.sh could not make one "
                          "(MULTUS_OLD_USERLAND unset)")
        multus_bin = os.environ.get("MULTUS_BIN", "")
        if not is_static(multus_bin):
            self.skipTest("multus was built with MULTUS_STATIC=OFF")
        libc = subprocess.run([CHROOT, root, "ldd", "--version"], capture_output=True,
                              text=True).stdout.splitlines()[0]
        self.assertIn("2.31", libc)
        target = os.path.join(root, "usr/local/bin/multus-under-test")
        shutil.copy2(multus_bin, target)
        self.addCleanup(os.unlink, target)
        env = {"PATH": "/usr/bin:/bin", "CNI_COMMAND": "VERSION"}
        run = subprocess.run([CHROOT, root, "/usr/local/bin/multus-under-test"], env=env,
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("1.1.0", json.loads(run.stdout)["supportedVersions"])
        run = subprocess.run([CHROOT, root, "/usr/local/bin/multus-under-test", "-version"],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertTrue(run.stdout.startswith("multus: version:"), run.stdout)



class ShimInAnEmptyRootTest(unittest.TestCase):
    """multus-shim, which the runtime runs on the host like multus, needs nothing from it
    either: in a root holding only the shim, it answers VERSION, and a DEL with no daemon and
    nothing cached succeeds (nothing to delete)."""

    def test_version_and_a_del_with_nothing_to_delete(self):
        from test_shim import find_shim
        shim = find_shim()
        if shim is None or not is_static(shim):
            self.skipTest("multus-shim not built, or built with MULTUS_STATIC=OFF")
        root = tempfile.mkdtemp(prefix="shim-root-")
        self.addCleanup(shutil.rmtree, root, ignore_errors=True)
        os.makedirs(os.path.join(root, "opt/cni/bin"))
        shutil.copy2(shim, os.path.join(root, "opt/cni/bin/multus-shim"))
        run = subprocess.run([CHROOT, root, "/opt/cni/bin/multus-shim"],
                             env={"CNI_COMMAND": "VERSION"}, capture_output=True, text=True,
                             timeout=60)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("1.1.0", json.loads(run.stdout)["supportedVersions"])
        conf = {"cniVersion": "1.0.0", "name": "multus-cni-network", "type": "multus-shim"}
        env = {"CNI_COMMAND": "DEL", "CNI_CONTAINERID": "c0ffee", "CNI_NETNS": "/run/netns/x",
               "CNI_IFNAME": "eth0", "CNI_PATH": "/opt/cni/bin"}
        run = subprocess.run([CHROOT, root, "/opt/cni/bin/multus-shim"], env=env,
                             input=json.dumps(conf), capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 0, (run.stdout, run.stderr))
        self.assertEqual(sorted(os.listdir(root)), ["opt"], "the shim wrote into the root")

if __name__ == "__main__":
    unittest.main()
