"""What the Python benchmarks share: a process's CPU seconds and RSS from
/proc, and a free loopback port. Import with sys.path set to bench/."""
import os
import socket

TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    """CPU seconds of `pid`, all threads: from /proc/PID/task/*/schedstat
    (nanoseconds) where the kernel has it, else utime + stime in 10 ms ticks
    (too coarse for a gateway that uses a few ms per second)."""
    if os.path.exists("/proc/%d/schedstat" % pid):
        total = 0
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                total += int(open("/proc/%d/task/%s/schedstat" % (pid, tid)).read().split()[0])
            except (FileNotFoundError, ProcessLookupError):
                pass  # the thread ended between listdir and open
        return total / 1e9
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICK


def rss_kb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
