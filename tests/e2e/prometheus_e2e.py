#!/usr/bin/env python3
"""End to end with a real Prometheus server: two pty meters -> p1gateway ->
/metrics -> Prometheus scrape (1 s) + the project's recording rules -> HTTP
query API. Usage: prometheus_e2e.py BINARY DATA_DIR RULES_YML
Exits 77 (ctest: skipped) when no prometheus binary is installed."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

# gateway_e2e reads BINARY DATA_DIR from sys.argv[1:3] at import time (our
# argv has the same shape) and keeps main() behind its __name__ guard.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gateway_e2e import PtyMeter, fail, free_port, metric_value, metrics, stop, wait_for  # noqa: E402

BIN, DATA, RULES = sys.argv[1], sys.argv[2], sys.argv[3]
BUDGET = 30.0  # seconds for all queries; with the start/stop bounds below < ctest TIMEOUT 60
HOME_FILE = "dsmr-tools__dsmr50__onrealdsmr5-parse-real-telegram.txt"
BE_FILE = "dsmr_parser__be-emucs__fluvius-v171.txt"
REL_TOL = 1e-9


def obis_values(text, pattern):
    """Float values of the telegram lines matching pattern (one group: the number)."""
    return [float(m.group(1)) for m in re.finditer(pattern, text, re.M)]


def expected_imported_joules(text):
    """Sum of the tariff import registers 1-0:1.8.1 and 1-0:1.8.2, kWh -> J."""
    kwh = obis_values(text, r"^1-0:1\.8\.[12]\((\d+\.\d+)\*kWh\)")
    if len(kwh) != 2:
        fail("telegram has %d tariff import registers, expected 2" % len(kwh))
    return sum(kwh) * 3.6e6


def expected_mbus(text, device_type):
    """{channel: m3} of the M-Bus devices of the given type (3 gas, 7 water)."""
    types = {int(ch): int(t) for ch, t in re.findall(r"^0-(\d):24\.1\.0\((\d+)\)", text, re.M)}
    values = {int(ch): float(v) for ch, v in
              re.findall(r"^0-(\d):24\.2\.[13]\(\w+\)\((\d+\.\d+)\*m3\)", text, re.M)}
    return {ch: v for ch, v in values.items() if types.get(ch) == device_type}


def close(got, want):
    return got is not None and abs(got - want) <= REL_TOL * max(abs(want), 1.0)


class Prometheus:
    """A Prometheus server on loopback with its own config, TSDB and log in tmp."""

    def __init__(self, exe, tmp, target_port):
        self.port = free_port()
        rules = os.path.join(tmp, "rules.yml")
        # The shipped groups evaluate every minute; 1 s keeps the test short.
        with open(RULES) as src, open(rules, "w") as dst:
            dst.write(re.sub(r"^(\s*interval:\s*)\S+", r"\g<1>1s", src.read(), flags=re.M))
        cfg = os.path.join(tmp, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "  evaluation_interval: 1s\n"
                    "rule_files:\n  - %s\n"
                    "scrape_configs:\n  - job_name: p1gateway\n    static_configs:\n"
                    "      - targets: ['127.0.0.1:%d']\n" % (rules, target_port))
        self.log_path = os.path.join(tmp, "prometheus.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [exe, "--config.file=" + cfg, "--storage.tsdb.path=" + os.path.join(tmp, "tsdb"),
             "--web.listen-address=127.0.0.1:%d" % self.port, "--log.level=warn"],
            cwd=tmp, stdout=self.log, stderr=subprocess.STDOUT)

    def get(self, path, **params):
        url = "http://127.0.0.1:%d%s?%s" % (self.port, path, urllib.parse.urlencode(params))
        with urllib.request.urlopen(url, timeout=2) as r:
            body = json.loads(r.read().decode())
        if body.get("status") != "success":
            fail("prometheus %s: %r" % (path, body))
        return body["data"]

    def query(self, promql):
        """Instant query -> list of (labels dict, float value)."""
        if self.proc.poll() is not None:
            fail("prometheus exited with %d:\n%s" % (self.proc.returncode, self.log_tail()))
        return [(r["metric"], float(r["value"][1])) for r in self.get("/api/v1/query", query=promql)["result"]]

    def log_tail(self):
        self.log.flush()
        with open(self.log_path) as f:
            return "".join(f.readlines()[-20:])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                print("warning: prometheus ignored SIGTERM for 5 s and was killed")
        self.log.close()


class Feeder(threading.Thread):
    """Writes each meter's telegram once a second, like a DSMR 5 meter."""

    def __init__(self, pairs):
        super().__init__(daemon=True)
        self.pairs, self.done = pairs, threading.Event()

    def run(self):
        while not self.done.is_set():
            for meter, telegram in self.pairs:
                meter.write(telegram)
            self.done.wait(1.0)


def single(series, what):
    if len(series) != 1:
        fail("%s: expected one series, got %r" % (what, series))
    return series[0]


