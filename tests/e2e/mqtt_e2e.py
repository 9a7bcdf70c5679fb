#!/usr/bin/env python3
"""Black-box tests of p1gateway's MQTT exporter against a real broker
(Debian's mosquitto, started here on a free loopback port) and a real
client (mosquitto_sub). Usage: mqtt_e2e.py BINARY DATA_DIR TEST
Exits 77 (skipped) when mosquitto or its clients are not installed."""
import contextlib
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

# gateway_e2e reads BINARY DATA_DIR from sys.argv[1:3] at import time (our
# argv has the same shape) and keeps main() behind its __name__ guard.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gateway_e2e import PtyMeter, fail, free_port, metrics, wait_for  # noqa: E402

BIN, DATA, TEST = sys.argv[1], sys.argv[2], sys.argv[3]
TOOLS = ("mosquitto", "mosquitto_sub", "mosquitto_pub", "mosquitto_passwd", "openssl")


def metric(port, name):
    """The value of an unlabelled series, or None."""
    for line in metrics(port).splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


def crc16(data):
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def telegram(i):
    """The real DSMR 5 telegram, its clock i seconds later and its tariff-1
    register i Wh higher, with a valid CRC: every i is a distinct reading."""
    text = open(os.path.join(DATA, "dsmr-tools__dsmr50__onrealdsmr5-parse-real-telegram.txt"), "rb").read()
    body = text[:text.index(b"!") + 1]
    t = 15 * 3600 + 5 * 60 + 41 + i
    body = body.replace(b"(190324150541W)", b"(190324%02d%02d%02dW)" % (t // 3600, t // 60 % 60, t % 60))
    body = body.replace(b"1-0:1.8.1(003432.829*kWh)", b"1-0:1.8.1(%010.3f*kWh)" % (3432.829 + i / 1000))
    return body + b"%04X\r\n" % crc16(body)


class Broker:
    """mosquitto on 127.0.0.1:port, without persistence; `extra` lines go
    into its configuration (TLS, passwords)."""

    def __init__(self, tmp, port=None, extra=""):
        self.port = port or free_port()
        self.conf = os.path.join(tmp, "mosquitto-%d.conf" % self.port)
        with open(self.conf, "w") as f:
            # Run as root, mosquitto would become user "mosquitto", who cannot
            # read the test's private temporary directory.
            f.write("listener %d 127.0.0.1\npersistence false\nuser %s\n%s"
                    % (self.port, pwd.getpwuid(os.getuid()).pw_name, extra))
            if "allow_anonymous" not in extra:
                f.write("allow_anonymous true\n")
        self.proc = None
        self.start()

    def start(self):
        self.log = self.conf + ".log"
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen(["mosquitto", "-c", self.conf], stdout=log, stderr=subprocess.STDOUT)

        def up():
            if self.proc.poll() is not None:
                fail("mosquitto exited with %d:\n%s" % (self.proc.returncode, open(self.log).read()))
            return socket.create_connection(("127.0.0.1", self.port), timeout=1)
        wait_for(up, "mosquitto on port %d" % self.port)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


class Subscriber:
    """mosquitto_sub on `topic`, every message kept as (arrival time, topic,
    payload, retained). `ready`: a topic the broker has a retained message
    for; the constructor returns once that arrived, so the subscription is
    in place."""

    def __init__(self, port, topic="#", args=(), ready=None):
        self.messages = []
        self.lock = threading.Lock()
        topics = ["-t", topic] + (["-t", ready] if ready else [])
        self.proc = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-F", "%j", "-q", "1"] +
                                     topics + list(args), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if ready:
            wait_for(lambda: self.on(ready), "the subscription to " + topic)

    def _read(self):
        for line in self.proc.stdout:
            m = json.loads(line)
            with self.lock:
                # An empty payload is null.
                self.messages.append((time.time(), m["topic"], m.get("payload") or "", m["retain"] == 1))

    def on(self, topic):
        with self.lock:
            return [m for m in self.messages if m[1] == topic]

    def last(self, topic):
        got = self.on(topic)
        return got[-1][2] if got else None

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def retained(port, topic, args=()):
    """What the broker keeps for `topic` (None: nothing), as a new client sees it."""
    r = subprocess.run(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-t", topic, "-F", "%j",
                        "--retained-only", "-W", "1"] + list(args), capture_output=True, text=True)
    lines = [json.loads(line) for line in r.stdout.splitlines() if line]
    return (lines[-1].get("payload") or "") if lines else None


@contextlib.contextmanager
def gateway(tmp, config):
    """Runs the gateway on `config` (text) for the with-block, its log kept;
    then SIGTERM and a clean exit are required (unless the block killed it)."""
    cfg = os.path.join(tmp, "gateway.toml")
    with open(cfg, "w") as f:
        f.write(config)
    log = open(os.path.join(tmp, "gateway.log"), "w+")
    proc = subprocess.Popen([BIN, "--config", cfg], stdout=log, stderr=subprocess.STDOUT)
    proc.cfg = cfg
    proc.log = lambda: open(log.name).read()
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                rc = proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                fail("gateway did not exit within 10 s of SIGTERM")
            if rc != 0:
                fail("gateway exited with %d after SIGTERM:\n%s" % (rc, proc.log()))


def config(http, broker, meters, mqtt_extra=""):
    text = '[http]\nlisten = "127.0.0.1:%d"\n[mqtt]\nbroker = "%s"\n%s\n' % (http, broker, mqtt_extra)
    return text + meters


def sim_meter(name, variant="dsmr5", extra=""):
    return '[[meters]]\nname = "%s"\nsimulate = "%s"\nrate = 1\n%s\n' % (name, variant, extra)


def rss_kb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def register(text, obis):
    """A register's value; an M-Bus reading's after its time stamp."""
    m = re.search(re.escape(obis) + r"(?:\(\d{12}[SW]\))?\(([0-9.]+)\*", text)
    return float(m.group(1)) if m else None


def test_state_discovery(tmp):
    """State at each meter's own rate with the telegram's values, retained
    discovery of the gateway and one device per meter, discovery again at
    Home Assistant's birth message, the will after SIGKILL."""
    broker = Broker(tmp)
    http = free_port()
    meters = (sim_meter("a", extra='mqtt_min_interval = "0s"') +
              sim_meter("b", "be", extra='mqtt_min_interval = "3s"'))
    sub = Subscriber(broker.port)
    with gateway(tmp, config(http, "mqtt://127.0.0.1:%d" % broker.port, meters,
                             "raw_telegram = true")) as gw:
        wait_for(lambda: len(sub.on("p1gateway/a/state")) >= 8 and len(sub.on("p1gateway/b/state")) >= 3,
                 "8 states of a and 3 of b", timeout=30)
        if metric(http, "p1gateway_mqtt_connected") != 1:
            fail("p1gateway_mqtt_connected is not 1 while publishing")
        if sub.last("p1gateway/status") != "online" or sub.last("p1gateway/a/status") != "online":
            fail("gateway or meter status is not online")

        # Meter time between published states: every telegram for a, every
        # third second for b.
        def clock_gaps(meter):
            stamps = [json.loads(m[2])["timestamp"] for m in sub.on("p1gateway/%s/state" % meter)]
            secs = [int(s[11:13]) * 3600 + int(s[14:16]) * 60 + int(s[17:19]) for s in stamps]
            return [b - a for a, b in zip(secs, secs[1:])]
        gaps_a, gaps_b = clock_gaps("a"), clock_gaps("b")
        print("meter-clock gaps between states: a %s, b %s" % (gaps_a, gaps_b))
        if any(g <= 0 or g > 2 for g in gaps_a) or sorted(gaps_a)[len(gaps_a) // 2] != 1:
            fail("meter a (min_interval 0s) did not publish every telegram: %s" % gaps_a)
        if any(g < 2 for g in gaps_b):
            fail("meter b (min_interval 3s) published more often: %s" % gaps_b)

        # Each state carries the values of the telegram published with it.
        states = sub.on("p1gateway/a/state")
        telegrams = sub.on("p1gateway/a/telegram")
        if len(telegrams) < len(states) - 1:
            fail("raw_telegram: %d telegrams for %d states" % (len(telegrams), len(states)))
        by_clock = {}
        for _, _, text, _ in telegrams:
            stamp = re.search(r"0-0:1\.0\.0\((\d{12})[SW]\)", text).group(1)
            by_clock[stamp] = text
        matched = 0
        for _, _, payload, _ in states:
            s = json.loads(payload)
            stamp = s["timestamp"]
            key = stamp[2:4] + stamp[5:7] + stamp[8:10] + stamp[11:13] + stamp[14:16] + stamp[17:19]
            text = by_clock.get(key)
            if text is None:
                continue
            matched += 1
            for field, obis in (("energy_delivered_tariff1", "1-0:1.8.1"), ("energy_delivered_tariff2", "1-0:1.8.2"),
                                ("power_delivered", "1-0:1.7.0"), ("voltage_l1", "1-0:32.7.0"),
                                ("gas_delivered", "0-1:24.2.1")):
                if abs(s[field] - register(text, obis)) > 1e-9:
                    fail("state %s = %r, the telegram says %r" % (field, s[field], register(text, obis)))
        if matched < 5:
            fail("only %d states matched a published telegram" % matched)

        # Discovery: retained, the gateway and one device per meter.
        discovery = {}
        for node in ("p1gateway", "p1gateway_a", "p1gateway_b"):
            payload = retained(broker.port, "homeassistant/device/%s/config" % node)
            if not payload:
                fail("no retained discovery for %s" % node)
            discovery[node] = json.loads(payload)
        meter_a = discovery["p1gateway_a"]
        if meter_a["state_topic"] != "p1gateway/a/state":
            fail("meter a's discovery names state topic %r" % meter_a["state_topic"])
        cmps_a = meter_a["components"]
        if not any(c.get("device_class") == "gas" for c in cmps_a.values()):
            fail("meter a's discovery has no gas entity")
        if any(c.get("device_class") == "water" for c in cmps_a.values()):
            fail("meter a's discovery has a water entity but it sends no water")
        if meter_a["device"]["via_device"] != discovery["p1gateway"]["device"]["identifiers"][0]:
            fail("meter device is not via the gateway device")
        if not any(c.get("device_class") == "water" for c in discovery["p1gateway_b"]["components"].values()):
            fail("the Belgian meter's discovery has no water entity")
        state_a = json.loads(sub.last("p1gateway/a/state"))
        for c in cmps_a.values():
            key = c["value_template"].split("value_json.")[1].split()[0]
            if key not in state_a:
                fail("entity %s reads %r, which the state does not carry" % (c["unique_id"], key))
        if retained(broker.port, "p1gateway/status") != "online":
            fail("p1gateway/status online is not retained")

        # Home Assistant restarts: its birth message brings discovery again.
        before = len(sub.on("homeassistant/device/p1gateway_a/config"))
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-t", "homeassistant/status",
                        "-m", "online"], check=True)
        wait_for(lambda: len(sub.on("homeassistant/device/p1gateway_a/config")) > before and
                 len(sub.on("homeassistant/device/p1gateway_b/config")) > before,
                 "discovery re-sent after homeassistant/status online")
        if "Home Assistant is online" not in gw.log():
            fail("the birth message was not logged")

        # A crash: the broker publishes the will, retained.
        gw.kill()
        gw.wait(timeout=10)
        wait_for(lambda: sub.last("p1gateway/status") == "offline", "the will after SIGKILL")
        if retained(broker.port, "p1gateway/status") != "offline":
            fail("the will is not retained")

    # A clean stop says offline itself (a DISCONNECT discards the will).
    sub_clean = Subscriber(broker.port, "p1gateway/status")
    wait_for(lambda: sub_clean.last("p1gateway/status") == "offline", "retained offline")
    with gateway(tmp, config(http, "mqtt://127.0.0.1:%d" % broker.port, sim_meter("a"))):
        wait_for(lambda: sub_clean.last("p1gateway/status") == "online", "online after a restart")
    wait_for(lambda: sub_clean.last("p1gateway/status") == "offline", "offline after SIGTERM")
    sub.close()
    sub_clean.close()
    broker.stop()


