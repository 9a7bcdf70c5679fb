#!/usr/bin/env python3
"""Fleet scale, figures not assertions: one gateway with N `tcp =` meters,
fed by one feeder process that sends each of them the 913-byte benchmark
telegram once a second over loopback. For each N prints the gateway's CPU
(% of a core, and per meter), RSS (and per meter above the 0-meter
baseline), and /metrics scrape time (best and median of 10, timed by Python and by curl) and size.
usage: scale.py BINARY TELEGRAM [N ...]   (default N: 100 500 1000)
GZ=1: curl asks for gzip, as Prometheus does."""
import os
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from proc_util import cpu_s, free_port, rss_kb  # noqa: E402

BIN, TELEGRAM = sys.argv[1], open(sys.argv[2], "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
COUNTS = [int(a) for a in sys.argv[3:]] or [100, 500, 1000]
WARMUP_S = float(os.environ.get("WARMUP_S", "8"))
MEASURE_S = float(os.environ.get("MEASURE_S", "20"))


def feeder(port, n, seconds):
    """A child process: accepts n connections and sends each a telegram per second."""
    pid = os.fork()
    if pid:
        return pid
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(1024)
    srv.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(srv, selectors.EVENT_READ)
    conns = []
    end = time.time() + seconds
    next_tick = time.time()
    while time.time() < end:
        for key, _ in sel.select(timeout=max(0.0, next_tick - time.time())):
            c, _ = srv.accept()
            c.setblocking(False)
            conns.append(c)
        if time.time() >= next_tick:
            next_tick += 1.0
            for c in list(conns):
                try:
                    c.send(TELEGRAM)
                except OSError:
                    conns.remove(c)
    os._exit(0)


def scrape(port):
    t = time.perf_counter()
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=30) as r:
        body = r.read()
    return time.perf_counter() - t, len(body)


def scrape_curl(port):
    """The same scrape timed by curl, a compiled client like Prometheus
    (Python's own reading of 1-2 MB adds to its figure): seconds."""
    gzip = ["--compressed"] if os.environ.get("GZ") else []
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{time_total}", *gzip,
                          "http://127.0.0.1:%d/metrics" % port], capture_output=True, text=True, timeout=30)
    return float(out.stdout)


def run(tmp, n):
    feed_port, http_port = free_port(), free_port()
    cfg = os.path.join(tmp, "fleet-%d.toml" % n)
    with open(cfg, "w") as f:
        f.write('[gateway]\nlog_level = "warn"\n[http]\nlisten = "127.0.0.1:%d"\n' % http_port)
        for i in range(n):
            f.write('[[meters]]\nname = "m%d"\nlabels = { household = "h%d" }\ntcp = "127.0.0.1:%d"\n'
                    % (i, i, feed_port))
    child = feeder(feed_port, n, WARMUP_S + MEASURE_S + 30) if n else None
    gw = subprocess.Popen([BIN, "--config", cfg])
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                scrape(http_port)
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(WARMUP_S)
        text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % http_port, timeout=30).read().decode()
        up = sum(1 for line in text.splitlines() if line.startswith("dsmr_meter_up{") and line.endswith(" 1"))
        c0, t0 = cpu_s(gw.pid), time.time()
        time.sleep(MEASURE_S)
        cpu = (cpu_s(gw.pid) - c0) / (time.time() - t0) * 100
        rss_before = rss_kb(gw.pid)
        scrapes = [scrape(http_port) for _ in range(10)]
        curl = [scrape_curl(http_port) for _ in range(10)]
        rss_after = rss_kb(gw.pid)
        return {"n": n, "up": up, "cpu": cpu, "rss": rss_before, "rss_after": rss_after,
                "scrape_best": min(s[0] for s in scrapes) * 1000,
                "scrape_median": statistics.median(s[0] for s in scrapes) * 1000,
                "curl_best": min(curl) * 1000, "curl_median": statistics.median(curl) * 1000,
                "bytes": scrapes[-1][1]}
    finally:
        gw.terminate()
        gw.wait(timeout=20)
        if child:
            os.kill(child, 15)
            os.waitpid(child, 0)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        base = run(tmp, 0)
        print("baseline (0 meters): RSS %.1f MB" % (base["rss"] / 1024))
        print("| meters | up | CPU % of a core | CPU % per meter | RSS MB | RSS KiB per meter | "
              "RSS after 20 scrapes MB | scrape best / median ms (Python) | (curl) | scrape KB |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for n in COUNTS:
            r = run(tmp, n)
            print("| %d | %d | %.2f | %.5f | %.1f | %.1f | %.1f | %.1f / %.1f | %.1f / %.1f | %.0f |" % (
                n, r["up"], r["cpu"], r["cpu"] / n, r["rss"] / 1024, (r["rss"] - base["rss"]) / n,
                r["rss_after"] / 1024, r["scrape_best"], r["scrape_median"],
                r["curl_best"], r["curl_median"], r["bytes"] / 1024))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
