#!/usr/bin/env python3
"""The gateway as a systemd Type=notify service, with this test as systemd:
the test owns the datagram socket $NOTIFY_SOCKET names and the journal
stream $JOURNAL_STREAM names. Usage: systemd_e2e.py BINARY DATA_DIR TEST"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gateway_e2e import fail, free_port, read_telegram, stop, wait_for  # noqa: E402

BIN, DATA, TEST = sys.argv[1], sys.argv[2], sys.argv[3]


class NotifySocket:
    """systemd's side of sd_notify(3): every datagram, split into its
    KEY=VALUE lines, with the time it arrived. `on_ready` runs in the reader
    thread the moment a READY=1 arrives, before the next datagram is read."""

    def __init__(self, path, on_ready=None):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.messages = []  # (time, [lines])
        self.on_ready = on_ready
        self.ready_errors = []
        self.lock = threading.Lock()
        self.done = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while not self.done:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            lines = data.decode().strip("\n").split("\n")
            if "READY=1" in lines and self.on_ready:
                try:
                    self.on_ready()
                except OSError as e:
                    self.ready_errors.append(str(e))
            with self.lock:
                self.messages.append((time.time(), lines))

    def lines(self):
        with self.lock:
            return [line for _, lines in self.messages for line in lines]

    def count(self, line):
        return self.lines().count(line)

    def statuses(self):
        return [line[len("STATUS="):] for line in self.lines() if line.startswith("STATUS=")]

    def close(self):
        self.done = True
        self.thread.join(timeout=5)
        self.sock.close()


def write_config(path, mport, lport, extra=""):
    with open(path, "w") as f:
        f.write('[metrics]\nlisten = "127.0.0.1:%d"\n'
                '[[meters]]\nname = "home"\nsimulate = "dsmr5"\nrate = 10\n%s'
                '  [[meters.listeners]]\n  listen = "127.0.0.1:%d"\n' % (mport, extra, lport))


def start(cfg, env_extra, stderr=None):
    env = {k: v for k, v in os.environ.items()
           if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM",
                        "INVOCATION_ID")}
    env.update(env_extra)
    return subprocess.Popen([BIN, "--config", cfg], env=env, stderr=stderr)


def test_notify(tmp):
    """READY=1 only once the listeners accept, STATUS= that follows meters
    and clients, RELOADING=1/READY=1 around SIGHUP (also a failed one, which
    the status then names), WATCHDOG=1 at the configured rate, STOPPING=1."""
    mport, lport = free_port(), free_port()
    cfg = os.path.join(tmp, "g.toml")
    write_config(cfg, mport, lport)

    def listeners_accept():
        for port in (lport, mport):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()

    notify = NotifySocket(os.path.join(tmp, "notify"), on_ready=listeners_accept)
    watchdog_usec = 1000000
    proc = start(cfg, {"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": str(watchdog_usec)})
    try:
        wait_for(lambda: notify.count("READY=1") >= 1, "READY=1")
        if notify.ready_errors:
            fail("READY=1 before the listeners accepted: %s" % notify.ready_errors)
        first = notify.statuses()[0]
        if not first.startswith("1 meter, "):
            fail("first STATUS=%r does not count one meter" % first)
        wait_for(lambda: "1 meter, 1 up, 0 clients" in notify.statuses(), "STATUS with the meter up")
        client = socket.create_connection(("127.0.0.1", lport), timeout=5)
        read_telegram(client)
        wait_for(lambda: "1 meter, 1 up, 1 client" in notify.statuses(), "STATUS with one client")

        # The watchdog: pings from the loop timer, at least twice per WATCHDOG_USEC.
        wait_for(lambda: notify.count("WATCHDOG=1") >= 6, "six WATCHDOG=1")
        with notify.lock:
            pings = [t for t, lines in notify.messages if "WATCHDOG=1" in lines]
        mean = (pings[-1] - pings[0]) / (len(pings) - 1)
        print("watchdog: %d pings, mean interval %.0f ms for WATCHDOG_USEC=%d" %
              (len(pings), mean * 1000, watchdog_usec))
        if mean >= watchdog_usec / 1e6:
            fail("watchdog pings every %.2f s, slower than WATCHDOG_USEC" % mean)

        # A good reload: RELOADING=1, then READY=1.
        os.kill(proc.pid, signal.SIGHUP)
        wait_for(lambda: notify.count("READY=1") >= 2, "READY=1 after a reload")
        lines = notify.lines()
        ready = [i for i, line in enumerate(lines) if line == "READY=1"]
        if "RELOADING=1" not in lines or not ready[0] < lines.index("RELOADING=1") < ready[1]:
            fail("no RELOADING=1 between the READY=1s: %s" % lines)
        if not any(line.startswith("MONOTONIC_USEC=") for line in lines):
            fail("RELOADING=1 without MONOTONIC_USEC")
        # A failed reload leaves the old config running, and says so.
        with open(cfg, "w") as f:
            f.write("[[meters]]\nbogus = 1\n")
        os.kill(proc.pid, signal.SIGHUP)
        wait_for(lambda: notify.count("READY=1") >= 3, "READY=1 after a failed reload")
        wait_for(lambda: any("reload failed" in s for s in notify.statuses()),
                 "STATUS naming the failed reload")
        read_telegram(client)  # still served
        client.close()
        stop(proc)
        wait_for(lambda: "STOPPING=1" in notify.lines(), "STOPPING=1")
    finally:
        if proc.poll() is None:
            proc.kill()
        notify.close()


def test_no_watchdog(tmp):
    """Without $WATCHDOG_USEC, or with $WATCHDOG_PID naming another process,
    no WATCHDOG=1 is sent; the status still is."""
    for env in ({}, {"WATCHDOG_USEC": "200000", "WATCHDOG_PID": "1"}):
        mport, lport = free_port(), free_port()
        cfg = os.path.join(tmp, "g.toml")
        write_config(cfg, mport, lport)
        path = os.path.join(tmp, "notify")
        if os.path.exists(path):
            os.unlink(path)
        notify = NotifySocket(path)
        proc = start(cfg, dict(env, NOTIFY_SOCKET=path))
        try:
            wait_for(lambda: "1 meter, 1 up, 0 clients" in notify.statuses(), "STATUS with the meter up")
            stop(proc)
            wait_for(lambda: "STOPPING=1" in notify.lines(), "STOPPING=1")
            if notify.count("WATCHDOG=1") != 0:
                fail("WATCHDOG=1 sent with %s" % env)
        finally:
            if proc.poll() is None:
                proc.kill()
            notify.close()


def run_for_log(tmp, env_for_stderr):
    """Runs the gateway with stderr to a file until a failed reload was
    logged; returns the log text. env_for_stderr(st) gives the environment
    from the log file's stat."""
    mport, lport = free_port(), free_port()
    cfg = os.path.join(tmp, "g.toml")
    write_config(cfg, mport, lport)
    log = os.path.join(tmp, "stderr.log")
    with open(log, "wb") as err:
        proc = start(cfg, env_for_stderr(os.fstat(err.fileno())), stderr=err)
    try:
        wait_for(lambda: socket.create_connection(("127.0.0.1", lport), timeout=1), "listener")
        with open(cfg, "w") as f:
            f.write("[[meters]]\nbogus = 1\n")
        os.kill(proc.pid, signal.SIGHUP)
        wait_for(lambda: "reload failed" in open(log).read(), "the failed reload in the log")
        stop(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    return open(log).read().splitlines()


def test_journal(tmp):
    """On the journal stream: "<N>" priorities and no timestamps; under
    systemd with stderr elsewhere: no timestamps, no prefixes; by hand:
    timestamps."""
    lines = run_for_log(tmp, lambda st: {"JOURNAL_STREAM": "%d:%d" % (st.st_dev, st.st_ino),
                                         "INVOCATION_ID": "0" * 32})
    if not any(line.startswith("<6>info: ") for line in lines):
        fail("no <6>info: line on the journal stream: %s" % lines[:5])
    if not any(line.startswith("<3>error: reload failed") for line in lines):
        fail("the failed reload is not <3>error: %s" % lines)
    if any(not line.startswith("<") for line in lines):
        fail("a journal line without a priority: %s" % lines)

    # JOURNAL_STREAM naming some other file: stderr is not the journal.
    lines = run_for_log(tmp, lambda st: {"JOURNAL_STREAM": "%d:%d" % (st.st_dev, st.st_ino + 1),
                                         "INVOCATION_ID": "0" * 32})
    if not any(line.startswith("info: ") for line in lines) or any(l.startswith("<") for l in lines):
        fail("under systemd off the journal: expected bare 'info: ' lines: %s" % lines[:5])

    lines = run_for_log(tmp, lambda st: {})
    if not lines or not lines[0][:4].isdigit() or " info: " not in lines[0]:
        fail("by hand: expected timestamped lines: %s" % lines[:3])


def main():
    with tempfile.TemporaryDirectory() as tmp:
        {"notify": lambda: test_notify(tmp),
         "no_watchdog": lambda: test_no_watchdog(tmp),
         "journal": lambda: test_journal(tmp)}[TEST]()
    print("ok", TEST)


if __name__ == "__main__":
    main()