def test_broker_restart(tmp):
    """The broker stops for 30 s: a TCP client of the same meter receives
    every telegram meanwhile; the gateway reconnects once the broker is back
    and publishes discovery (the broker kept nothing) and the newest state."""
    broker = Broker(tmp)
    http, raw = free_port(), free_port()
    meter = PtyMeter(os.path.join(tmp, "meter"))
    meters = ('[[meters]]\nname = "m"\nserial = "%s"\npreset = "dsmr5"\nmqtt_min_interval = "0s"\n'
              '  [[meters.listeners]]\n  listen = "127.0.0.1:%d"\n' % (meter.link, raw))
    with gateway(tmp, config(http, "mqtt://127.0.0.1:%d" % broker.port, meters)) as gw:
        client = wait_for(lambda: socket.create_connection(("127.0.0.1", raw), timeout=1), "raw listener")
        client.setblocking(False)
        received = bytearray()

        def pump():
            try:
                while True:
                    data = client.recv(1 << 16)
                    if not data:
                        fail("raw client closed")
                    received.extend(data)
            except BlockingIOError:
                pass

        sent = []

        def send(i):
            t = telegram(i)
            sent.append(t)
            meter.write(t)

        send(0)
        wait_for(lambda: metric(http, "p1gateway_mqtt_connected") == 1, "connected")
        sub = Subscriber(broker.port, "p1gateway/m/state", ready="p1gateway/status")
        send(1)
        wait_for(lambda: sub.last("p1gateway/m/state") and "15:05:42" in sub.last("p1gateway/m/state"),
                 "state of telegram 1")
        sub.close()
        broker.stop()
        wait_for(lambda: metric(http, "p1gateway_mqtt_connected") == 0, "the gateway noticing the broker left")
        down_until = time.time() + 30
        i = 2
        while time.time() < down_until:  # one telegram every 0.5 s, as the broker stays down
            send(i)
            i += 1
            pump()
            time.sleep(0.5)
        broker.start()
        restarted = time.time()
        wait_for(lambda: metric(http, "p1gateway_mqtt_connected") == 1, "reconnect after the broker restart",
                 timeout=30)
        print("reconnected %.2f s after the broker restarted" % (time.time() - restarted))
        wait_for(lambda: retained(broker.port, "homeassistant/device/p1gateway_m/config"),
                 "discovery again on the restarted broker")
        sub = Subscriber(broker.port, "p1gateway/m/state", ready="p1gateway/status")
        send(i + 1)
        hms = 15 * 3600 + 5 * 60 + 41 + i + 1
        clock = "%02d:%02d:%02d" % (hms // 3600, hms // 60 % 60, hms % 60)
        wait_for(lambda: sub.last("p1gateway/m/state") and clock in sub.last("p1gateway/m/state"),
                 "the newest state after the reconnect")
        wait_for(lambda: (pump(), len(received) == sum(map(len, sent)))[1], "every telegram at the TCP client")
        if bytes(received) != b"".join(sent):
            fail("the TCP client's bytes differ from the telegrams sent")
        if metric(http, "p1gateway_mqtt_reconnects_total") < 1:
            fail("p1gateway_mqtt_reconnects_total did not count the reconnect")
        print("the TCP client got all %d telegrams while the broker was down" % len(sent))
        if "connection to mqtt://127.0.0.1:%d lost" % broker.port not in gw.log():
            fail("the lost connection was not logged")
        sub.close()
        client.close()
    broker.stop()


def make_cert(tmp, name, ca=None):
    """A self-signed CA (ca None) or a server certificate for 127.0.0.1
    signed by `ca`; returns (cert, key) paths."""
    key, crt = os.path.join(tmp, name + ".key"), os.path.join(tmp, name + ".crt")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key]
    if ca is None:
        subprocess.run(["openssl", "req", "-x509"] + ec + ["-out", crt, "-days", "2", "-subj", "/CN=" + name],
                       check=True, capture_output=True)
    else:
        csr = os.path.join(tmp, name + ".csr")
        ext = os.path.join(tmp, name + ".ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        subprocess.run(["openssl", "req"] + ec + ["-out", csr, "-subj", "/CN=127.0.0.1"], check=True,
                       capture_output=True)
        subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-CAcreateserial",
                        "-out", crt, "-days", "2", "-extfile", ext], check=True, capture_output=True)
    return crt, key


