#!/usr/bin/env python3
"""Black-box tests of the built p1gateway binary: pty meters, TCP clients,
/metrics, signals, exit codes. Usage: gateway_e2e.py BINARY DATA_DIR TEST"""
import contextlib
import json
import os
import pty
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import tty
import urllib.request

BIN, DATA, TEST = sys.argv[1], sys.argv[2], sys.argv[3]
DEADLINE = 20.0


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(cond, what, timeout=DEADLINE):
    end = time.time() + timeout
    while time.time() < end:
        try:
            v = cond()
            if v:
                return v
        except OSError:
            pass
        time.sleep(0.05)
    fail("timed out waiting for " + what)


def read_telegram(sock, timeout=DEADLINE, telnet=False):
    """Reads from sock until one complete '/'..'!XXXX\\r\\n' telegram arrived.
    telnet: a telnet/rfc2217 listener; negotiation is removed and the
    telegram starts at its '/'."""
    sock.settimeout(timeout)
    buf = b""
    end = time.time() + timeout
    while time.time() < end:
        data = telnet_data(buf) if telnet else buf
        start = data.find(b"/") if telnet else 0
        bang = data.find(b"!", max(start, 0))
        if start >= 0 and bang >= 0 and data.find(b"\r\n", bang) >= 0:
            return data[start: data.find(b"\r\n", bang) + 2]
        chunk = sock.recv(65536)
        if not chunk:
            fail("connection closed before a whole telegram")
        buf += chunk
    fail("no telegram within %ss" % timeout)


