#!/usr/bin/env python3
"""Remote-write cost, figures not assertions: one gateway with N simulated
meters at 1 Hz pushing to a local receiver that answers 204 and counts body
bytes; prints gateway CPU %, RSS, samples/s and compressed bytes per sample
for: no remote write, interval = 1s, and on_telegram with interval = 10s.
usage: push_cost.py BINARY [N=100] [SECONDS=20]"""
import http.server
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from proc_util import cpu_s, rss_kb  # noqa: E402

BIN = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 100
SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 20.0


class Counter(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        self.rfile.read(n)
        with self.server.lock:
            self.server.bytes += n
            self.server.requests += 1
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


def sent(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("p1gateway_remote_write_samples_sent_total"):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def run(tmp, rw, http_port):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counter)
    srv.bytes, srv.requests, srv.lock = 0, 0, threading.Lock()
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    cfg = os.path.join(tmp, "gw.toml")
    with open(cfg, "w") as f:
        f.write('[gateway]\nlog_level = "warn"\n[http]\nlisten = "127.0.0.1:%d"\n' % http_port)
        if rw:
            f.write('[[remote_write]]\nurl = "http://127.0.0.1:%d/api/v1/write"\n%s'
                    'queue_samples = 1000000\nmax_samples_per_send = 10000\n' % (srv.server_port, rw))
        for i in range(N):
            f.write('[[meters]]\nname = "m%d"\nlabels = { household = "h%d" }\nsimulate = "dsmr5"\nrate = 1\n' % (i, i))
    gw = subprocess.Popen([BIN, "--config", cfg])
    time.sleep(3)  # warm-up: every meter has sent, the first pushes went
    c0, s0, b0 = cpu_s(gw.pid), sent(http_port) if rw else 0, srv.bytes
    time.sleep(SECONDS)
    c1, s1, b1 = cpu_s(gw.pid), sent(http_port) if rw else 0, srv.bytes
    rss = rss_kb(gw.pid)
    gw.terminate()
    gw.wait()
    srv.shutdown()
    samples = s1 - s0
    return (c1 - c0) / SECONDS * 100, rss, samples / SECONDS, (b1 - b0) / samples if samples else 0


def main():
    with tempfile.TemporaryDirectory() as tmp:
        print("%d meters at 1 Hz, %.0f s each" % (N, SECONDS))
        print("| remote write | CPU % | RSS MB | samples/s | bytes/sample |")
        print("|---|---|---|---|---|")
        for name, rw in (("off", ""), ("interval 1s", 'interval = "1s"\n'),
                         ("on_telegram, interval 10s", 'interval = "10s"\non_telegram = true\n')):
            cpu, rss, rate, bps = run(tmp, rw, 20000 + len(name))
            print("| %s | %.2f | %.1f | %.0f | %.2f |" % (name, cpu, rss / 1024.0, rate, bps))


if __name__ == "__main__":
    main()