def test_tls(tmp):
    """mqtts:// to a broker with a certificate of a self-signed CA: states
    arrive; with another CA the gateway refuses the broker, says why and
    counts it."""
    ca = make_cert(tmp, "ca")
    other_ca = make_cert(tmp, "other-ca")
    server = make_cert(tmp, "server", ca)
    broker = Broker(tmp, extra="certfile %s\nkeyfile %s\n" % server)
    http = free_port()
    url = "mqtts://127.0.0.1:%d" % broker.port
    sub_args = ["--cafile", ca[0]]
    sub = Subscriber(broker.port, "p1gateway/#", sub_args)
    with gateway(tmp, config(http, url, sim_meter("a", extra='mqtt_min_interval = "0s"'),
                             'tls_ca = "%s"' % ca[0])):
        wait_for(lambda: len(sub.on("p1gateway/a/state")) >= 2, "states over TLS")
        json.loads(sub.last("p1gateway/a/state"))
        if retained(broker.port, "homeassistant/device/p1gateway_a/config", sub_args) is None:
            fail("no discovery over TLS")
    sub.close()
    with gateway(tmp, config(http, url, sim_meter("a"), 'tls_ca = "%s"' % other_ca[0])) as gw:
        wait_for(lambda: metric(http, "p1gateway_mqtt_connect_failures_total") >= 2, "two failed TLS connects")
        if metric(http, "p1gateway_mqtt_connected") != 0:
            fail("connected to a broker whose certificate the CA did not sign")
        wait_for(lambda: "certificate verify failed" in gw.log() or "certificate" in gw.log(),
                 "a log line naming the certificate")
    broker.stop()