def metrics(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
        return r.read().decode()


def metric_value(text, name, labels):
    for line in text.splitlines():
        if line.startswith(name + "{") and all('%s="%s"' % kv in line for kv in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def corpus(name):
    return open(os.path.join(DATA, name), "rb").read()


@contextlib.contextmanager
def running(args, sig=signal.SIGTERM, stderr=None):
    """Runs BIN with `args` for the with-block; then stops it with `sig`
    and requires a clean exit (code 0 within 10 s)."""
    proc = subprocess.Popen([BIN] + args, stderr=stderr)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            stop(proc, sig)


def stop(proc, sig=signal.SIGTERM):
    proc.send_signal(sig)
    try:
        rc = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        fail("gateway did not exit within 10 s of signal %d" % sig)
    if rc != 0:
        fail("gateway exited with %d after signal %d" % (rc, sig))


class PtyMeter:
    def __init__(self, link):
        self.master, slave = pty.openpty()
        tty.setraw(slave)
        self.link = link
        os.symlink(os.ttyname(slave), link)
        os.close(slave)

    def write(self, data):
        os.write(self.master, data)


def test_three_pty_meters(tmp):
    files = ["dsmr-tools__dsmr50__onrealdsmr5-parse-real-telegram.txt",
             "dsmr_parser__be-emucs__fluvius-v171.txt",
             "dsmr-tools__dsmr42__onrealdsmr4-parse-real-telegram-with-gas.txt"]
    telegrams = [corpus(f) for f in files]
    meters = [PtyMeter(os.path.join(tmp, "meter%d" % i)) for i in range(3)]
    ports = [free_port() for _ in range(3)]
    mport = free_port()
    cfg = os.path.join(tmp, "gw.toml")
    with open(cfg, "w") as f:
        f.write('[metrics]\nlisten = "127.0.0.1:%d"\n' % mport)
        for i, m in enumerate(meters):
            f.write('[[meters]]\nname = "m%d"\nserial = "%s"\npreset = "dsmr5"\n'
                    'labels = { house = "h%d" }\n'
                    '  [[meters.listeners]]\n  listen = "127.0.0.1:%d"\n' % (i, m.link, i, ports[i]))
    with running(["--config", cfg]):
        socks = [wait_for(lambda p=p: socket.create_connection(("127.0.0.1", p), timeout=1),
                          "listener %d" % p) for p in ports]
        wait_for(lambda: all(metric_value(metrics(mport), "p1gateway_source_connected",
                                          {"meter": "m%d" % i}) == 1 for i in range(len(meters))),
                 "every serial source open")
        for i, m in enumerate(meters):
            m.write(b"noise\x00" + telegrams[i][:50])
            m.write(telegrams[i][50:])
        for i, s in enumerate(socks):
            got = read_telegram(s)
            if got != telegrams[i]:
                fail("meter %d: client got %r... instead of its telegram" % (i, got[:60]))
        text = wait_for(lambda: (lambda t: t if metric_value(t, "p1gateway_telegrams_total",
                                                             {"meter": "m2"}) == 1 else None)(metrics(mport)),
                        "telegram counters")
        for i in range(3):
            if metric_value(text, "dsmr_meter_up", {"meter": "m%d" % i, "house": "h%d" % i}) != 1:
                fail("dsmr_meter_up for m%d is not 1:\n%s" % (i, text))
        # 1-0:1.8.1 of the DSMR 5 sample, in joules.
        line = [l for l in telegrams[0].decode().splitlines() if l.startswith("1-0:1.8.1(")][0]
        kwh = float(line.split("(")[1].split("*")[0])
        got = metric_value(text, "dsmr_electricity_imported_tariff_joules_total",
                           {"meter": "m0", "tariff": "1"})
        if got is None or abs(got - kwh * 3.6e6) > 1e-3:
            fail("tariff 1 joules %r, expected %r" % (got, kwh * 3.6e6))
        for s in socks:
            s.close()


def test_unplug_under_load(tmp):
    """Clients keep their sessions across a device unplug/replug and miss
    nothing sent after the reopen."""
    telegram = corpus("dsmr-tools__dsmr50__onrealdsmr5-parse-real-telegram.txt")
    link = os.path.join(tmp, "usb")
    meter = PtyMeter(link)
    port, mport = free_port(), free_port()
    cfg = os.path.join(tmp, "unplug.toml")
    with open(cfg, "w") as f:
        f.write('[metrics]\nlisten = "127.0.0.1:%d"\n[[meters]]\nname = "usb"\nserial = "%s"\n'
                '  [[meters.listeners]]\n  listen = "127.0.0.1:%d"\n  replay_last = false\n  max_clients = 32\n'
                % (mport, link, port))
    with running(["--config", cfg]):
        clients = [wait_for(lambda: socket.create_connection(("127.0.0.1", port), timeout=1),
                            "listener") for _ in range(20)]
        wait_for(lambda: metric_value(metrics(mport), "p1gateway_clients", {"meter": "usb"}) == 20,
                 "20 clients")
        for round_ in range(2):
            for _ in range(5):
                meter.write(telegram)
                for c in clients:
                    if read_telegram(c) != telegram:
                        fail("round %d: a client got a corrupted telegram" % round_)
            if round_ == 0:
                os.close(meter.master)  # unplug: tty hangup
                os.unlink(link)
                wait_for(lambda: metric_value(metrics(mport), "p1gateway_source_connected",
                                              {"meter": "usb"}) == 0, "unplug seen")
                meter = PtyMeter(link)  # replug under the same path
                wait_for(lambda: metric_value(metrics(mport), "p1gateway_source_reconnects_total",
                                              {"meter": "usb"}) == 1, "reopen")
        # /metrics is served from a snapshot the loop publishes right after the
        # clients' writes; on a loaded machine the scrape can get there first.
        wait_for(lambda: metric_value(metrics(mport), "p1gateway_telegrams_total",
                                      {"meter": "usb"}) == 10, "10 telegrams counted")
        text = metrics(mport)
        if metric_value(text, "p1gateway_telegrams_total", {"meter": "usb"}) != 10:
            fail("expected exactly 10 telegrams counted:\n" + text)
        if metric_value(text, "p1gateway_clients", {"meter": "usb"}) != 20:
            fail("clients lost their sessions")


def telnet_data(buf):
    """Strips telnet negotiation from what a telnet listener sent and undoes
    the 0xFF doubling: the data bytes a telnet client shows."""
    out, i = bytearray(), 0
    while i < len(buf):
        b = buf[i]
        if b != 0xFF:
            out.append(b)
            i += 1
        elif i + 1 < len(buf) and buf[i + 1] == 0xFF:
            out.append(0xFF)
            i += 2
        elif i + 1 < len(buf) and buf[i + 1] == 250:  # SB ... IAC SE
            end = buf.find(b"\xff\xf0", i)
            i = len(buf) if end < 0 else end + 2
        elif i + 1 < len(buf) and 251 <= buf[i + 1] <= 254:  # WILL/WONT/DO/DONT opt
            i += 3
        else:
            i += 2
    return bytes(out)


def collect(socks, want, timeout=DEADLINE):
    """Reads every socket until each has `want(sock_bytes)` true."""
    import selectors
    sel = selectors.DefaultSelector()
    got = {s: b"" for s in socks}
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    end = time.time() + timeout
    while time.time() < end and not all(want(s, got[s]) for s in socks):
        for key, _ in sel.select(0.2):
            chunk = key.fileobj.recv(1 << 16)
            if not chunk:
                fail("a client was disconnected")
            got[key.fileobj] += chunk
    sel.close()
    return got


def test_fanout_pty(tmp):
    """50 raw + 10 telnet clients get every one of 100 telegrams from a pty
    meter byte-identical; bytes-mode listeners pass encrypted frames (0xFF
    bytes included) through unchanged (raw) or IAC-escaped (telnet)."""
    files = ["dsmr-tools__dsmr50__onrealdsmr5-parse-real-telegram.txt",
             "dsmr_parser__be-emucs__fluvius-v171.txt",
             "dsmr_parser__dsmr42__kaifa.txt"]
    telegrams = [corpus(f) for f in files]
    frame = corpus("openhab-dsmr__lu-smarty__smarty-decrypter-test.bin")
    assert b"\xff" in frame
    plain, enc = PtyMeter(os.path.join(tmp, "plain")), PtyMeter(os.path.join(tmp, "enc"))
    p_raw, p_tel, b_raw, b_tel, mport = (free_port() for _ in range(5))
    cfg = os.path.join(tmp, "fanout.toml")
    with open(cfg, "w") as f:
        f.write('[metrics]\nlisten = "127.0.0.1:%d"\n' % mport +
                '[[meters]]\nname = "plain"\nserial = "%s"\n'
                '  [[meters.listeners]]\n  listen = "127.0.0.1:%d"\n  max_clients = 64\n  replay_last = false\n'
                '  [[meters.listeners]]\n  listen = "127.0.0.1:%d"\n  protocol = "telnet"\n  replay_last = false\n'
                '[[meters]]\nname = "enc"\nserial = "%s"\n'
                '  [[meters.listeners]]\n  listen = "127.0.0.1:%d"\n  payload = "bytes"\n'
                '  [[meters.listeners]]\n  listen = "127.0.0.1:%d"\n  protocol = "telnet"\n  payload = "bytes"\n'
                % (plain.link, p_raw, p_tel, enc.link, b_raw, b_tel))
    # Registered once more per send path (P1GW_IO_URING); the log names it.
    mode = os.environ.get("P1GW_IO_URING", "")
    log = open(os.path.join(tmp, "gateway.log"), "w+")
    with running(["--config", cfg], stderr=log):
        conn = lambda p: wait_for(lambda: socket.create_connection(("127.0.0.1", p), timeout=1),
                                  "listener %d" % p)
        raw = [conn(p_raw) for _ in range(50)]
        tel = [conn(p_tel) for _ in range(10)]
        braw, btel = conn(b_raw), conn(b_tel)
        want = {"plain": (50, 10), "enc": (1, 1)}

        def all_accepted():
            text = metrics(mport)
            return all(metric_value(text, "p1gateway_clients",
                                    {"meter": m, "listener": "127.0.0.1:%d" % p}) == n
                       for m, ports in (("plain", (p_raw, p_tel)), ("enc", (b_raw, b_tel)))
                       for p, n in zip(ports, want[m]))
        wait_for(all_accepted, "every session accepted before the first byte")
        stream = b"".join(telegrams[i % 3] for i in range(100))
        for i in range(100):
            plain.write(telegrams[i % 3])
        enc.write(frame + frame)
        is_telnet = set(tel + [btel])
        data = lambda s, b: telnet_data(b) if s in is_telnet else b
        got = collect(raw + tel, lambda s, b: len(data(s, b)) >= len(stream))
        for s in raw + tel:
            if data(s, got[s]) != stream:
                fail("a %s client's stream differs from the 100 telegrams sent"
                     % ("telnet" if s in is_telnet else "raw"))
        got = collect([braw, btel], lambda s, b: len(data(s, b)) >= 2 * len(frame))
        if got[braw] != frame + frame:
            fail("bytes mode (raw) changed the encrypted frames")
        if telnet_data(got[btel]) != frame + frame or got[btel].count(b"\xff\xff") < frame.count(b"\xff"):
            fail("bytes mode (telnet) did not escape 0xFF")
    log.seek(0)
    text = log.read()
    path = {"on": "in one io_uring submission", "off": "one write per client"}.get(mode)
    if path and path not in text:
        fail("P1GW_IO_URING=%s, but the log does not say %r:\n%s" % (mode, path, text))


def test_demo():
    with running(["--demo"], signal.SIGINT):
        for port, name in [(2001, "home"), (2002, "be"), (2003, "lu"), (2004, "at")]:
            s = wait_for(lambda: socket.create_connection(("127.0.0.1", port), timeout=1),
                         "demo port %d" % port)
            t = read_telegram(s, timeout=15)
            if not t.startswith(b"/"):
                fail("demo port %d: telegram does not start with '/'" % port)
            s.close()
        text = wait_for(lambda: (lambda t: t if metric_value(t, "dsmr_meter_up", {"meter": "lu"}) == 1
                                 else None)(metrics(9464)), "demo metrics")
        for meter in ["home", "be", "lu", "at"]:
            if metric_value(text, "dsmr_electricity_imported_joules_total", {"meter": meter}) is None:
                fail("demo meter %s has no imported energy total" % meter)
        if metric_value(text, "dsmr_gas_cubic_meters_total", {"meter": "home"}) is None:
            fail("demo meter home has no gas series")


def test_bad_config(tmp):
    cfg = os.path.join(tmp, "bad.toml")
    with open(cfg, "w") as f:
        f.write('[[meters]]\nname = "x"\nserial = "/dev/null"\nbogus_key = 1\n')
    r = subprocess.run([BIN, "--config", cfg], capture_output=True, text=True, timeout=10)
    if r.returncode != 2:
        fail("bad config: exit %d, expected 2" % r.returncode)
    if "bad.toml:4:" not in r.stderr or "bogus_key" not in r.stderr:
        fail("bad config: message lacks location or key: %r" % r.stderr)
    r = subprocess.run([BIN, "check-config", cfg], capture_output=True, text=True, timeout=10)
    if r.returncode != 2:
        fail("check-config on a bad file: exit %d" % r.returncode)
    r = subprocess.run([BIN, "no-such-command"], capture_output=True, text=True, timeout=10)
    if r.returncode != 2:
        fail("unknown subcommand: exit %d, expected 2" % r.returncode)


def test_commands(tmp):
    """check-config, list-ports and parse through the binary."""
    src = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    demo = os.path.join(src, "config", "demo.toml")
    r = subprocess.run([BIN, "check-config", demo], capture_output=True, text=True, timeout=10)
    if r.returncode != 0 or 'name = "lu"' not in r.stdout:
        fail("check-config demo.toml: exit %d, out %r" % (r.returncode, r.stdout[:200]))
    if "D491470F" in r.stdout or "<redacted>" not in r.stdout:
        fail("check-config must redact keys")
    r = subprocess.run([BIN, "list-ports"], capture_output=True, text=True, timeout=10)
    if r.returncode != 0:
        fail("list-ports: exit %d, stderr %r" % (r.returncode, r.stderr))
    # parse reads stdin; a stream of two telegrams with junk between gives two lines.
    t = corpus("dsmr_parser__dsmr42__kaifa.txt")
    r = subprocess.run([BIN, "parse", "-"], input=t + b"\x00junk" + t, capture_output=True,
                       timeout=10)
    lines = r.stdout.decode().splitlines()
    if r.returncode != 0 or len(lines) != 2 or '"crc":"valid"' not in lines[1]:
        fail("parse -: exit %d, %d lines" % (r.returncode, len(lines)))
    r = subprocess.run([BIN, "parse", "--key", "nothex", "-"], input=t, capture_output=True, timeout=10)
    if r.returncode != 2:
        fail("parse with a bad key: exit %d, expected 2" % r.returncode)


def test_lazy_libraries(tmp):
    """libcurl (and the TLS, Kerberos, LDAP... libraries it needs, ~3.7 MB of
    RSS) is mapped only into a gateway with a [[remote_write]] target, and
    libmosquitto with libssl (~1.7 MB) only into one with [mqtt]."""
    mport = free_port()
    base = ('[http]\nlisten = "127.0.0.1:%d"\n[[meters]]\nname = "home"\nsimulate = "dsmr5"\n'
            % mport)

    def maps_when_serving(cfg_text):
        cfg = os.path.join(tmp, "lazy.toml")
        with open(cfg, "w") as f:
            f.write(cfg_text)
        with running(["--config", cfg]) as proc:
            wait_for(lambda: "p1gateway_telegrams_total" in metrics(mport), "/metrics")
            return open("/proc/%d/maps" % proc.pid).read()

    plain = maps_when_serving(base)
    for lib in ("libcurl", "libmosquitto", "libssl"):
        if lib in plain:
            fail("%s is mapped without [[remote_write]] or [mqtt]" % lib)
    # The target need not answer: the client is set up at startup.
    rw = '[[remote_write]]\nurl = "http://127.0.0.1:%d/api/v1/write"\n' % free_port()
    if "libcurl" not in maps_when_serving(base + rw):
        fail("libcurl is not mapped with a [[remote_write]] target")
    # Nor need the broker: the client is made at startup, the connect retries.
    mq = '[mqtt]\nbroker = "mqtt://127.0.0.1:%d"\n' % free_port()
    with_mqtt = maps_when_serving(mq + base)
    if "libmosquitto" not in with_mqtt or "libcurl" in with_mqtt:
        fail("[mqtt] should map libmosquitto and not libcurl")


def test_tcp_source(tmp):
    """A meter reading a remote raw port (here: simulate --out tcp-listen)."""
    sim_port, port = free_port(), free_port()
    cfg = os.path.join(tmp, "tcp.toml")
    with open(cfg, "w") as f:
        f.write('[metrics]\nlisten = ""\n[[meters]]\nname = "remote"\ntcp = "localhost:%d"\n'
                '  [[meters.listeners]]\n  listen = "127.0.0.1:%d"\n' % (sim_port, port))
    with running(["simulate", "--variant", "be", "--rate", "10",
                  "--out", "tcp-listen:127.0.0.1:%d" % sim_port]), running(["--config", cfg]):
        s = wait_for(lambda: socket.create_connection(("127.0.0.1", port), timeout=1), "listener")
        for _ in range(3):
            t = read_telegram(s)
            if not t.startswith(b"/FLU5") or b"0-0:98.1.0" not in t:
                fail("tcp source: unexpected telegram %r" % t[:40])
        s.close()


def rfxtrx_packet(data, seq, ptype=0x62, subtype=0x01):
    return bytes([3 + len(data), ptype, subtype, seq & 0xFF]) + data


def test_rfxtrx_tcp(tmp):
    """A P1 cable in an RFXtrx433XL, read over TCP (wrapping = "rfxtrx"):
    the telegram arrives cut into 0x62/0x01 packets between the RFXtrx's
    other packets (a sensor reception, a status reply full of '/'); clients
    get the plain telegram and the skipped packets are counted."""
    telegram = corpus("dsmr_parser__dsmr50__iskra-am550-two-mbus.txt")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    rfx_port, port, mport = server.getsockname()[1], free_port(), free_port()
    cfg = os.path.join(tmp, "rfxtrx.toml")
    with open(cfg, "w") as f:
        f.write('[metrics]\nlisten = "127.0.0.1:%d"\n[[meters]]\nname = "rfx"\n'
                'tcp = "127.0.0.1:%d"\nwrapping = "rfxtrx"\n'
                '  [[meters.listeners]]\n  listen = "127.0.0.1:%d"\n' % (mport, rfx_port, port))
    stream = b""
    for i in range(0, len(telegram), 100):
        stream += rfxtrx_packet(telegram[i:i + 100], i // 100)
        stream += rfxtrx_packet(bytes(range(7)), 0, 0x52, 0x01)
    stream += rfxtrx_packet(b"/" * 20, 1, 0x01, 0x00)
    with running(["--config", cfg]):
        server.settimeout(DEADLINE)
        conn, _ = server.accept()
        client = wait_for(lambda: socket.create_connection(("127.0.0.1", port), timeout=1),
                          "listener")
        # Byte by byte for the first packets: any split must unwrap the same.
        for b in stream[:64]:
            conn.sendall(bytes([b]))
        conn.sendall(stream[64:])
        t = read_telegram(client)
        if t != telegram:
            fail("rfxtrx: got %r..., want the corpus telegram" % t[:40])
        wait_for(lambda: metric_value(metrics(mport), "p1gateway_source_foreign_packets_total",
                                      {"meter": "rfx"}) == len(range(0, len(telegram), 100)) + 1,
                 "foreign packets counted")
        if metric_value(metrics(mport), "p1gateway_telegrams_total", {"meter": "rfx"}) != 1:
            fail("rfxtrx: telegrams_total != 1")
        client.close()
        conn.close()
    server.close()


def mbus_long_frame(ci, data, c=0x53, a=0xFF):
    body = bytes([c, a, ci]) + data
    return bytes([0x68, len(body), len(body), 0x68]) + body + bytes([sum(body) & 0xFF, 0x16])


def test_mbus_tcp(tmp):
    """An Austrian meter's M-Bus customer interface read over TCP (preset =
    "at-mbus" implies wrapping = "mbus"): the corpus capture (two long frames
    of one encrypted APDU) between M-Bus ACKs, a frame of another kind and a
    frame with a bad checksum, sent byte by byte at first. Telegram clients
    get the DSMR text of the decrypted DLMS notification with a valid CRC,
    byte clients the M-Bus stream as it came; the metrics show the energy
    register and the skipped frames. A simulated at-mbus meter in the same
    gateway gets through the same path."""
    capture = corpus("node-dsmr-parser__at-mbus-dlms__austria-example-1.bin")
    key = re.search(r"= ([0-9A-F]{32})", corpus(
        "node-dsmr-parser__at-mbus-dlms__austria-example-1.key.txt").decode()).group(1)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    src_port, port, raw_port, sim_port, mport = (server.getsockname()[1], free_port(), free_port(),
                                                 free_port(), free_port())
    cfg = os.path.join(tmp, "mbus.toml")
    with open(cfg, "w") as f:
        f.write('[metrics]\nlisten = "127.0.0.1:%d"\n[[meters]]\nname = "kaifa"\n'
                'tcp = "127.0.0.1:%d"\npreset = "at-mbus"\nkey = "%s"\n'
                '  [[meters.listeners]]\n  listen = "127.0.0.1:%d"\n'
                '  [[meters.listeners]]\n  listen = "127.0.0.1:%d"\n  payload = "bytes"\n'
                '[[meters]]\nname = "simkaifa"\nsimulate = "at-mbus"\nrate = 20\nkey = "%s"\n'
                '  [[meters.listeners]]\n  listen = "127.0.0.1:%d"\n'
                % (mport, src_port, key, port, raw_port, key, sim_port))
    bad = bytearray(mbus_long_frame(0x72, b"\x01\x02\x03"))
    bad[-2] ^= 0xFF
    stream = (b"\xe5" + mbus_long_frame(0x72, bytes(range(20))) + bytes(bad) + b"\xe5" + capture)
    with running(["--config", cfg]):
        server.settimeout(DEADLINE)
        conn, _ = server.accept()
        client = wait_for(lambda: socket.create_connection(("127.0.0.1", port), timeout=1),
                          "listener")
        raw = wait_for(lambda: socket.create_connection(("127.0.0.1", raw_port), timeout=1),
                       "bytes listener")
        # Both clients are accepted before the first byte: wait until the
        # gateway counts them, so neither can miss the start of the stream.
        wait_for(lambda: all(metric_value(metrics(mport), "p1gateway_clients",
                                          {"listener": "127.0.0.1:%d" % p}) == 1
                             for p in (port, raw_port)), "both clients")
        for b in stream[:80]:
            conn.sendall(bytes([b]))
        conn.sendall(stream[80:])
        t = read_telegram(client)
        if not t.startswith(b"/KFM5\\DLMS\r\n\r\n0-0:1.0.0(210927094715S)\r\n") or \
                b"1-0:1.8.0(12937*Wh)\r\n" not in t:
            fail("mbus: got %r, want the DSMR text of the Austrian sample" % t[:120])
        raw.settimeout(DEADLINE)
        got = b""
        while len(got) < len(stream):
            chunk = raw.recv(65536)
            if not chunk:
                fail("bytes client closed")
            got += chunk
        if got != stream:
            fail("bytes client: the M-Bus stream differs from what the meter sent")
        text = wait_for(lambda: (lambda m: m if metric_value(
            m, "p1gateway_source_foreign_packets_total", {"meter": "kaifa"}) == 2 else None)(
                metrics(mport)), "foreign and bad frames counted")
        if metric_value(text, "dsmr_electricity_imported_joules_total", {"meter": "kaifa"}) != \
                12937 * 3600:
            fail("mbus: imported energy is not 12937 Wh")
        if metric_value(text, "p1gateway_telegrams_total", {"meter": "kaifa"}) != 1:
            fail("mbus: telegrams_total != 1")
        sim = wait_for(lambda: socket.create_connection(("127.0.0.1", sim_port), timeout=1),
                       "simulated at-mbus listener")
        t = read_telegram(sim)
        if not t.startswith(b"/KFM5\\DLMS\r\n") or b"1-0:32.7.0(" not in t:
            fail("simulated at-mbus: got %r" % t[:80])
        sim.close()
        client.close()
        raw.close()
        conn.close()
    server.close()


def test_timezone_tcp(tmp):
    """An Irish meter (preset = "ie": Europe/Dublin) read over TCP: its
    clock 230202132747S is 13:27:47 GMT in the API, not CET's +02:00."""
    telegram = corpus("dsmr_parser__ie-iskra__iskra-ie5t.txt")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    src_port, mport = server.getsockname()[1], free_port()
    cfg = os.path.join(tmp, "ie.toml")
    with open(cfg, "w") as f:
        f.write('[http]\nlisten = "127.0.0.1:%d"\n[[meters]]\nname = "ie"\n'
                'tcp = "127.0.0.1:%d"\npreset = "ie"\n' % (mport, src_port))
    with running(["--config", cfg]):
        server.settimeout(DEADLINE)
        conn, _ = server.accept()
        conn.sendall(telegram)

        def reading():
            with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/meters/ie" % mport,
                                        timeout=5) as r:
                body = r.read().decode()
            return body if "2023-02-02T13:27" in body else None
        body = wait_for(reading, "the IE telegram in the API")
        if "2023-02-02T13:27:47+00:00" not in body:
            fail("timezone: clock not in Europe/Dublin: %s" % body[:600])
        conn.close()
    server.close()


def test_variants_roundtrip(tmp):
    """Held-out style: every simulated variant, through a pipe from
    `simulate` into `parse --format json` (two processes, no shared code
    path but the binary): each telegram has the variant's CRC status, its
    energy registers, and a clock that, read in the meter's zone (Irish time
    for "ie" via --timezone), is the UTC instant it was simulated."""
    import datetime
    key = "000102030405060708090A0B0C0D0E0F"
    no_crc = {"dsmr2", "dsmr3", "q3d"}
    for v in ["dsmr2", "dsmr3", "dsmr4", "dsmr5", "be", "lu", "se", "q3d", "at", "at-mbus", "ie"]:
        sim = [BIN, "simulate", "--variant", v, "--count", "3", "--rate", "50", "--seed", "7"]
        parse = [BIN, "parse", "--format", "json", "-"]
        if v in ("lu", "at", "at-mbus"):
            sim += ["--key", key]
            parse += ["--key", key]
        if v == "at-mbus":
            parse += ["--wrapping", "mbus"]
        if v == "ie":
            parse += ["--timezone", "Europe/Dublin"]
        before = time.time()
        out = subprocess.run(sim, capture_output=True, timeout=30).stdout
        r = subprocess.run(parse, input=out, capture_output=True, timeout=30)
        after = time.time()
        if r.returncode != 0:
            fail("%s: parse exit %d: %s" % (v, r.returncode, r.stderr[:300]))
        docs = [json.loads(line) for line in r.stdout.decode().splitlines()]
        if len(docs) != 3:
            fail("%s: %d telegrams parsed, want 3" % (v, len(docs)))
        for d in docs:
            want = "absent" if v in no_crc else "valid"
            if d["crc"] != want:
                fail("%s: crc %s, want %s" % (v, d["crc"], want))
            objs = {o["obis"]: o for o in d["objects"]}
            if not any(k.startswith("1-0:1.8.") and objs[k].get("unit") in ("kWh", "Wh") and
                       objs[k]["value"] > 0 for k in objs):
                fail("%s: no imported energy register in %r" % (v, sorted(objs)))
            clock = objs.get("0-0:1.0.0")
            if clock is None:
                continue
            t = datetime.datetime.fromisoformat(clock["value"])
            offset = t.utcoffset().total_seconds() / 3600
            allowed = (0, 1) if v == "ie" else (1, 2)
            if offset not in allowed:
                fail("%s: clock %s has offset %+g h, want one of %r" % (v, clock["value"], offset, allowed))
            if not before - 120 <= t.timestamp() <= after + 120:
                fail("%s: clock %s is not the time it was simulated" % (v, clock["value"]))


def test_fd_limit(tmp):
    """Started with a soft descriptor limit of 64 (hard 4096), the gateway
    raises its own soft limit to the hard one: a fleet holds a socket per
    TCP meter and per client. 200 clients then all get served."""
    import resource
    if resource.getrlimit(resource.RLIMIT_NOFILE)[1] < 4096:
        print("SKIP: the hard descriptor limit is below 4096")
        sys.exit(77)
    port, mport = free_port(), free_port()
    cfg = os.path.join(tmp, "fds.toml")
    with open(cfg, "w") as f:
        f.write('[metrics]\nlisten = "127.0.0.1:%d"\n[[meters]]\nname = "fds"\nsimulate = "dsmr5"\n'
                'rate = 20\n  [[meters.listeners]]\n  listen = "127.0.0.1:%d"\n  max_clients = 500\n'
                % (mport, port))
    limit = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (64, 4096))
    proc = subprocess.Popen([BIN, "--config", cfg], preexec_fn=limit)
    try:
        wait_for(lambda: metrics(mport), "metrics")
        with open("/proc/%d/limits" % proc.pid) as f:
            row = [line for line in f if line.startswith("Max open files")][0].split()
        if row[3:5] != ["4096", "4096"]:
            fail("descriptor limit after start: %r" % row)
        clients = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(200)]
        for c in clients:
            read_telegram(c)
        for c in clients:
            c.close()
    finally:
        stop(proc)


