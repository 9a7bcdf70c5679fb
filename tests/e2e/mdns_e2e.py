#!/usr/bin/env python3
"""mDNS advertisement against a real avahi-daemon. The test re-runs itself
in a network and mount namespace of its own (unshare -n -m, as root): a veth
pair with the MULTICAST flag, a private dbus-daemon on a socket in a temp
dir (DBUS_SYSTEM_BUS_ADDRESS for avahi-daemon, the gateway and avahi-browse),
avahi-daemon on that veth only, a tmpfs on /run for its pid file. Then
avahi-browse -rpt shows what the gateway advertises.
Usage: mdns_e2e.py BINARY DATA_DIR TEST; exit 77 when the environment lacks
root, namespaces or the avahi/dbus tools."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gateway_e2e import fail, stop, wait_for  # noqa: E402

BIN, DATA, TEST = sys.argv[1], sys.argv[2], sys.argv[3]
TOOLS = ["unshare", "ip", "mount", "dbus-daemon", "avahi-daemon", "avahi-browse"]
IFACE, PEER, ADDR = "p1gw0", "p1gw1", "10.77.0.1"
HOST = socket.gethostname()
INSIDE = "P1GW_MDNS_NAMESPACE"


def skip(why):
    print("SKIP:", why)
    sys.exit(77)


def enter_namespace():
    """Re-runs this script in new network and mount namespaces."""
    if os.geteuid() != 0:
        skip("needs root for network namespaces")
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        skip("missing " + ", ".join(missing))
    if subprocess.run(["unshare", "-n", "-m", "true"], capture_output=True).returncode != 0:
        skip("unshare -n -m is not permitted here")
    env = dict(os.environ, **{INSIDE: "1"})
    r = subprocess.run(["unshare", "-n", "-m", "--propagation", "private", sys.executable,
                        os.path.abspath(__file__)] + sys.argv[1:], env=env)
    sys.exit(r.returncode)


def sh(*args):
    r = subprocess.run(list(args), capture_output=True, text=True)
    if r.returncode != 0:
        return r.stderr.strip() or "exit %d" % r.returncode
    return None


def set_up_network():
    """lo for the test's own HTTP requests, and a veth pair (this kernel may
    have no dummy driver) with multicast for avahi; /run private."""
    for cmd in (["ip", "link", "set", "lo", "up"],
                ["ip", "link", "add", IFACE, "type", "veth", "peer", "name", PEER],
                ["ip", "link", "set", IFACE, "multicast", "on", "up"],
                ["ip", "link", "set", PEER, "up"],
                ["ip", "addr", "add", ADDR + "/24", "dev", IFACE],
                ["mount", "-t", "tmpfs", "tmpfs", "/run"]):
        err = sh(*cmd)
        if err:
            skip("%s: %s" % (" ".join(cmd), err))
    os.mkdir("/run/avahi-daemon")


BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"""

AVAHI_CONFIG = """[server]
host-name=p1gw-e2e
domain-name=local
use-ipv4=yes
use-ipv6=no
allow-interfaces=%s
disallow-other-stacks=yes
enable-dbus=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
[reflector]
[rlimits]
"""


def unescape(label):
    """avahi-browse -p's label escapes: \\DDD per byte (decimal), \\c."""
    raw = re.sub(rb"\\(\d{3}|.)",
                 lambda m: bytes([int(m.group(1))]) if m.group(1).isdigit() else m.group(1),
                 label.encode())
    return raw.decode("utf-8", "replace")