def test_auth(tmp):
    """A wrong password: a clear log line, counted failures, retried with
    backoff; the right password in password_file and SIGHUP: connected."""
    pwfile = os.path.join(tmp, "mosquitto.passwd")
    subprocess.run(["mosquitto_passwd", "-b", "-c", pwfile, "gw", "s3cret"], check=True, capture_output=True)
    broker = Broker(tmp, extra="allow_anonymous false\npassword_file %s\n" % pwfile)
    http = free_port()
    secret = os.path.join(tmp, "mqtt-password")
    with open(secret, "w") as f:
        f.write("wrong\n")
    with gateway(tmp, config(http, "mqtt://127.0.0.1:%d" % broker.port, sim_meter("a"),
                             'username = "gw"\npassword_file = "%s"' % secret)) as gw:
        wait_for(lambda: metric(http, "p1gateway_mqtt_connect_failures_total") >= 3, "three refused connects")
        log = gw.log()
        if "not authori" not in log:
            fail("no log line says the broker refused the credentials:\n" + log)
        if log.count("not authori") != 1:
            fail("the same refusal was logged at every retry:\n" + log)
        if "wrong" in log or "s3cret" in log:
            fail("the password is in the log")
        if metric(http, "p1gateway_mqtt_connected") != 0:
            fail("connected with a wrong password")
        with open(secret, "w") as f:
            f.write("s3cret\n")
        gw.send_signal(signal.SIGHUP)
        wait_for(lambda: metric(http, "p1gateway_mqtt_connected") == 1, "connected after the password fix")
        if retained(broker.port, "p1gateway/status", ["-u", "gw", "-P", "s3cret"]) != "online":
            fail("no online status with the right password")
    broker.stop()


