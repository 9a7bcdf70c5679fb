#!/usr/bin/env python3
"""The live page (GET /) in a real browser: the demo's four meters on free
ports, headless Chromium driven by playwright-core (web_e2e.mjs). Exits 77
(skipped) only when chromium, node or npm is missing or playwright-core
cannot be installed. Usage: web_e2e.py BINARY DATA_DIR BUILD_DIR DEMO_TOML"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

# gateway_e2e reads BINARY DATA_DIR TEST from sys.argv[1:4] at import time
# (our argv has that shape) and keeps main() behind its __name__ guard.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gateway_e2e import fail, free_port, stop, wait_for  # noqa: E402

BIN, BUILD, DEMO = sys.argv[1], sys.argv[3], sys.argv[4]
HERE = os.path.dirname(os.path.abspath(__file__))
NPM_DIR = os.path.join(BUILD, "npm")
SHOT_DIR = os.path.join(BUILD, "artefacts")


def skip(msg):
    print("SKIP:", msg)
    sys.exit(77)


def find_tools():
    chromium = next((p for p in (shutil.which("chromium"), "/usr/bin/chromium")
                     if p and os.access(p, os.X_OK)), None)
    if chromium is None:
        skip("chromium not found (Debian: apt-get install chromium; deploy/install-deps.sh does)")
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        skip("node or npm not found (Debian: apt-get install nodejs npm)")
    return chromium, node, npm


def install_playwright(npm):
    """playwright-core into BUILD/npm once; it drives the system chromium and
    downloads no browser."""
    if os.path.exists(os.path.join(NPM_DIR, "node_modules", "playwright-core", "package.json")):
        return
    os.makedirs(NPM_DIR, exist_ok=True)
    r = subprocess.run([npm, "install", "--prefix", NPM_DIR, "--no-audit", "--no-fund",
                        "--loglevel=error", "playwright-core@1"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120,
                       env=dict(os.environ, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1"))
    if r.returncode != 0:
        skip("npm could not install playwright-core@1 into %s:\n%s" % (NPM_DIR, r.stdout[-2000:]))


def demo_config(tmp):
    """config/demo.toml with every 127.0.0.1:PORT replaced by a free port."""
    with open(DEMO) as f:
        text = f.read()
    ports = {}

    def swap(m):
        ports.setdefault(m.group(1), free_port())
        return "127.0.0.1:%d" % ports[m.group(1)]

    text = re.sub(r"127\.0\.0\.1:(\d+)", swap, text)
    path = os.path.join(tmp, "web.toml")
    with open(path, "w") as f:
        f.write(text)
    return path, ports["9464"]


def meters(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/meters" % port, timeout=2) as r:
        return json.load(r)["meters"]


def main():
    chromium, node, npm = find_tools()
    install_playwright(npm)
    os.makedirs(SHOT_DIR, exist_ok=True)
    start = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        config, port = demo_config(tmp)
        log = open(os.path.join(tmp, "gateway.log"), "w+")
        gw = subprocess.Popen([BIN, "--config", config], stdout=log, stderr=subprocess.STDOUT)
        try:
            # Every demo meter has sent a telegram (lu: one per 10 s).
            wait_for(lambda: all(m["last_telegram"] for m in meters(port)), "a telegram from every meter")
            r = subprocess.run([node, os.path.join(HERE, "web_e2e.mjs"), "http://127.0.0.1:%d" % port,
                                NPM_DIR, chromium, SHOT_DIR], timeout=120)
            if r.returncode != 0:
                log.seek(0)
                print(log.read()[-3000:])
                fail("browser check failed (rc %d)" % r.returncode)
        finally:
            if gw.poll() is None:
                stop(gw)
    print("ok web_e2e in %.1f s" % (time.time() - start))


if __name__ == "__main__":
    main()
