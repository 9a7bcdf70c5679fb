#!/usr/bin/env python3
"""CPU per published MQTT message: the gateway with N simulated meters at
RATE telegrams/s each, once without [mqtt] and once publishing every
telegram (min_interval = "0s") to a real mosquitto on loopback, with a
mosquitto_sub reading everything. The difference in the gateway's CPU time
(every thread, from /proc/PID/task/*/schedstat) over the same window,
divided by the messages it published (p1gateway_mqtt_published_total), is
the cost of one message: rendering, the outbox and libmosquitto's write.

  python3 bench/mqtt/publish_cpu.py build/gateway/p1gateway [METERS] [RATE] [SECONDS]

Defaults: 20 meters at 10 telegrams/s for 20 s (200 states/s)."""
import os
import pwd
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

BIN = sys.argv[1]
METERS = int(sys.argv[2]) if len(sys.argv) > 2 else 20
RATE = int(sys.argv[3]) if len(sys.argv) > 3 else 10
SECONDS = float(sys.argv[4]) if len(sys.argv) > 4 else 20.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(cond, what, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if cond():
                return
        except OSError:
            pass
        time.sleep(0.05)
    sys.exit("timed out waiting for " + what)


def metric(port, name):
    body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read().decode()
    for line in body.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


def cpu_ns(pid):
    total = 0
    for task in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/schedstat" % (pid, task)) as f:
            total += int(f.read().split()[0])
    return total


def run(tmp, broker_port, mqtt):
    http = free_port()
    text = '[http]\nlisten = "127.0.0.1:%d"\n' % http
    if mqtt:
        text += '[mqtt]\nbroker = "mqtt://127.0.0.1:%d"\nmin_interval = "0s"\n' % broker_port
    for k in range(METERS):
        text += '[[meters]]\nname = "m%d"\nsimulate = "dsmr5"\nrate = %d\n' % (k, RATE)
    cfg = os.path.join(tmp, "gw.toml")
    with open(cfg, "w") as f:
        f.write(text)
    gw = subprocess.Popen([BIN, "--config", cfg], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: urllib.request.urlopen("http://127.0.0.1:%d/healthz" % http, timeout=2).status == 200,
                 "every meter up")
        if mqtt:
            wait_for(lambda: (metric(http, "p1gateway_mqtt_published_total") or 0) > METERS * 2, "publishing")
        time.sleep(1)  # past the first discovery burst
        p0 = metric(http, "p1gateway_mqtt_published_total") if mqtt else 0
        c0, t0 = cpu_ns(gw.pid), time.time()
        time.sleep(SECONDS)
        c1, t1 = cpu_ns(gw.pid), time.time()
        p1 = metric(http, "p1gateway_mqtt_published_total") if mqtt else 0
        dropped = metric(http, "p1gateway_mqtt_dropped_total") if mqtt else 0
        with open("/proc/%d/status" % gw.pid) as f:
            rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
        return (c1 - c0) / 1e9, t1 - t0, p1 - p0, dropped, rss
    finally:
        gw.terminate()
        gw.wait(timeout=10)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        conf = os.path.join(tmp, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\nuser %s\n"
                    % (port, pwd.getpwuid(os.getuid()).pw_name))
        broker = subprocess.Popen(["mosquitto", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: socket.create_connection(("127.0.0.1", port), timeout=1), "mosquitto")
            sub = subprocess.Popen(["mosquitto_sub", "-p", str(port), "-t", "#"], stdout=subprocess.DEVNULL)
            try:
                off = run(tmp, port, False)
                on = run(tmp, port, True)
            finally:
                sub.terminate()
        finally:
            broker.terminate()
            broker.wait(timeout=10)
    print("%d meters x %d telegrams/s, %.0f s windows" % (METERS, RATE, SECONDS))
    for label, (cpu, wall, published, dropped, rss) in (("mqtt off", off), ("mqtt on", on)):
        print("  %-8s CPU %.3f s over %.1f s (%.2f %% of a core), %d published, %d dropped, RSS %d kB"
              % (label, cpu, wall, 100 * cpu / wall, published, dropped, rss))
    extra = on[0] / on[1] - off[0] / off[1]  # CPU seconds per second
    per_msg = extra * on[1] / on[2] if on[2] else float("nan")
    print("  per published message: %.1f us of gateway CPU" % (per_msg * 1e6))


if __name__ == "__main__":
    main()
