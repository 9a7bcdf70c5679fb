#!/usr/bin/env python3
"""Memory of p1gateway serving live pages: M simulated DSMR 5 meters (one
telegram/s each), N clients reading /api/v1/events (as N open web pages
would) for DURATION s. Prints VmRSS/VmHWM at the start and the end, the
events each client received (min/max) and the gateway's CPU.

usage: sse_rss.py [--bin BINARY] [--meters 8] [--clients 10] [--duration 20]
"""
import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def status(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reader(port, counts, i, stop):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
    s.settimeout(1)
    while not stop.is_set():
        try:
            data = s.recv(65536)
        except socket.timeout:
            continue
        if not data:
            break
        counts[i] += data.count(b"event: reading\n")
    s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "../../build/gateway/p1gateway"))
    ap.add_argument("--meters", type=int, default=8)
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--duration", type=float, default=20)
    a = ap.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "sse.toml")
        with open(cfg, "w") as f:
            f.write('[gateway]\nlog_level = "warn"\n[http]\nlisten = "127.0.0.1:%d"\n' % port)
            for i in range(a.meters):
                f.write('[[meters]]\nname = "m%d"\nsimulate = "dsmr5"\n' % i)
        proc = subprocess.Popen([a.bin, "--config", cfg])
        try:
            end = time.time() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.time() > end:
                        sys.exit("gateway did not start")
                    time.sleep(0.05)
            time.sleep(1)
            rss0 = status(proc.pid, "VmRSS")
            cpu0 = cpu_seconds(proc.pid)
            counts, stop = [0] * a.clients, threading.Event()
            threads = [threading.Thread(target=reader, args=(port, counts, i, stop)) for i in range(a.clients)]
            for t in threads:
                t.start()
            time.sleep(a.duration)
            rss1, hwm = status(proc.pid, "VmRSS"), status(proc.pid, "VmHWM")
            cpu = (cpu_seconds(proc.pid) - cpu0) / a.duration * 100
            stop.set()
            for t in threads:
                t.join()
            print("meters=%d clients=%d duration=%gs  rss before %d kB, after %d kB (hwm %d kB)  "
                  "events per client %d..%d  cpu %.2f%%" %
                  (a.meters, a.clients, a.duration, rss0, rss1, hwm, min(counts), max(counts), cpu))
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
