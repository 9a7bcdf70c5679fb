#!/usr/bin/env python3
"""What the Debian package and `cmake --install` ship, checked from the
source and build trees: the systemd unit, the default config, the bash
completion, the man pages and the version.
Usage: deploy_test.py BINARY SOURCE_DIR BUILD_DIR TEST"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from gateway_e2e import fail, free_port, wait_for  # noqa: E402

BIN, SRC, BUILD, TEST = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
UNIT = os.path.join(BUILD, "deploy", "systemd", "p1gateway.service")


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=60, **kw)


def unit_for_build(tmp):
    """The configured unit with the built binary in place of the installed
    one, so that systemd-analyze can check that the executable exists."""
    text = open(UNIT).read()
    installed = re.search(r"^ExecStart=(\S+)", text, re.M).group(1)
    path = os.path.join(tmp, "p1gateway.service")
    open(path, "w").write(text.replace(installed, BIN))
    return path, text


def test_systemd_unit(tmp):
    if shutil.which("systemd-analyze") is None:
        skip("systemd-analyze not found")
    path, text = unit_for_build(tmp)
    keys = dict(re.findall(r"^(\w+)=(.*)$", text, re.M))
    if keys.get("Type") != "notify" or "WatchdogSec" not in keys:
        fail("unit is not Type=notify with WatchdogSec=: %r" % keys)
    # The unit's user is the one the sysusers file creates, in group dialout.
    sysusers = open(os.path.join(SRC, "deploy", "systemd", "p1gateway.sysusers")).read()
    if not re.search(r"^u %s " % keys["User"], sysusers, re.M):
        fail("sysusers file does not create User=%s" % keys["User"])
    if not re.search(r"^m %s dialout$" % keys["User"], sysusers, re.M):
        fail("sysusers file does not put %s in dialout" % keys["User"])
    # The man pages are checked installed, by the package test.
    r = run(["systemd-analyze", "verify", "--man=no", path])
    # verify also complains about unrelated units on a machine without
    # systemd as PID 1; only lines about this unit count.
    ours = [line for line in (r.stdout + r.stderr).splitlines() if "p1gateway" in line]
    if ours:
        fail("systemd-analyze verify:\n" + "\n".join(ours))
    r = run(["systemd-analyze", "security", "--offline=yes", "--no-pager", path])
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", r.stdout + r.stderr)
    if not m:
        fail("no exposure level from systemd-analyze security:\n" + r.stdout + r.stderr)
    exposure = float(m.group(1))
    print("systemd-analyze security: exposure %.1f" % exposure)
    if exposure > 2.0:
        fail("unit exposure %.1f > 2.0:\n%s" % (exposure, r.stdout))


def get(port, path):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=5) as r:
        return r.status, r.read().decode()


def test_default_config(tmp):
    """The packaged config is valid, reads no meter, binds loopback only, and
    a gateway started on it answers /healthz and /metrics."""
    default = os.path.join(SRC, "config", "default.toml")
    r = run([BIN, "check-config", default])
    if r.returncode != 0:
        fail("check-config default.toml: " + r.stderr)
    if "[[meters]]" in r.stdout:
        fail("the default config reads a meter:\n" + r.stdout)
    if 'listen = "127.0.0.1:9464"' not in r.stdout:
        fail("the default config does not bind loopback 9464:\n" + r.stdout)
    port = free_port()
    config = os.path.join(tmp, "p1gateway.toml")
    open(config, "w").write(open(default).read().replace("127.0.0.1:9464", "127.0.0.1:%d" % port))
    proc = subprocess.Popen([BIN, "--config", config], stderr=subprocess.PIPE, text=True)
    try:
        def healthy():
            try:
                return get(port, "/healthz")[0] == 200
            except OSError:
                return False
        wait_for(healthy, "/healthz on the default config")
        status, body = get(port, "/metrics")
        if "p1gateway_build_info" not in body:
            fail("no p1gateway_build_info in /metrics:\n" + body[:500])
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    if proc.returncode != 0:
        fail("exit %d:\n%s" % (proc.returncode, err))
    if "no [[meters]]" not in err:
        fail("no warning that no meter is configured:\n" + err)


def subcommands():
    """The subcommands and each one's options, from the binary's --help."""
    out = run([BIN, "--help"]).stdout
    names = re.findall(r"^  ([a-z][a-z0-9-]+) {2,}", out.split("Subcommands:")[1], re.M)
    return {n: set(re.findall(r"(--[a-z][a-z0-9-]*)", run([BIN, n, "--help"]).stdout)) for n in names}


def complete(words):
    """COMPREPLY for the command line `words` (the last one being typed)."""
    script = os.path.join(SRC, "deploy", "completion", "p1gateway")
    line = " ".join(words)
    cmd = ('source /usr/share/bash-completion/bash_completion; source "$1"; '
           'COMP_WORDS=(%s); COMP_CWORD=%d; COMP_LINE="%s"; COMP_POINT=${#COMP_LINE}; '
           '_p1gateway; printf "%%s\\n" "${COMPREPLY[@]}"') % (
               " ".join("'%s'" % w for w in words), len(words) - 1, line)
    r = run(["bash", "-c", cmd, "bash", script])
    if r.returncode != 0:
        fail("completion of %r failed: %s" % (words, r.stderr))
    return set(r.stdout.split())


def test_completion(tmp):
    if not os.path.exists("/usr/share/bash-completion/bash_completion"):
        skip("bash-completion not installed")
    commands = subcommands()
    if len(commands) < 5:
        fail("too few subcommands read from --help: %r" % commands)
    if complete(["p1gateway", ""]) != set(commands):
        fail("subcommands completed: %r, --help lists %r" % (complete(["p1gateway", ""]), commands))
    if complete(["p1gateway", "check-c"]) != {"check-config"}:
        fail("'check-c' does not complete to check-config")
    for name, options in commands.items():
        offered = complete(["p1gateway", name, "--"])
        if not options <= offered:
            fail("%s: --help has %r, completion offers %r" % (name, options - offered, offered))
    if complete(["p1gateway", "simulate", "--variant", "d"]) != {"dsmr2", "dsmr3", "dsmr4", "dsmr5"}:
        fail("--variant values: %r" % complete(["p1gateway", "simulate", "--variant", "d"]))


def config_keys():
    """Every key the config reader accepts (its CheckKeys lists)."""
    text = open(os.path.join(SRC, "config", "config.cc")).read()
    keys = set()
    for block in re.findall(r"CheckKeys\(\s*\*?\w+,\s*\{([^}]*)\}", text):
        keys.update(re.findall(r'"([a-z_0-9]+)"', block))
    return keys


def test_man_pages(tmp):
    man1 = os.path.join(BUILD, "docs", "p1gateway.1")
    man5 = os.path.join(BUILD, "docs", "p1gateway.toml.5")
    if not os.path.exists(man1):
        skip("man pages not built (scdoc not installed)")
    page1, page5 = open(man1).read(), open(man5).read()
    for name, options in subcommands().items():
        if name not in page1:
            fail("p1gateway(1) does not document the command %s" % name)
        for o in options - {"--help"}:
            if o.replace("-", "\\-") not in page1 and o not in page1:
                fail("p1gateway(1) does not document %s %s" % (name, o))
    keys = config_keys()
    if len(keys) < 40:
        fail("too few config keys read from config.cc: %r" % keys)
    missing = sorted(k for k in keys if k not in page5.replace("\\_", "_"))
    if missing:
        fail("p1gateway.toml(5) does not document: %s" % ", ".join(missing))
    if shutil.which("man"):
        r = run(["man", "-l", "--warnings", man5], env=dict(os.environ, MANWIDTH="80"))
        if r.returncode != 0:
            fail("man -l p1gateway.toml.5: " + r.stderr)


def test_version(tmp):
    out = run([BIN, "--version"]).stdout.strip()
    cmake = re.search(r"project\(p1gateway VERSION ([\d.]+)", open(os.path.join(SRC, "CMakeLists.txt")).read())
    changelog = re.match(r"p1gateway \(([^)]+)\)", open(os.path.join(SRC, "debian", "changelog")).read())
    if not (cmake and changelog and cmake.group(1) in out and changelog.group(1) == cmake.group(1)):
        fail("versions differ: --version %r, CMake %r, debian/changelog %r" % (
            out, cmake and cmake.group(1), changelog and changelog.group(1)))


def main():
    with tempfile.TemporaryDirectory(prefix="p1gw-deploy-") as tmp:
        globals()["test_" + TEST](tmp)
    print("ok: " + TEST)


if __name__ == "__main__":
    main()