def test_reload_remove(tmp):
    """A reload that removes a meter clears its retained discovery and
    status; the meter that stays keeps its device."""
    broker = Broker(tmp)
    http = free_port()
    url = "mqtt://127.0.0.1:%d" % broker.port
    two = config(http, url, sim_meter("a") + sim_meter("b", "be"))
    with gateway(tmp, two) as gw:
        for node in ("p1gateway_a", "p1gateway_b"):
            wait_for(lambda: retained(broker.port, "homeassistant/device/%s/config" % node), "discovery of " + node)
        sub = Subscriber(broker.port, ready="homeassistant/device/p1gateway_b/config")
        with open(gw.cfg, "w") as f:
            f.write(config(http, url, sim_meter("a")))
        gw.send_signal(signal.SIGHUP)
        wait_for(lambda: sub.last("homeassistant/device/p1gateway_b/config") == "" and
                 sub.last("p1gateway/b/status") == "", "empty payloads for b's discovery and status")
        if retained(broker.port, "homeassistant/device/p1gateway_b/config") is not None:
            fail("the broker still keeps b's discovery")
        if retained(broker.port, "p1gateway/b/status") is not None:
            fail("the broker still keeps b's status")
        if not retained(broker.port, "homeassistant/device/p1gateway_a/config"):
            fail("a's discovery went too")
        sub.close()
    broker.stop()


