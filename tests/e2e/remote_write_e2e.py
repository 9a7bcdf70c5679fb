#!/usr/bin/env python3
"""Remote write end to end: one gateway, 20 pty meters labelled as 20
households, pushing with [[remote_write]] into Debian's victoria-metrics and
a Prometheus with --web.enable-remote-write-receiver (engines), into
scripted receivers answering 500 and 400 (answers), or over TLS with a CA
file, a wrong CA and tls_insecure_skip_verify (tls).
Usage: remote_write_e2e.py BINARY DATA_DIR engines|answers|tls
Exits 77 (ctest: skipped) when victoria-metrics or prometheus is missing."""
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gateway_e2e import PtyMeter, fail, free_port, metric_value, metrics, stop, wait_for  # noqa: E402
from prometheus_e2e import BE_FILE, HOME_FILE, Feeder, close, expected_imported_joules  # noqa: E402

BIN, DATA, TEST = sys.argv[1], sys.argv[2], sys.argv[3]
HOUSEHOLDS = 20
OUTAGE_S = 60.0  # the outage: a minute of samples queued, then drained with no gap
INTERVAL_S = 1.0


def telegram_of(i):
    return open(os.path.join(DATA, HOME_FILE if i % 2 == 0 else BE_FILE), "rb").read()


def gateway_config(tmp, targets, http_port):
    """20 pty meters m0..m19, household h0..h19, and the remote-write tables."""
    meters = [PtyMeter(os.path.join(tmp, "p1-%d" % i)) for i in range(HOUSEHOLDS)]
    text = '[http]\nlisten = "127.0.0.1:%d"\n' % http_port
    text += "".join(targets)
    for i, m in enumerate(meters):
        text += ('[[meters]]\nname = "m%d"\nlabels = { household = "h%d" }\nserial = "%s"\n'
                 'preset = "%s"\n' % (i, i, m.link, "dsmr5" if i % 2 == 0 else "be"))
    path = os.path.join(tmp, "gw.toml")
    with open(path, "w") as f:
        f.write(text)
    return path, meters


def target(url, name, extra=""):
    return ('[[remote_write]]\nurl = "%s"\nname = "%s"\ninterval = "%gs"\n'
            'external_labels = { site = "e2e" }\n%s' % (url, name, INTERVAL_S, extra))


def get_json(url, timeout=3):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read().decode())


def series_per_meter(text):
    """{meter: number of series} on the gateway's /metrics page."""
    out = {}
    for line in text.splitlines():
        if line.startswith("#") or 'meter="' not in line:
            continue
        m = line.split('meter="', 1)[1].split('"', 1)[0]
        out[m] = out.get(m, 0) + 1
    return out


class Engine:
    """A victoria-metrics or prometheus process on loopback, data in tmp."""

    def __init__(self, args, port, log_path):
        self.args, self.port, self.log_path = args, port, log_path
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
        self.proc = None

    def get(self, path, **params):
        if self.proc is None or self.proc.poll() is not None:
            with open(self.log_path) as f:
                fail("%s is not running:\n%s" % (self.args[0], "".join(f.readlines()[-15:])))
        body = get_json("http://127.0.0.1:%d%s?%s" % (self.port, path, urllib.parse.urlencode(params, doseq=True)))
        if body.get("status") != "success":
            fail("%s %s: %r" % (self.args[0], path, body))
        return body["data"]

    def series(self, match):
        return self.get("/api/v1/series", **{"match[]": match, "start": str(int(time.time()) - 600)})

    def instant(self, promql):
        return [(r["metric"], float(r["value"][1]))
                for r in self.get("/api/v1/query", query=promql)["result"]]


def export(vm, match):
    """VictoriaMetrics' raw samples: {frozenset(labels): [(ts_ms, value)]}."""
    url = "http://127.0.0.1:%d/api/v1/export?%s" % (vm.port, urllib.parse.urlencode({"match[]": match}))
    out = {}
    with urllib.request.urlopen(url, timeout=5) as r:
        for line in r.read().decode().splitlines():
            row = json.loads(line)
            out[frozenset(row["metric"].items())] = list(zip(row["timestamps"], row["values"]))
    return out