def test_client_churn(tmp):
    """Hundreds of clients that connect and close at once (FIN or RST), some
    while telegrams are being written to them, end only their own sessions:
    the gateway keeps running (no SIGPIPE), serves new clients and counts the
    disconnects by reason."""
    ports = {"raw": free_port(), "telnet": free_port(), "rfc2217": free_port()}
    mport = free_port()
    cfg = os.path.join(tmp, "churn.toml")
    with open(cfg, "w") as f:
        f.write('[metrics]\nlisten = "127.0.0.1:%d"\n[[meters]]\nname = "churn"\nsimulate = "dsmr5"\n'
                'rate = 50\n' % mport)
        for proto, port in ports.items():
            f.write('  [[meters.listeners]]\n  listen = "127.0.0.1:%d"\n  protocol = "%s"\n'
                    '  max_clients = 500\n' % (port, proto))
    rst = struct.pack("ii", 1, 0)
    with running(["--config", cfg]) as proc:
        def connect(port):
            try:
                return socket.create_connection(("127.0.0.1", port), timeout=5)
            except OSError as e:
                try:
                    proc.wait(timeout=2)
                    fail("gateway died (exit %d): %s" % (proc.returncode, e))
                except subprocess.TimeoutExpired:
                    raise e

        for port in ports.values():
            wait_for(lambda p=port: socket.create_connection(("127.0.0.1", p), timeout=1), "listener")
        wait_for(lambda: metric_value(metrics(mport), "p1gateway_telegrams_total",
                                      {"meter": "churn"}), "simulated telegrams")
        for round_ in range(3):
            for proto, port in ports.items():
                # Connect and close at once: FIN and RST alternately.
                for i in range(100):
                    s = connect(port)
                    if i % 2:
                        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, rst)
                    s.close()
                # Clients that are mid-stream when they go away.
                batch = [connect(port) for _ in range(20)]
                for s in batch:
                    s.recv(1)
                for i, s in enumerate(batch):
                    if i % 2:
                        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, rst)
                    s.close()
                if proc.poll() is not None:
                    fail("gateway died (exit %d) during round %d on the %s listener"
                         % (proc.returncode, round_, proto))
        for proto, port in ports.items():
            s = connect(port)
            t = read_telegram(s, telnet=proto != "raw")
            if not t.startswith(b"/") or b"1-0:1.8.1(" not in t:
                fail("%s listener: no complete telegram after the churn: %r" % (proto, t[:60]))
            s.close()
        if proc.poll() is not None:
            fail("gateway died (exit %d)" % proc.returncode)

        def counted():
            text = metrics(mport)
            by = {}
            for proto, port in ports.items():
                for reason in ("closed", "error"):
                    by[(proto, reason)] = metric_value(
                        text, "p1gateway_client_disconnects_total",
                        {"meter": "churn", "listener": "127.0.0.1:%d" % port, "reason": reason}) or 0
            ok = all(by[(p, "closed")] + by[(p, "error")] > 0 for p in ports) and \
                sum(by[(p, "closed")] for p in ports) > 0 and sum(by[(p, "error")] for p in ports) > 0
            return by if ok else None
        print("disconnects:", wait_for(counted, "disconnect counters on /metrics"))


