#!/usr/bin/env python3
"""The side-by-side table of one compare.sh run (results.tsv, from run.sh):
per N and server, CPU us per delivery and its ratio to the minimal server's
(send), syscalls per telegram, RSS and server-side latency. Markdown, for
the README.  Usage: table.py RESULTS.TSV"""
import csv, sys

rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
def us(r):
    v = r["cpu_s_per_1000_deliv"]
    return float(v) * 1000 if v not in ("", "-") else None
import re
for r in rows:
    r["n"] = int(re.search(r"-N(\d+)-", r["run"]).group(1))
floor = {r["n"]: us(r) for r in rows if r["server"] == "minimal-send"}
print("| N | server | served | CPU us / delivery | / minimal | syscalls / telegram | RSS MB | server p50 / p99 ms |")
print("|---|---|---|---|---|---|---|---|")
for r in sorted(rows, key=lambda r: r["n"]):
    n, cpu = r["n"], us(r)
    base = floor.get(n)
    ratio = "%.2f" % (cpu / base) if cpu is not None and base else "-"
    print("| %s | %s | %s | %s | %s | %s | %.1f | %s / %s |" % (
        n, r["server"], r["clients_served"], "%.2f" % cpu if cpu is not None else "-", ratio,
        r.get("syscalls_per_telegram", "-"), int(r["rss_kb"]) / 1024,
        r["srv_lat_p50_ms"], r["srv_lat_p99_ms"]))
