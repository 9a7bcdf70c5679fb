#!/usr/bin/env python3
"""Scrape latency of p1gateway's /metrics while IDLE connections are held
open (from 127.0.0.2, half of them with a request begun and never finished)
and 2 raw proxy clients read telegrams: M simulated DSMR 5 meters at RATE
telegrams/s each. Times N scrapes on fresh connections and N on one
kept-alive connection (if the server keeps it alive), and prints
p50/p99/max in milliseconds for each, plus failures (no answer within 15 s).

usage: scrape_latency.py [--bin BINARY] [--idle 64] [--meters 8] [--rate 1]
                         [--scrapes 200]
"""
import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def read_answer(sock):
    """One Content-Length framed answer; returns False on close/timeout."""
    buf = b""
    while True:
        sep = buf.find(b"\r\n\r\n")
        if sep >= 0:
            head = buf[:sep].decode("latin-1").lower()
            length = int(head.split("content-length:")[1].split("\r\n")[0])
            if len(buf) >= sep + 4 + length:
                return "connection: close" not in head
        try:
            chunk = sock.recv(65536)
        except OSError:
            return None
        if not chunk:
            return None
        buf += chunk


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "../../build/gateway/p1gateway"))
    ap.add_argument("--idle", type=int, default=64)
    ap.add_argument("--meters", type=int, default=8)
    ap.add_argument("--rate", type=float, default=1)
    ap.add_argument("--scrapes", type=int, default=200)
    a = ap.parse_args()
    mport = free_port()
    ports = [free_port() for _ in range(a.meters)]
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "bench.toml")
        with open(cfg, "w") as f:
            f.write('[gateway]\nlog_level = "warn"\n[metrics]\nlisten = "127.0.0.1:%d"\n' % mport)
            for i, p in enumerate(ports):
                f.write('[[meters]]\nname = "m%d"\nsimulate = "dsmr5"\nrate = %g\n'
                        '  [[meters.listeners]]\n  listen = "127.0.0.1:%d"\n' % (i, a.rate, p))
        proc = subprocess.Popen([a.bin, "--config", cfg])
        try:
            end = time.time() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", mport), timeout=1).close()
                    break
                except OSError:
                    if time.time() > end:
                        sys.exit("gateway did not start")
                    time.sleep(0.05)
            proxies = [socket.create_connection(("127.0.0.1", p)) for p in ports[:2]]
            idle = []
            for i in range(a.idle):
                s = socket.socket()
                s.bind(("127.0.0.2", 0))
                s.connect(("127.0.0.1", mport))
                if i % 2:
                    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: slow")
                idle.append(s)
            time.sleep(0.5)  # let the gateway take them all from the backlog
            req = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
            fresh, failures = [], 0
            for _ in range(a.scrapes):
                t0 = time.perf_counter()
                try:
                    s = socket.create_connection(("127.0.0.1", mport), timeout=15)
                    s.settimeout(15)
                    s.sendall(req)
                    ok = read_answer(s) is not None
                    s.close()
                except OSError:
                    ok = False
                if ok:
                    fresh.append((time.perf_counter() - t0) * 1000)
                else:
                    failures += 1
            kept, kept_alive = [], True
            s = socket.create_connection(("127.0.0.1", mport), timeout=15)
            s.settimeout(15)
            for _ in range(a.scrapes):
                t0 = time.perf_counter()
                try:
                    s.sendall(req)
                    alive = read_answer(s)
                except OSError:
                    alive = None
                if alive is None:
                    failures += 1
                    break
                kept.append((time.perf_counter() - t0) * 1000)
                if not alive:
                    kept_alive = False
                    s.close()
                    s = socket.create_connection(("127.0.0.1", mport), timeout=15)
                    s.settimeout(15)
            for x in idle + proxies + [s]:
                x.close()
            print("idle=%d meters=%d  fresh: p50 %.2f p99 %.2f max %.2f ms  kept%s: p50 %.2f p99 %.2f "
                  "max %.2f ms  failures %d" %
                  (a.idle, a.meters, pct(fresh, 0.5), pct(fresh, 0.99), max(fresh or [float("nan")]),
                   "" if kept_alive else " (server closes: reconnects)", pct(kept, 0.5),
                   pct(kept, 0.99), max(kept or [float("nan")]), failures))
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