def check_households(engine, name, want_series):
    """Every household's series count and imported energy, as the gateway shows them."""
    for i in range(HOUSEHOLDS):
        got = len(engine.series('{household="h%d"}' % i))
        if got != want_series["m%d" % i]:
            fail("%s: household h%d has %d series, the gateway shows %d"
                 % (name, i, got, want_series["m%d" % i]))
    values = engine.instant('dsmr_electricity_imported_joules_total{site="e2e"}')
    by_household = {labels["household"]: v for labels, v in values}
    for i in range(HOUSEHOLDS):
        want = expected_imported_joules(telegram_of(i).decode())
        if not close(by_household.get("h%d" % i), want):
            fail("%s: h%d imported %r J, the telegram says %r" % (name, i, by_household.get("h%d" % i), want))


def test_engines(tmp):
    vm_exe, prom_exe = shutil.which("victoria-metrics"), shutil.which("prometheus")
    if not vm_exe or not prom_exe:
        print("SKIP: victoria-metrics or prometheus not installed")
        sys.exit(77)
    vm_port, prom_port, http_port = free_port(), free_port(), free_port()
    vm = Engine([vm_exe, "-httpListenAddr=127.0.0.1:%d" % vm_port,
                 "-storageDataPath=" + os.path.join(tmp, "vm"), "-retentionPeriod=1d",
                 "-search.latencyOffset=0s", "-loggerLevel=ERROR"],
                vm_port, os.path.join(tmp, "vm.log"))
    prom_cfg = os.path.join(tmp, "prometheus.yml")
    with open(prom_cfg, "w") as f:
        f.write("global:\n  scrape_interval: 1m\n")
    prom = Engine([prom_exe, "--config.file=" + prom_cfg, "--web.enable-remote-write-receiver",
                   "--storage.tsdb.path=" + os.path.join(tmp, "tsdb"),
                   "--web.listen-address=127.0.0.1:%d" % prom_port, "--log.level=warn"],
                  prom_port, os.path.join(tmp, "prometheus.log"))
    cfg, meters = gateway_config(tmp, [
        target("http://127.0.0.1:%d/api/v1/write" % vm_port, "vm"),
        target("http://127.0.0.1:%d/api/v1/write" % prom_port, "prom")], http_port)
    feeder = Feeder([(m, telegram_of(i)) for i, m in enumerate(meters)])
    vm.start()
    prom.start()
    gw = subprocess.Popen([BIN, "--config", cfg])
    feeder.start()
    try:
        t0 = time.time()
        wait_for(lambda: len(series_per_meter(metrics(http_port))) == HOUSEHOLDS
                 and all(metric_value(metrics(http_port), "dsmr_meter_up", {"meter": "m%d" % i}) == 1
                         for i in range(HOUSEHOLDS)), "every meter up")
        want = series_per_meter(metrics(http_port))
        for engine, name in ((vm, "vm"), (prom, "prom")):
            wait_for(lambda: len(engine.instant('count by (household) (dsmr_meter_up{site="e2e"})')) == HOUSEHOLDS,
                     "%s: 20 households" % name)
            wait_for(lambda: sum(len(engine.series('{household="h%d"}' % i)) for i in range(HOUSEHOLDS))
                     == sum(want.values()), "%s: every series" % name)
            check_households(engine, name, want)
        print("20 households in both engines after %.1f s; %d series per household (h0)"
              % (time.time() - t0, want["m0"]))

        # VictoriaMetrics goes away; the gateway keeps the samples and retries.
        outage_start = time.time()
        vm.stop()
        wait_for(lambda: metric_value(metrics(http_port), "p1gateway_remote_write_samples_failed_total",
                                      {"target": "vm"}) > 0, "failed attempts while vm is down")
        wait_for(lambda: time.time() - outage_start >= OUTAGE_S, "the outage", timeout=OUTAGE_S + 2)
        text = metrics(http_port)
        pending = metric_value(text, "p1gateway_remote_write_pending_samples", {"target": "vm"})
        lag = metric_value(text, "p1gateway_remote_write_lag_seconds", {"target": "vm"})
        if not pending or lag < OUTAGE_S - 2:
            fail("during the outage: pending %r, lag %r" % (pending, lag))
        if metric_value(text, "p1gateway_remote_write_pending_samples", {"target": "prom"}) > 2 * sum(want.values()):
            fail("prometheus' queue grew while only vm was down")
        vm.start()
        outage_end = time.time()
        wait_for(lambda: metric_value(metrics(http_port), "p1gateway_remote_write_pending_samples",
                                      {"target": "vm"}) < sum(want.values()) * 2, "vm's queue drained",
                 timeout=30)
        print("outage %.1f s: %d samples pending at its end, lag %.1f s; drained %.1f s after vm was back"
              % (outage_end - outage_start, pending, lag, time.time() - outage_end))
        # No gap: every household's telegram counter has a sample every
        # interval through the outage, in order, each once.
        def no_gap():
            rows = export(vm, 'p1gateway_telegrams_total{site="e2e"}')
            if len(rows) != HOUSEHOLDS:
                return False
            for samples in rows.values():
                ts = [t / 1000.0 for t, _ in samples if outage_start - 3 <= t / 1000.0 <= outage_end + 1]
                if not ts or ts[0] > outage_start - 1.5 or ts[-1] < outage_end - 0.5:
                    return False
            return rows
        rows = wait_for(no_gap, "vm: the outage's samples", timeout=15)
        for labels, samples in rows.items():
            ts = [t for t, _ in samples]
            if ts != sorted(set(ts)):
                fail("vm: samples out of order or twice for %r" % dict(labels))
            values = [v for _, v in samples]
            if values != sorted(values):
                fail("vm: a counter went backwards for %r" % dict(labels))
            window = [t / 1000.0 for t in ts if outage_start - 2 <= t / 1000.0 <= outage_end]
            gaps = [b - a for a, b in zip(window, window[1:])]
            if max(gaps) > 2.5 * INTERVAL_S:
                fail("vm: a %.1f s gap for %r around the outage" % (max(gaps), dict(labels)))
        check_households(vm, "vm after the outage", want)
        text = metrics(http_port)
        for name in ("vm", "prom"):
            for reason in ("queue_full", "rejected"):
                if metric_value(text, "p1gateway_remote_write_samples_dropped_total",
                                {"target": name, "reason": reason}) != 0:
                    fail("%s: samples dropped (%s)" % (name, reason))
        sent = metric_value(text, "p1gateway_remote_write_samples_sent_total", {"target": "vm"})
        print("vm: %d samples sent in %.1f s (%.0f samples/s)" % (sent, time.time() - t0, sent / (time.time() - t0)))
    finally:
        feeder.done.set()
        if gw.poll() is None:
            stop(gw)
        vm.stop()
        prom.stop()