MAX_TOPICS_STALLED = 8 * 4 + 2 + 60


def test_stalled_broker(tmp):
    """A broker that accepts, answers CONNACK and then never reads: the
    gateway's queue stays bounded (newest state wins, drops counted), RSS
    stays flat and TCP clients keep getting every telegram."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    port = server.getsockname()[1]
    accepted = []

    def serve():
        conn, _ = server.accept()
        accepted.append(conn)
        conn.recv(4096)  # CONNECT
        conn.sendall(b"\x20\x02\x00\x00")  # CONNACK, accepted; then silence
    threading.Thread(target=serve, daemon=True).start()
    http, raw = free_port(), free_port()
    meters = "".join(sim_meter("m%d" % k, extra='mqtt_min_interval = "0s"') for k in range(8))
    meters += '  [[meters.listeners]]\n  listen = "127.0.0.1:%d"\n' % raw
    mqtt = "raw_telegram = true\ndsmr_reader_topics = true\nkeepalive = \"300s\""
    with gateway(tmp, config(http, "mqtt://127.0.0.1:%d" % port, meters, mqtt)) as gw:
        wait_for(lambda: metric(http, "p1gateway_mqtt_connected") == 1, "connected to the stalled broker")
        wait_for(lambda: metric(http, "p1gateway_mqtt_dropped_total") > 0, "drops once the socket is full",
                 timeout=60)
        rss0 = rss_kb(gw.pid)
        dropped0 = metric(http, "p1gateway_mqtt_dropped_total")
        client = socket.create_connection(("127.0.0.1", raw), timeout=5)
        buf = b""
        queued = []
        while buf.count(b"!") < 11:  # ten more telegrams: ten seconds at 1 Hz
            data = client.recv(1 << 16)
            if not data:
                fail("the TCP client was closed")
            buf += data
            queued.append(metric(http, "p1gateway_mqtt_queued"))
        rss1 = rss_kb(gw.pid)
        dropped1 = metric(http, "p1gateway_mqtt_dropped_total")
        print("RSS %d kB -> %d kB over 10 s of a stalled broker; drops %d -> %d; outbox %d..%d messages"
              % (rss0, rss1, dropped0, dropped1, min(queued), max(queued)))
        if dropped1 <= dropped0:
            fail("states were not replaced while the broker stalled")
        # One message per topic: 8 meters x (status, state, telegram,
        # discovery), the gateway's two and DSMR-reader's (< 60) for one meter.
        # Ten seconds of 8 meters at 1 Hz would queue over 240 more.
        if max(queued) > MAX_TOPICS_STALLED:
            fail("the outbox grew to %d messages, more than one per topic" % max(queued))
        # ASan keeps freed memory in quarantine, so RSS only means something
        # in a plain build.
        if not os.environ.get("P1GW_SANITIZED") and rss1 - rss0 > 1024:
            fail("RSS grew by %d kB in 10 s with a stalled broker" % (rss1 - rss0))
        if metric(http, "p1gateway_mqtt_connected") != 1:
            fail("the gateway gave up on a broker that is only slow")
        client.close()
    for conn in accepted:
        conn.close()
    server.close()


def main():
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        print("SKIP: not installed: " + ", ".join(missing))
        sys.exit(77)
    with tempfile.TemporaryDirectory() as tmp:
        globals()["test_" + TEST](tmp)
    print("PASS")


if __name__ == "__main__":
    main()
