#!/usr/bin/env python3
"""The fleet's Prometheus-agent path, end to end with Debian's engines:
two gateways (households a and b, three simulated meters) -> one
`prometheus --enable-feature=agent` running deploy/fleet/agent.yml (targets,
url and intervals swapped for loopback ones) -> remote write into
victoria-metrics, with vmalert evaluating deploy/fleet/fleet-rules.yml.
Then every recording rule has a series per household (with the right
meter counts), and every expression of deploy/fleet/fleet-dashboard.json,
and its household variable, return data through the query API.
Usage: fleet_e2e.py BINARY DATA_DIR FLEET_DIR
Exits 77 (ctest: skipped) when prometheus, victoria-metrics or vmalert is missing."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gateway_e2e import fail, free_port, metric_value, metrics, stop, wait_for  # noqa: E402
from remote_write_e2e import Engine, get_json  # noqa: E402

BIN, DATA, FLEET = sys.argv[1], sys.argv[2], sys.argv[3]
HOUSEHOLDS = {"a": ["dsmr5"], "b": ["dsmr5", "be"]}


def agent_config(tmp, targets, write_url):
    """deploy/fleet/agent.yml with loopback targets, url and 1 s intervals."""
    text = open(os.path.join(FLEET, "agent.yml")).read()
    static = "".join("      - targets: ['127.0.0.1:%d']\n        labels:\n          household: '%s'\n"
                     % (port, household) for household, port in targets)
    text, n = re.subn(r"^      - targets:.*\n(?:        .*\n)+", static, text, flags=re.M)
    if n != 1:
        fail("agent.yml: no static_configs target block to replace")
    text, n = re.subn(r"^(  - url: ).*$", r"\g<1>'%s'" % write_url, text, flags=re.M)
    if n != 1:
        fail("agent.yml: no remote_write url to replace")
    for key in ("scrape_interval", "scrape_timeout", "batch_send_deadline"):
        text, n = re.subn(r"^(\s*%s:\s*)\S+" % key, r"\g<1>1s", text, flags=re.M)
        if n != 1:
            fail("agent.yml: no %s" % key)
    path = os.path.join(tmp, "agent.yml")
    with open(path, "w") as f:
        f.write(text)
    return path


def recording_rules():
    text = open(os.path.join(FLEET, "fleet-rules.yml")).read()
    return re.findall(r"^\s*- record:\s*(\S+)", text, re.M)


def dashboard_queries():
    d = json.load(open(os.path.join(FLEET, "fleet-dashboard.json")))
    variable = d["templating"]["list"][0]
    if variable["name"] != "household":
        fail("the fleet dashboard's variable is %r, not household" % variable["name"])
    exprs = [(p["title"], t["expr"]) for p in d["panels"] for t in p["targets"]]
    return variable, exprs


def main():
    exes = [shutil.which(x) for x in ("prometheus", "victoria-metrics", "vmalert")]
    if not all(exes):
        print("SKIP: prometheus, victoria-metrics or vmalert not installed")
        sys.exit(77)
    prom_exe, vm_exe, vmalert_exe = exes
    with tempfile.TemporaryDirectory() as tmp:
        vm_port, vmalert_port, agent_port = free_port(), free_port(), free_port()
        vm = Engine([vm_exe, "-httpListenAddr=127.0.0.1:%d" % vm_port,
                     "-storageDataPath=" + os.path.join(tmp, "vm"), "-retentionPeriod=1d",
                     "-search.latencyOffset=0s", "-search.cacheTimestampOffset=0s",
                     "-loggerLevel=ERROR"], vm_port, os.path.join(tmp, "vm.log"))
        rules = os.path.join(tmp, "fleet-rules.yml")
        with open(os.path.join(FLEET, "fleet-rules.yml")) as src, open(rules, "w") as dst:
            dst.write(re.sub(r"^(\s*interval:\s*)\S+", r"\g<1>1s", src.read(), flags=re.M))
        vm_url = "http://127.0.0.1:%d" % vm_port
        vmalert = Engine([vmalert_exe, "-rule=" + rules, "-datasource.url=" + vm_url,
                          "-remoteWrite.url=" + vm_url, "-evaluationInterval=1s",
                          # The alerts need a notifier; none fires here (nothing listens).
                          "-notifier.url=http://127.0.0.1:%d" % free_port(),
                          "-httpListenAddr=127.0.0.1:%d" % vmalert_port, "-loggerLevel=ERROR"],
                         vmalert_port, os.path.join(tmp, "vmalert.log"))
        gateways, targets = [], []
        for household, variants in HOUSEHOLDS.items():
            port = free_port()
            cfg = os.path.join(tmp, "gw-%s.toml" % household)
            with open(cfg, "w") as f:
                f.write('[http]\nlisten = "127.0.0.1:%d"\n' % port)
                for i, v in enumerate(variants):
                    f.write('[[meters]]\nname = "%s%d"\nsimulate = "%s"\nrate = 2\n'
                            % (household, i, v))
            targets.append((household, port))
            gateways.append(subprocess.Popen([BIN, "--config", cfg]))
        agent = Engine([prom_exe, "--enable-feature=agent",
                        "--config.file=" + agent_config(tmp, targets, vm_url + "/api/v1/write"),
                        "--storage.agent.path=" + os.path.join(tmp, "agent"),
                        "--web.listen-address=127.0.0.1:%d" % agent_port, "--log.level=warn"],
                       agent_port, os.path.join(tmp, "agent.log"))
        vm.start()
        vmalert.start()
        agent.start()
        try:
            t0 = time.time()
            for household, port in targets:
                wait_for(lambda: metric_value(metrics(port), "dsmr_meter_up", {}) == 1,
                         "gateway %s up" % household)

            def households(promql):
                return {labels.get("household"): v for labels, v in vm.instant(promql)}
            wait_for(lambda: set(households("dsmr_meter_up")) == set(HOUSEHOLDS),
                     "both households' series in victoria-metrics", timeout=30)
            print("agent -> victoria-metrics: both households after %.1f s" % (time.time() - t0))

            names = recording_rules()
            household_rules = [n for n in names if n.startswith("household:")]
            fleet_rules = [n for n in names if n.startswith("fleet:")]
            if len(household_rules) < 4 or len(fleet_rules) < 3:
                fail("fleet-rules.yml records %r" % names)
            for name in household_rules:
                wait_for(lambda: set(households(name)) == set(HOUSEHOLDS),
                         "%s for both households" % name, timeout=30)
            for name in fleet_rules:
                wait_for(lambda: len(vm.instant(name)) == 1, name, timeout=30)
            wait_for(lambda: households("household:dsmr_meters:count") == {"a": 1, "b": 2},
                     "meter counts per household", timeout=30)
            wait_for(lambda: vm.instant("fleet:households_reporting:count")[0][1] == 2
                     and vm.instant("fleet:dsmr_meters_up:sum")[0][1] == 3,
                     "2 households and 3 meters up", timeout=30)
            print("%d recording rules evaluated by vmalert after %.1f s"
                  % (len(names), time.time() - t0))

            variable, exprs = dashboard_queries()
            values = get_json("%s/api/v1/label/household/values?%s" % (vm_url, urllib.parse.urlencode(
                {"match[]": variable["definition"].split("(", 1)[1].split(",", 1)[0]})))["data"]
            if sorted(values) != sorted(HOUSEHOLDS):
                fail("the household variable lists %r" % values)
            for title, expr in exprs:
                for choice in (variable["allValue"], "b"):
                    q = expr.replace("$household", choice).replace("$__rate_interval", "1m")
                    result = wait_for(lambda: vm.instant(q), "%s: %s returns data" % (title, q),
                                      timeout=30)
                    seen = {labels.get("household") for labels, _ in result} - {None}
                    if choice == "b" and seen - {"b"}:
                        fail("%s with household b shows %r" % (title, seen))
            print("%d dashboard expressions return data, for all households and for one"
                  % len(exprs))
        except SystemExit:
            for log in ("vmalert.log", "agent.log", "vm.log"):
                with open(os.path.join(tmp, log)) as f:
                    print("--- %s (last lines)\n%s" % (log, "".join(f.readlines()[-12:])))
            raise
        finally:
            for g in gateways:
                stop(g)
            agent.stop()
            vmalert.stop()
            vm.stop()
    print("ok fleet_agent")


if __name__ == "__main__":
    main()