def run(tmp, exe):
    home_text = open(os.path.join(DATA, HOME_FILE), "rb").read()
    be_text = open(os.path.join(DATA, BE_FILE), "rb").read()
    want_home = expected_imported_joules(home_text.decode())
    want_be = expected_imported_joules(be_text.decode())
    gas = expected_mbus(be_text.decode(), 3)
    water = expected_mbus(be_text.decode(), 7)
    if list(gas) != [1] or list(water) != [2]:
        fail("unexpected M-Bus layout in %s: gas %r water %r" % (BE_FILE, gas, water))

    home, be = PtyMeter(os.path.join(tmp, "home")), PtyMeter(os.path.join(tmp, "be"))
    mport = free_port()
    cfg = os.path.join(tmp, "gw.toml")
    with open(cfg, "w") as f:
        f.write('[metrics]\nlisten = "127.0.0.1:%d"\n'
                '[[meters]]\nname = "home"\nserial = "%s"\npreset = "dsmr5"\n'
                'labels = { household = "12b" }\n'
                '[[meters]]\nname = "be"\nserial = "%s"\npreset = "be"\n' % (mport, home.link, be.link))
    gw = subprocess.Popen([BIN, "--config", cfg])
    prom = feeder = None
    try:
        wait_for(lambda: 'meter="be"' in metrics(mport), "gateway /metrics", timeout=10)
        prom = Prometheus(exe, tmp, mport)
        wait_for(lambda: all(metric_value(metrics(mport), "p1gateway_source_connected",
                                          {"meter": m}) == 1 for m in ("home", "be")),
                 "both serial sources open")
        feeder = Feeder([(home, home_text), (be, be_text)])
        feeder.start()

        end = time.time() + BUDGET
        # A series once present never changes here (the meters repeat one
        # telegram), so a wrong value fails at once; only `up` may flap.
        checks = [
            ("scrape target up", 'up{job="p1gateway"}', lambda s: close(single(s, "up")[1], 1)),
            ("home imported joules", 'dsmr_electricity_imported_joules_total{meter="home"}',
             lambda s: close(single(s, "home")[1], want_home)),
            ("be imported joules", 'dsmr_electricity_imported_joules_total{meter="be"}',
             lambda s: close(single(s, "be")[1], want_be)),
            ("static label on home only", 'dsmr_electricity_imported_joules_total{household="12b"}',
             lambda s: single(s, "household")[0].get("meter") == "home"),
            ("gas channel 1", 'dsmr_gas_cubic_meters_total{channel="1"}',
             lambda s: single(s, "gas")[0].get("meter") == "be" and close(s[0][1], gas[1])),
            ("water channel 2", 'dsmr_water_cubic_meters_total{channel="2"}',
             lambda s: single(s, "water")[0].get("meter") == "be" and close(s[0][1], water[2])),
            ("recording rule dsmr:electricity_imported_kwh",
             'dsmr:electricity_imported_kwh{meter="home",household="12b"}',
             lambda s: close(single(s, "rule")[1], want_home / 3.6e6)),
            ("recording rule dsmr:meter_telegram_age_seconds",
             'dsmr:meter_telegram_age_seconds{meter="be"}',
             lambda s: 0 <= single(s, "age")[1] < 30),
        ]
        for what, promql, ok in checks:
            last = None
            while True:
                try:
                    last = prom.query(promql)
                    # An empty result just means "not scraped/evaluated yet".
                    if last and ok(last):
                        break
                except OSError:
                    pass  # Prometheus not listening yet
                if time.time() > end or (last and not promql.startswith("up")):
                    fail("%s: %s gave %r (want home %.3f J, be %.3f J, gas %r, water %r)\n"
                         "prometheus log:\n%s" % (what, promql, last, want_home, want_be, gas,
                                                  water, prom.log_tail()))
                time.sleep(0.2)
            print("ok:", what, last)

        groups = prom.get("/api/v1/rules", type="record")["groups"]
        bad = [(r["name"], r.get("lastError")) for g in groups for r in g["rules"]
               if r.get("health") == "err"]
        if len(groups) != 3 or bad:
            fail("rules: %d groups loaded, failing rules %r" % (len(groups), bad))
    finally:
        if feeder:
            feeder.done.set()
            feeder.join(timeout=5)
        if prom:
            prom.stop()
        if gw.poll() is None:
            stop(gw)
        elif gw.returncode != 0:
            fail("gateway exited early with %d" % gw.returncode)


def main():
    exe = shutil.which("prometheus") or ("/usr/bin/prometheus" if os.access("/usr/bin/prometheus", os.X_OK)
                                         else None)
    if exe is None:
        print("SKIP: no prometheus binary (Debian package 'prometheus' provides it)")
        sys.exit(77)
    start = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        run(tmp, exe)
    print("ok prometheus_e2e in %.1f s" % (time.time() - start))


if __name__ == "__main__":
    main()