def test_port_in_use(tmp):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    cfg = os.path.join(tmp, "busy.toml")
    with open(cfg, "w") as f:
        f.write('[metrics]\nlisten = ""\n[[meters]]\nname = "x"\nsimulate = "dsmr5"\n'
                '  [[meters.listeners]]\n  listen = "127.0.0.1:%d"\n' % port)
    r = subprocess.run([BIN, "--config", cfg], capture_output=True, text=True, timeout=10)
    busy.close()
    if r.returncode != 1 or "in use" not in r.stderr:
        fail("port in use: exit %d, stderr %r" % (r.returncode, r.stderr))


def test_simulate_pty(tmp):
    link = os.path.join(tmp, "simpty")
    with running(["simulate", "--variant", "dsmr5", "--rate", "20", "--out", link]):
        wait_for(lambda: os.path.islink(link), "simulate pty link")
        r = subprocess.run([BIN, "probe", link, "--timeout-ms", "3000"], capture_output=True,
                           text=True, timeout=20)
        if r.returncode != 0 or 'preset = "dsmr5"' not in r.stdout:
            fail("probe on simulated dsmr5: exit %d, out %r err %r" % (r.returncode, r.stdout, r.stderr))
    if os.path.exists(link):
        fail("simulate left its pty link behind")
    # A long APDU (four segments of ciphertext-like bytes, half with the top
    # bit set) arriving a frame at a time: more than 512 such bytes before the
    # APDU is whole must not be taken for a 7E1 line read as 8N1.
    meter = PtyMeter(os.path.join(tmp, "kaifa-long"))
    data = bytes((i * 151 + 7) & 0xFF for i in range(900))
    chunks = [data[i:i + 240] for i in range(0, len(data), 240)]
    frames = [mbus_long_frame(n | (0x10 if n == len(chunks) - 1 else 0), b"\x01\x67" + c)
              for n, c in enumerate(chunks)]
    probe = subprocess.Popen([BIN, "probe", meter.link, "--timeout-ms", "3000"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    end = time.time() + 25
    while probe.poll() is None and time.time() < end:
        for fr in frames:
            meter.write(fr)
            time.sleep(0.15)
    out, err = probe.communicate(timeout=10)
    if probe.returncode != 0 or 'preset = "at-mbus"' not in out:
        fail("probe on a long M-Bus APDU: exit %d, out %r err %r" % (probe.returncode, out, err))
    # An Austrian meter's M-Bus interface: detected from its frames, key asked for.
    with running(["simulate", "--variant", "at-mbus", "--rate", "20", "--out", link,
                  "--key", "000102030405060708090A0B0C0D0E0F"]):
        wait_for(lambda: os.path.islink(link), "simulate pty link")
        r = subprocess.run([BIN, "probe", link, "--timeout-ms", "3000"], capture_output=True,
                           text=True, timeout=20)
        if r.returncode != 0 or 'preset = "at-mbus"' not in r.stdout or "key = " not in r.stdout:
            fail("probe on simulated at-mbus: exit %d, out %r err %r" % (r.returncode, r.stdout, r.stderr))


def test_line_noise(tmp):
    """Issue 8, defect 2: a MiB of random bytes on a DSMR 5 serial line was
    framed into ~1,800 "telegrams", sent to clients and scraped as readings."""
    good = corpus("dsmr-tools__dsmr50__onrealdsmr5-parse-real-telegram.txt")
    meter = PtyMeter(os.path.join(tmp, "noisy"))
    port, mport = free_port(), free_port()
    cfg = os.path.join(tmp, "noise.toml")
    with open(cfg, "w") as f:
        f.write('[metrics]\nlisten = "127.0.0.1:%d"\n'
                '[[meters]]\nname = "noisy"\nserial = "%s"\npreset = "dsmr5"\n'
                '  [[meters.listeners]]\n  listen = "127.0.0.1:%d"\n' % (mport, meter.link, port))
    m = lambda name, labels={}: metric_value(metrics(mport), name, dict({"meter": "noisy"}, **labels))
    with running(["--config", cfg]):
        wait_for(lambda: m("p1gateway_source_connected") == 1, "serial source open")
        client = wait_for(lambda: socket.create_connection(("127.0.0.1", port), timeout=1), "listener")
        wait_for(lambda: m("p1gateway_clients", {"listener": "127.0.0.1:%d" % port}) == 1, "client")
        meter.write(good)
        if read_telegram(client) != good:
            fail("first telegram not delivered intact")
        rng = __import__("random").Random(8)
        noise = bytes(rng.getrandbits(8) for _ in range(1 << 20))
        for i in range(0, len(noise), 4096):
            meter.write(noise[i:i + 4096])
        wait_for(lambda: m("p1gateway_received_bytes_total") >= len(good) + len(noise), "noise read")
        meter.write(good)
        # The client's next bytes are the next real telegram, nothing in between.
        if read_telegram(client) != good:
            fail("noise reached the client")
        wait_for(lambda: m("p1gateway_telegrams_total") == 2, "second telegram counted")
        text = metrics(mport)
        rejected = sum(metric_value(text, "p1gateway_telegram_errors_total",
                                    {"meter": "noisy", "reason": r}) or 0
                       for r in ("crc", "crc_missing", "malformed", "truncated", "overflow"))
        if rejected < 100:
            fail("noise frames not counted: %r" % rejected)
        if metric_value(text, "dsmr_meter_up", {"meter": "noisy"}) != 1:
            fail("meter not up")
        info = [l for l in text.splitlines() if l.startswith("dsmr_meter_info{")]
        if len(info) != 1 or 'header="ISK5\\\\2M550T-1012"' not in info[0]:
            fail("meter info header changed: %r" % info)
        # A new client (from an address that has not had it yet) gets the real
        # reading replayed, not noise.
        late = socket.create_connection(("127.0.0.1", port), timeout=5,
                                        source_address=("127.0.0.2", 0))
        if read_telegram(late) != good:
            fail("replay was not the last real telegram")


def test_key_redaction(tmp):
    """Issue 8, defect 8: an unquoted key was echoed by the TOML error text."""
    key = "D491470F47126332B07D1923B3504188"
    for line in ("key = 0x%s" % key, "key = %s" % key, 'aad_key = "%s0"' % key):
        cfg = os.path.join(tmp, "key.toml")
        with open(cfg, "w") as f:
            f.write('[[meters]]\nname = "lu"\nsimulate = "lu"\n%s\n' % line)
        for args in (["check-config", cfg], ["--config", cfg]):
            r = subprocess.run([BIN] + args, capture_output=True, text=True, timeout=10)
            if r.returncode != 2 or "key.toml:4:" not in r.stderr:
                fail("%s: exit %d, %r" % (line, r.returncode, r.stderr))
            if key[2:14] in r.stderr + r.stdout:
                fail("key material in the error: %r" % r.stderr)
    r = subprocess.run([BIN, "parse", "--key", key[:-1], "-"], input="", capture_output=True,
                       text=True, timeout=10)
    if r.returncode != 2 or key[2:14] in r.stderr:
        fail("parse --key echoed the key: %r" % r.stderr)


def http_exchange(sock, requests):
    """Sends `requests` (bytes) and reads one answer per request; returns
    the bodies. Content-Length framed, as the gateway answers."""
    sock.sendall(requests)
    want = requests.count(b"\r\n\r\n")
    buf, bodies = b"", []
    end = time.time() + DEADLINE
    while len(bodies) < want:
        sep = buf.find(b"\r\n\r\n")
        if sep >= 0:
            head = buf[:sep].decode("latin-1")
            length = next(int(line.split(":")[1]) for line in head.split("\r\n")
                          if line.lower().startswith("content-length:"))
            if len(buf) >= sep + 4 + length:
                bodies.append(buf[sep + 4: sep + 4 + length])
                buf = buf[sep + 4 + length:]
                continue
        if time.time() > end:
            fail("no HTTP answer within %ss" % DEADLINE)
        sock.settimeout(DEADLINE)
        chunk = sock.recv(65536)
        if not chunk:
            fail("HTTP connection closed after %d of %d answers" % (len(bodies), want))
        buf += chunk
    return bodies


def test_one_thread(tmp):
    """Issue 9: HTTP is served on the loop. With two meters, proxy clients,
    64 idle HTTP connections, a client that pipelines scrapes and never
    reads, and keep-alive scrapes, the process has exactly one thread,
    telegrams keep reaching the proxy clients and every scrape is answered."""
    mport, p1, p2 = free_port(), free_port(), free_port()
    cfg = os.path.join(tmp, "one.toml")
    with open(cfg, "w") as f:
        f.write('[metrics]\nlisten = "127.0.0.1:%d"\n' % mport)
        for name, variant, port in (("a", "dsmr5", p1), ("b", "be", p2)):
            f.write('[[meters]]\nname = "%s"\nsimulate = "%s"\nrate = 20\n'
                    '  [[meters.listeners]]\n  listen = "127.0.0.1:%d"\n' % (name, variant, port))
    with running(["--config", cfg]) as proc:
        clients = [wait_for(lambda p=p: socket.create_connection(("127.0.0.1", p), timeout=1),
                            "listener %d" % p) for p in (p1, p2)]
        for c in clients:
            read_telegram(c)
        # Idle connections come from another loopback address: the gateway
        # allows 64 connections per client address.
        idle = []
        for _ in range(64):
            s = socket.socket()
            s.bind(("127.0.0.2", 0))
            s.connect(("127.0.0.1", mport))
            idle.append(s)
        hog = socket.socket()
        hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        hog.bind(("127.0.0.3", 0))
        hog.connect(("127.0.0.1", mport))
        hog.settimeout(DEADLINE)
        hog.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 2000)  # never read

        keep = socket.create_connection(("127.0.0.1", mport), timeout=DEADLINE)
        for _ in range(10):
            bodies = http_exchange(keep, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 2)
            for body in bodies:
                if metric_value(body.decode(), "dsmr_meter_up", {"meter": "b"}) != 1:
                    fail("scrape on a kept-alive connection lacks meter b")
            for c in clients:
                read_telegram(c)
        for _ in range(10):
            if "dsmr_meter_up" not in metrics(mport):
                fail("scrape on a new connection lacks dsmr_meter_up")
        tasks = os.listdir("/proc/%d/task" % proc.pid)
        if len(tasks) != 1:
            fail("expected one thread, found %d: %s" % (len(tasks), tasks))
        # Every held idle connection is still served.
        for s in idle[:8]:
            s.settimeout(DEADLINE)
            if b"dsmr_meter_up" not in http_exchange(s, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")[0]:
                fail("an idle connection was not served")
        for s in idle + clients + [hog, keep]:
            s.close()


def npm_package(spec, name):
    """Installs npm package `spec` once into the build tree (P1GW_NPM_DIR) and
    returns its node_modules dir; exits 77 (skip) with the reason when node
    or npm is missing or the registry cannot be reached."""
    import shutil
    if not shutil.which("node") or not shutil.which("npm"):
        print("SKIP: node/npm not installed")
        sys.exit(77)
    prefix = os.environ.get("P1GW_NPM_DIR") or os.path.join(tempfile.gettempdir(), "p1gw-npm")
    modules = os.path.join(prefix, "node_modules")
    if not os.path.isdir(os.path.join(modules, name)):
        r = subprocess.run(["npm", "install", "--prefix", prefix, "--no-audit", "--no-fund", spec],
                           capture_output=True, text=True, timeout=240)
        if r.returncode != 0:
            print("SKIP: npm install %s failed:\n%s" % (spec, r.stderr[-2000:]))
            sys.exit(77)
    return modules


def test_homewizard_client(tmp):
    """Issue 10: a published HomeWizard client (npm
    @zandor300/homewizard-energy-api) reads a meter's HomeWizard port and
    gets the values the meter sent: the Belgian sample (gas, water, month
    peak) written once on a pty."""
    modules = npm_package("@zandor300/homewizard-energy-api@1.1.0", "@zandor300/homewizard-energy-api")
    meter = PtyMeter(os.path.join(tmp, "be"))
    mport, hwport = free_port(), free_port()
    cfg = os.path.join(tmp, "hw.toml")
    with open(cfg, "w") as f:
        f.write('[http]\nlisten = "127.0.0.1:%d"\n[[meters]]\nname = "be"\nserial = "%s"\n'
                'preset = "be"\nhomewizard = "127.0.0.1:%d"\n' % (mport, meter.link, hwport))
    telegram = corpus("dsmr_parser__be-emucs__fluvius-v171.txt")
    with running(["--config", cfg]):
        wait_for(lambda: metric_value(metrics(mport), "p1gateway_source_connected", {"meter": "be"}) == 1,
                 "serial source open")
        meter.write(telegram)
        url = "http://127.0.0.1:%d/api/v1/meters/be" % mport
        reading = json.loads(wait_for(lambda: urllib.request.urlopen(url, timeout=5).read(), "a reading"))
        values = {o["obis"]: o.get("value") for o in reading["objects"]}
        env = dict(os.environ, NODE_PATH=modules)
        r = subprocess.run(["node", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                 "homewizard_client.js"),
                            "http://127.0.0.1:%d" % hwport],
                           capture_output=True, text=True, timeout=60, env=env)
        if r.returncode != 0:
            fail("HomeWizard client: %s %s" % (r.stdout, r.stderr))
        got = json.loads(r.stdout)
        basic, data = got["basic"], got["data"]
        if basic.get("product_type") != "HWE-P1" or basic.get("api_version") != "v1":
            fail("basic information: %r" % basic)
        expect = {"total_power_import_t1_kwh": values["1-0:1.8.1"],
                  "total_power_import_t2_kwh": values["1-0:1.8.2"],
                  "total_power_export_t2_kwh": values["1-0:2.8.2"],
                  "active_voltage_l1_v": values["1-0:32.7.0"],
                  "montly_power_peak_w": values["1-0:1.6.0"] * 1000,
                  "active_power_average_w": values["1-0:1.4.0"] * 1000}
        for key, want in expect.items():
            if key not in data or abs(float(data[key]) - float(want)) > 1e-6:
                fail("HomeWizard data %s = %r, the meter sent %r" % (key, data.get(key), want))
        types = sorted(e["type"] for e in data.get("external", []))
        if types != ["gas_meter", "water_meter"]:
            fail("external devices: %r" % data.get("external"))
        text = got["telegram"] if isinstance(got["telegram"], str) else json.dumps(got["telegram"])
        if "1-0:1.8.1(" not in text:
            fail("telegram through the client: %r" % text[:200])


def test_slow_event_client(tmp):
    """Issue 10: a client of /api/v1/events that never reads loses whole
    events (counted), while a fast event client and a raw proxy client get
    every one of 400 telegrams written on a pty."""
    meter = PtyMeter(os.path.join(tmp, "m"))
    mport, rport = free_port(), free_port()
    cfg = os.path.join(tmp, "sse.toml")
    with open(cfg, "w") as f:
        f.write('[http]\nlisten = "127.0.0.1:%d"\n[[meters]]\nname = "m"\nserial = "%s"\n'
                'preset = "dsmr5"\n  [[meters.listeners]]\n  listen = "127.0.0.1:%d"\n'
                '  queue_bytes = 4194304\n' % (mport, meter.link, rport))
    telegram = corpus("dsmr-tools__dsmr50__onrealdsmr5-parse-real-telegram.txt")
    n = 400
    with running(["--config", cfg]):
        raw = wait_for(lambda: socket.create_connection(("127.0.0.1", rport), timeout=1), "listener")
        wait_for(lambda: metric_value(metrics(mport), "p1gateway_source_connected", {"meter": "m"}) == 1,
                 "serial source open")
        slow = socket.socket()
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.connect(("127.0.0.1", mport))
        slow.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n")  # and never read
        fast = socket.create_connection(("127.0.0.1", mport), timeout=DEADLINE)
        fast.sendall(b"GET /api/v1/events?meter=m HTTP/1.1\r\nHost: x\r\n\r\n")
        meters_url = "http://127.0.0.1:%d/api/v1/meters" % mport
        wait_for(lambda: json.loads(urllib.request.urlopen(meters_url, timeout=5).read())["events"]["clients"] == 2,
                 "two event clients")
        for _ in range(n):
            meter.write(telegram)
        got_raw, got_fast, raw_buf, fast_buf = 0, 0, b"", b""
        end = time.time() + 60
        raw.setblocking(False)
        fast.setblocking(False)
        while (got_raw < n or got_fast < n) and time.time() < end:
            for sock, which in ((raw, "raw"), (fast, "fast")):
                try:
                    data = sock.recv(1 << 20)
                except BlockingIOError:
                    continue
                if not data:
                    fail("%s client closed" % which)
                if which == "raw":
                    raw_buf += data
                    got_raw = raw_buf.count(b"!")
                else:
                    fast_buf += data
                    got_fast = fast_buf.count(b"event: reading\n")
            time.sleep(0.01)
        if got_raw != n or got_fast != n:
            fail("raw client got %d, fast event client %d of %d telegrams" % (got_raw, got_fast, n))
        ids = [int(line[4:]) for line in fast_buf.split(b"\n") if line.startswith(b"id: ")]
        if ids != list(range(ids[0], ids[0] + n)):
            fail("event ids are not consecutive")
        events = json.loads(urllib.request.urlopen(meters_url, timeout=5).read())["events"]
        if events["dropped"] == 0:
            fail("the client that never reads lost no events: %r" % events)
        for sock in (raw, slow, fast):
            sock.close()


def main():
    with tempfile.TemporaryDirectory() as tmp:
        {"three_pty_meters": lambda: test_three_pty_meters(tmp),
         "demo": test_demo,
         "fanout_pty": lambda: test_fanout_pty(tmp),
         "unplug_under_load": lambda: test_unplug_under_load(tmp),
         "bad_config": lambda: test_bad_config(tmp),
         "port_in_use": lambda: test_port_in_use(tmp),
         "commands": lambda: test_commands(tmp),
         "lazy_libraries": lambda: test_lazy_libraries(tmp),
         "tcp_source": lambda: test_tcp_source(tmp),
         "rfxtrx_tcp": lambda: test_rfxtrx_tcp(tmp),
         "mbus_tcp": lambda: test_mbus_tcp(tmp),
         "fd_limit": lambda: test_fd_limit(tmp),
         "timezone_tcp": lambda: test_timezone_tcp(tmp),
         "variants_roundtrip": lambda: test_variants_roundtrip(tmp),
         "client_churn": lambda: test_client_churn(tmp),
         "simulate_pty": lambda: test_simulate_pty(tmp),
         "line_noise": lambda: test_line_noise(tmp),
         "key_redaction": lambda: test_key_redaction(tmp),
         "one_thread": lambda: test_one_thread(tmp),
         "homewizard_client": lambda: test_homewizard_client(tmp),
         "slow_event_client": lambda: test_slow_event_client(tmp)}[TEST]()
    print("ok", TEST)


if __name__ == "__main__":
    main()