class Env:
    """The private bus, avahi-daemon (started and stopped at will), the
    gateway, and avahi-browse."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.bus_path = os.path.join(tmp, "system_bus_socket")
        self.env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=" + self.bus_path)
        for k in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "JOURNAL_STREAM", "INVOCATION_ID"):
            self.env.pop(k, None)
        self.procs = []
        self.avahi = None
        self.avahi_runs = 0
        with open(os.path.join(tmp, "bus.conf"), "w") as f:
            f.write(BUS_CONFIG % self.bus_path)
        with open(os.path.join(tmp, "avahi-daemon.conf"), "w") as f:
            f.write(AVAHI_CONFIG % IFACE)

    def spawn(self, args, log):
        out = open(os.path.join(self.tmp, log), "ab")
        # A session of its own: close() ends it with whatever it started.
        p = subprocess.Popen(args, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                             start_new_session=True)
        self.procs.append(p)
        return p

    def log(self, name):
        try:
            with open(os.path.join(self.tmp, name), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def start_bus(self):
        self.spawn(["dbus-daemon", "--config-file=" + os.path.join(self.tmp, "bus.conf"),
                    "--nofork", "--nopidfile"], "dbus.log")
        wait_for(lambda: os.path.exists(self.bus_path), "the private system bus socket")

    def start_avahi(self):
        """Starts avahi-daemon; returns when it said it is up."""
        self.avahi_runs += 1
        log = "avahi-%d.log" % self.avahi_runs
        self.avahi = self.spawn(["avahi-daemon", "--no-drop-root", "--no-chroot", "--no-rlimits",
                                 "--no-proc-title", "-f",
                                 os.path.join(self.tmp, "avahi-daemon.conf")], log)
        wait_for(lambda: "Server startup complete" in self.log(log) or self.avahi.poll() is not None,
                 "avahi-daemon startup")
        if self.avahi.poll() is not None:
            fail("avahi-daemon exited: %s" % self.log(log)[-2000:])

    def stop_avahi(self):
        self.avahi.send_signal(signal.SIGTERM)
        self.avahi.wait(timeout=10)

    def gateway(self, cfg):
        return self.spawn([BIN, "--config", cfg], "gateway.log")

    def browse(self, service_type):
        """Resolved services of a type from avahi-browse -rpt: sorted, distinct
        (name, port, TXT as sorted (key, value) pairs), one per interface seen."""
        r = subprocess.run(["avahi-browse", "-rpt", service_type], env=self.env,
                           capture_output=True, text=True, timeout=20)
        out = []
        for line in r.stdout.splitlines():
            f = line.split(";")
            if len(f) < 10 or f[0] != "=":
                continue
            name = unescape(f[3])
            txt = {}
            for item in re.findall(r'"((?:[^"\\]|\\.)*)"', ";".join(f[9:])):
                k, _, v = item.partition("=")
                txt[k] = v
            out.append((name, int(f[8]), txt))
        return sorted(set((n, p, tuple(sorted(t.items()))) for n, p, t in out))

    def ours(self, service_type):
        return [(n, p, dict(t)) for n, p, t in self.browse(service_type)
                if n.startswith("p1gateway") or n.startswith("Zähler")]

    def close(self):
        for p in reversed(self.procs):
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def write_config(path, ports, meters=("home",), extra_listeners=(), hw=True, mdns=True,
                 name=None, interfaces=None):
    """ports: dict of names to port numbers (raw, telnet, rfc2217, hw, http)."""
    with open(path, "w") as f:
        f.write('[gateway]\nlog_level = "debug"\n[http]\nlisten = "0.0.0.0:%d"\n' % ports["http"])
        if mdns:
            f.write("[mdns]\nenabled = true\n")
            if name:
                f.write('name = "%s"\n' % name)
            if interfaces:
                f.write("interfaces = [%s]\n" % ", ".join('"%s"' % i for i in interfaces))
        for i, meter in enumerate(meters):
            f.write('[[meters]]\nname = "%s"\nsimulate = "dsmr5"\n' % meter)
            if hw:
                f.write('homewizard = "0.0.0.0:%d"\n' % (ports["hw"] + i))
            listeners = [("raw", ports["raw"] + 10 * i)] if i == 0 else []
            listeners += [l for l in extra_listeners if i == 0]
            for proto, port in listeners:
                f.write('  [[meters.listeners]]\n  listen = "0.0.0.0:%d"\n  protocol = "%s"\n'
                        % (port, proto))


def free_ports():
    base = 20000  # the namespace's own port space: all free
    return {"raw": base, "telnet": base + 1, "rfc2217": base + 2, "hw": base + 3,
            "http": base + 6}


def wait_services(env, service_type, want, what, timeout=30):
    """Waits until the gateway's services of a type are exactly `want`
    (a set of (name, port)); returns them with their TXT records."""
    last = []

    def ok():
        nonlocal last
        last = env.ours(service_type)
        return set((n, p) for n, p, _ in last) == want
    end = time.time() + timeout
    while time.time() < end:
        if ok():
            return last
        time.sleep(0.1)
    fail("%s: %s is %s, want %s\ngateway log:\n%s" % (what, service_type, last, sorted(want),
                                                   env.log("gateway.log")[-3000:]))


def hw_serial(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/api" % port, timeout=10) as r:
        return json.loads(r.read())["serial"]


def test_publish(env, tmp):
    """Every port with its TXT records, as Home Assistant and openHAB read
    them; the HomeWizard TXT serial is what GET /api answers; SIGTERM
    withdraws everything."""
    env.start_bus()
    env.start_avahi()
    ports = free_ports()
    cfg = os.path.join(tmp, "g.toml")
    write_config(cfg, ports, extra_listeners=[("telnet", ports["telnet"]),
                                              ("rfc2217", ports["rfc2217"])],
                 interfaces=[IFACE, "nosuch0"])
    t0 = time.time()
    gw = env.gateway(cfg)
    hw = wait_services(env, "_hwenergy._tcp", {("p1gateway home on " + HOST, ports["hw"])},
                       "HomeWizard service")
    print("published %.2f s after the gateway started (daemon already up)" % (time.time() - t0))
    txt = hw[0][2]
    expected = {"api_enabled": "1", "path": "/api/v1", "product_name": "P1 meter",
                "product_type": "HWE-P1"}
    for k, v in expected.items():
        if txt.get(k) != v:
            fail("_hwenergy TXT %s=%r, want %r (all: %s)" % (k, txt.get(k), v, txt))
    if not re.fullmatch(r"[0-9a-f]{12}", txt.get("serial", "")):
        fail("_hwenergy serial %r is not 12 hex digits" % txt.get("serial"))
    if hw_serial(ports["hw"]) != txt["serial"]:
        fail("GET /api serial %s differs from the TXT serial %s" % (hw_serial(ports["hw"]),
                                                                    txt["serial"]))
    stacks = {"raw": "tcp", "telnet": "telnet,tcp", "rfc2217": "telnet(rfc2217),tcp"}
    io = wait_services(env, "_iostream._tcp",
                       {("p1gateway home %s on %s" % (p, HOST), ports[p]) for p in stacks},
                       "proxy listeners")
    for name, port, t in io:
        proto = name.split()[2]
        want = {"provider": "p1gateway", "meter": "home", "gensiostack": stacks[proto]}
        if t != want:
            fail("_iostream TXT of %s is %s, want %s" % (name, t, want))
    page = wait_services(env, "_http._tcp", {("p1gateway on " + HOST, ports["http"])}, "web page")
    if page[0][2] != {"path": "/"}:
        fail("_http TXT %s" % page[0][2])
    prom = wait_services(env, "_prometheus-http._tcp", {("p1gateway on " + HOST, ports["http"])},
                         "metrics")
    if prom[0][2] != {"path": "/metrics"}:
        fail("_prometheus-http TXT %s" % prom[0][2])
    if "interface nosuch0 does not exist" not in env.log("gateway.log"):
        fail("a missing interface in [mdns] interfaces is not logged")
    stop(gw)
    for t in ("_hwenergy._tcp", "_iostream._tcp", "_http._tcp", "_prometheus-http._tcp"):
        wait_services(env, t, set(), "withdrawal after SIGTERM")


def test_daemon_later(env, tmp):
    """The gateway starts with no avahi-daemon, publishes once one comes up,
    and again after the daemon restarts."""
    env.start_bus()
    ports = free_ports()
    cfg = os.path.join(tmp, "g.toml")
    write_config(cfg, ports)
    gw = env.gateway(cfg)
    wait_for(lambda: "waiting for avahi-daemon" in env.log("gateway.log"),
             "the gateway waiting for avahi-daemon")
    if gw.poll() is not None:
        fail("the gateway exited without avahi-daemon")
    # It serves meanwhile: the HomeWizard API answers.
    wait_for(lambda: hw_serial(ports["hw"]), "the HomeWizard API without avahi-daemon")
    want = {("p1gateway home on " + HOST, ports["hw"])}
    for round_ in ("first start", "restart"):
        if round_ == "restart":
            env.stop_avahi()
            wait_for(lambda: "lost avahi-daemon" in env.log("gateway.log"),
                     "the gateway noticing the daemon left")
        t0 = time.time()
        env.start_avahi()
        t_up = time.time()
        wait_services(env, "_hwenergy._tcp", want, "publication after the daemon's " + round_)
        wait_services(env, "_iostream._tcp", {("p1gateway home raw on " + HOST, ports["raw"])},
                      "proxy listener after the daemon's " + round_)
        print("%s: browsable %.2f s after avahi-daemon was launched (%.2f s after it said "
              "'startup complete')" % (round_, time.time() - t0, time.time() - t_up))
    t0 = time.time()
    env.browse("_hwenergy._tcp")
    print("one avahi-browse -rpt takes %.2f s (part of the figures above)" % (time.time() - t0))
    m = re.findall(r"all \d+ service\(s\) established (\d+) ms after publishing began",
                   env.log("gateway.log"))
    print("gateway: all established %s ms after the daemon was ready" % m)
    longest = re.findall(r"longest blocking avahi call so far: (\d+) us", env.log("gateway.log"))
    print("gateway: longest stretch of synchronous avahi calls: %s us" % longest[-1:])
    for line in re.findall(r"mdns: \w+ held the loop \d+ us", env.log("gateway.log")):
        print("gateway:", line)
    if len(m) < 2:
        fail("expected two 'established' lines: %s" % env.log("gateway.log")[-2000:])
    stop(gw)


def test_reload(env, tmp):
    """SIGHUP with a new listener and a new meter publishes them; a rejected
    reload keeps the set; a reload without a listener withdraws it; a
    reload that disables [mdns] withdraws everything, one that enables it
    again publishes."""
    env.start_bus()
    env.start_avahi()
    ports = free_ports()
    cfg = os.path.join(tmp, "g.toml")
    write_config(cfg, ports)
    gw = env.gateway(cfg)
    raw = ("p1gateway home raw on " + HOST, ports["raw"])
    telnet = ("p1gateway home telnet on " + HOST, ports["telnet"])
    wait_services(env, "_iostream._tcp", {raw}, "the first listener")
    wait_services(env, "_hwenergy._tcp", {("p1gateway home on " + HOST, ports["hw"])}, "hw")

    write_config(cfg, ports, meters=("home", "garage"), extra_listeners=[("telnet",
                                                                          ports["telnet"])])
    t0 = time.time()
    gw.send_signal(signal.SIGHUP)
    wait_services(env, "_iostream._tcp", {raw, telnet}, "the listener added by a reload")
    print("reload: new listener browsable %.2f s after SIGHUP" % (time.time() - t0))
    wait_services(env, "_hwenergy._tcp", {("p1gateway home on " + HOST, ports["hw"]),
                                          ("p1gateway garage on " + HOST, ports["hw"] + 1)},
                  "the meter added by a reload")

    with open(cfg, "w") as f:
        f.write("[mdns]\nenabled = maybe\n")
    gw.send_signal(signal.SIGHUP)
    wait_for(lambda: "reload failed" in env.log("gateway.log"), "the rejected reload")
    wait_services(env, "_iostream._tcp", {raw, telnet}, "the set after a rejected reload")

    write_config(cfg, ports, meters=("home",), hw=True)
    gw.send_signal(signal.SIGHUP)
    wait_services(env, "_iostream._tcp", {raw}, "withdrawal of a removed listener")
    wait_services(env, "_hwenergy._tcp", {("p1gateway home on " + HOST, ports["hw"])},
                  "withdrawal of a removed meter")

    write_config(cfg, ports, mdns=False)
    gw.send_signal(signal.SIGHUP)
    wait_services(env, "_iostream._tcp", set(), "withdrawal when [mdns] is disabled")
    wait_services(env, "_hwenergy._tcp", set(), "withdrawal when [mdns] is disabled")

    write_config(cfg, ports, interfaces=[IFACE])
    gw.send_signal(signal.SIGHUP)
    wait_services(env, "_iostream._tcp", {raw}, "publication when a reload enables [mdns]")

    # Other interfaces: a new client, everything published again.
    def connects():
        return env.log("gateway.log").count("mdns: avahi-daemon is running")
    before = connects()
    write_config(cfg, ports, interfaces=[IFACE, PEER])
    gw.send_signal(signal.SIGHUP)
    wait_for(lambda: connects() > before, "a new avahi client for other interfaces")
    wait_services(env, "_iostream._tcp", {raw}, "publication on the new interfaces")
    stop(gw)


def test_collision(env, tmp):
    """A name already published on this host (another program's) makes the
    gateway take avahi's alternative name, and says so."""
    env.start_bus()
    env.start_avahi()
    ports = free_ports()
    taken = "p1gateway home on " + HOST
    squatter = env.spawn(["avahi-publish", "-s", taken, "_hwenergy._tcp", "9", "squat=1"],
                         "squatter.log")
    wait_for(lambda: any(n == taken for n, _, _ in env.browse("_hwenergy._tcp")),
             "the other program's service")
    cfg = os.path.join(tmp, "g.toml")
    write_config(cfg, ports, name="Zähler")
    gw = env.gateway(cfg)
    # A custom prefix: no clash yet.
    wait_services(env, "_hwenergy._tcp", {(taken, 9), ("Zähler home on " + HOST, ports["hw"])},
                  "the custom prefix")
    write_config(cfg, ports)
    gw.send_signal(signal.SIGHUP)
    wait_services(env, "_hwenergy._tcp", {(taken, 9), (taken + " #2", ports["hw"])},
                  "the renamed service")
    if "renamed to '%s #2'" % taken not in env.log("gateway.log"):
        fail("no rename logged: %s" % env.log("gateway.log")[-2000:])
    stop(gw)
    squatter.terminate()


PEER_SCRIPT = """set -e
ip link set lo up
i=0; until ip link show {peer} >/dev/null 2>&1; do i=$((i+1)); [ $i -lt 200 ]; sleep 0.05; done
ip addr add 10.77.0.2/24 dev {peer}
ip link set {peer} multicast on up
mount -t tmpfs tmpfs /run
mkdir /run/avahi-daemon
export DBUS_SYSTEM_BUS_ADDRESS=unix:path={tmp}/peer_bus
dbus-daemon --config-file={tmp}/peer-bus.conf --nofork --nopidfile &
i=0; until [ -S {tmp}/peer_bus ]; do i=$((i+1)); [ $i -lt 200 ]; sleep 0.05; done
avahi-daemon --no-drop-root --no-chroot --no-rlimits --no-proc-title -f {tmp}/peer-avahi.conf &
i=0; until avahi-daemon -c; do i=$((i+1)); [ $i -lt 200 ]; sleep 0.05; done
avahi-publish -s "{name}" _hwenergy._tcp 9 peer=1
"""


def start_peer(env, tmp, name):
    """Another host on the veth's far end: its own network and mount
    namespaces, bus and avahi-daemon, publishing `name` (_hwenergy._tcp
    port 9). Returns once that name is established there."""
    with open(os.path.join(tmp, "peer-bus.conf"), "w") as f:
        f.write(BUS_CONFIG % os.path.join(tmp, "peer_bus"))
    with open(os.path.join(tmp, "peer-avahi.conf"), "w") as f:
        f.write(AVAHI_CONFIG.replace("host-name=p1gw-e2e", "host-name=p1gw-peer") % PEER)
    peer = env.spawn(["unshare", "-n", "-m", "--propagation", "private", "sh", "-c",
                      PEER_SCRIPT.format(peer=PEER, tmp=tmp, name=name)], "peer.log")
    own = os.readlink("/proc/self/ns/net")
    wait_for(lambda: os.readlink("/proc/%d/ns/net" % peer.pid) != own,
             "the peer's network namespace")
    err = sh("ip", "link", "set", PEER, "netns", str(peer.pid))
    if err:
        fail("cannot move %s into the peer's namespace: %s" % (PEER, err))
    wait_for(lambda: "Established under name" in env.log("peer.log") or peer.poll() is not None,
             "the peer's service")
    if peer.poll() is not None:
        fail("the peer stack exited: %s" % env.log("peer.log")[-2000:])


def test_network_collision(env, tmp):
    """A name another host already has on the network: the gateway's probe
    loses (entry group COLLISION) and it takes avahi's alternative name."""
    taken = "p1gateway home on " + HOST
    start_peer(env, tmp, taken)
    env.start_bus()
    env.start_avahi()
    wait_for(lambda: (taken, 9) in [(n, p) for n, p, _ in env.browse("_hwenergy._tcp")],
             "the peer's service seen across the veth")
    ports = free_ports()
    cfg = os.path.join(tmp, "g.toml")
    write_config(cfg, ports)
    gw = env.gateway(cfg)
    wait_services(env, "_hwenergy._tcp", {(taken, 9), (taken + " #2", ports["hw"])},
                  "the service renamed after a conflict on the network")
    if "is taken on the network; renamed to '%s #2'" % taken not in env.log("gateway.log"):
        fail("no network conflict logged: %s" % env.log("gateway.log")[-2000:])
    stop(gw)


def main():
    if os.environ.get(INSIDE) != "1":
        enter_namespace()
    set_up_network()
    with tempfile.TemporaryDirectory() as tmp:
        env = Env(tmp)
        try:
            {"publish": test_publish, "daemon_later": test_daemon_later, "reload": test_reload,
             "collision": test_collision,
             "network_collision": test_network_collision}[TEST](env, tmp)
        finally:
            env.close()
    print("ok", TEST)


if __name__ == "__main__":
    main()