class Scripted(http.server.BaseHTTPRequestHandler):
    """Answers remote-write POSTs with the server's script, then with its default."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        srv = self.server
        with srv.lock:
            srv.bodies.append(body)
            srv.heads.append(str(self.headers))
            status = srv.script.pop(0) if srv.script else srv.default
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def scripted(script, default):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    srv.script, srv.default, srv.lock = list(script), default, threading.Lock()
    srv.bodies, srv.heads = [], []
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def test_answers(tmp):
    retry = scripted([500, 500, 503], 204)
    reject = scripted([], 400)
    http_port = free_port()
    cfg, meters = gateway_config(tmp, [
        target("http://127.0.0.1:%d/api/v1/write" % retry.server_port, "retry"),
        target("http://127.0.0.1:%d/api/v1/write" % reject.server_port, "reject")], http_port)
    feeder = Feeder([(m, telegram_of(i)) for i, m in enumerate(meters)])
    gw = subprocess.Popen([BIN, "--config", cfg])
    feeder.start()
    try:
        v = lambda name, t, **l: metric_value(metrics(http_port), name, dict(target=t, **l))
        wait_for(lambda: v("p1gateway_remote_write_samples_sent_total", "retry") > 0, "retry: delivered")
        with retry.lock:
            first = retry.bodies[:4]
        if len(first) < 4 or any(b != first[0] for b in first):
            fail("the request refused with 500, 500, 503 was not sent again unchanged")
        failed = v("p1gateway_remote_write_samples_failed_total", "retry")
        sent = v("p1gateway_remote_write_samples_sent_total", "retry")
        if failed <= 0 or sent < failed / 3:
            fail("retry: failed %r sent %r" % (failed, sent))
        wait_for(lambda: v("p1gateway_remote_write_samples_dropped_total", "reject", reason="rejected") > 0,
                 "reject: dropped")
        if v("p1gateway_remote_write_samples_sent_total", "reject") != 0:
            fail("a 400 counted as sent")
        if v("p1gateway_remote_write_samples_failed_total", "reject") != 0:
            fail("a 400 was retried")
        wait_for(lambda: len(reject.bodies) >= 3, "reject: later requests still sent")
        if len(set(reject.bodies)) != len(reject.bodies):
            fail("reject: a request refused with 400 was sent again")
        print("500, 500, 503 then 204: %d samples failed and were retried, %d sent; 400: %d dropped"
              % (failed, sent, v("p1gateway_remote_write_samples_dropped_total", "reject", reason="rejected")))
    finally:
        feeder.done.set()
        if gw.poll() is None:
            stop(gw)
        retry.shutdown()
        reject.shutdown()


def self_signed(tmp, name):
    """A certificate for 127.0.0.1 and its key (openssl), as file paths."""
    cert, key = os.path.join(tmp, name + ".crt"), os.path.join(tmp, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    return cert, key


def test_tls(tmp):
    if not shutil.which("openssl"):
        print("SKIP: openssl not installed")
        sys.exit(77)
    import ssl
    cert, key = self_signed(tmp, "receiver")
    other, _ = self_signed(tmp, "other")
    srv = scripted([], 204)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    token = os.path.join(tmp, "user.password")
    with open(token, "w") as f:
        f.write("pw\n")
    url = "https://127.0.0.1:%d/api/v1/write" % srv.server_port
    auth = 'basic_auth_user = "u"\nbasic_auth_password_file = "%s"\n' % token
    http_port = free_port()
    cfg, meters = gateway_config(tmp, [
        target(url, "ca", 'tls_ca_file = "%s"\n' % cert + auth),
        target(url, "wrong_ca", 'tls_ca_file = "%s"\n' % other),
        target(url, "insecure", "tls_insecure_skip_verify = true\n")], http_port)
    feeder = Feeder([(m, telegram_of(i)) for i, m in enumerate(meters)])
    gw = subprocess.Popen([BIN, "--config", cfg])
    feeder.start()
    try:
        v = lambda name, t: metric_value(metrics(http_port), name, {"target": t})
        wait_for(lambda: v("p1gateway_remote_write_samples_sent_total", "ca") > 0, "ca: delivered over TLS")
        wait_for(lambda: v("p1gateway_remote_write_samples_sent_total", "insecure") > 0, "insecure: delivered")
        wait_for(lambda: v("p1gateway_remote_write_samples_failed_total", "wrong_ca") > 0, "wrong_ca: refused")
        if v("p1gateway_remote_write_samples_sent_total", "wrong_ca") != 0:
            fail("a certificate from another CA was accepted")
        with srv.lock:
            heads = list(srv.heads)
        if not any("Basic dTpwdw==" in h for h in heads):
            fail("no request carried the basic auth from basic_auth_password_file")
        print("TLS: delivered with tls_ca_file and with tls_insecure_skip_verify; another CA refused")
    finally:
        feeder.done.set()
        if gw.poll() is None:
            stop(gw)
        srv.shutdown()


def main():
    with tempfile.TemporaryDirectory() as tmp:
        {"engines": lambda: test_engines(tmp),
         "answers": lambda: test_answers(tmp),
         "tls": lambda: test_tls(tmp)}[TEST]()
    print("ok", TEST)


if __name__ == "__main__":
    main()
