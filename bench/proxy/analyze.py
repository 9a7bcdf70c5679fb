#!/usr/bin/env python3
"""Combine meter log, client JSON(s) and procstat CSV of one run dir into summary.json
and a one-line TSV row.  Usage: analyze.py RUNDIR [--warmup S] [--tail S]"""
import argparse, glob, json, os, statistics

ap = argparse.ArgumentParser()
ap.add_argument("rundir")
ap.add_argument("--warmup", type=float, default=3.0, help="ignore telegrams written in the first S s")
ap.add_argument("--tail", type=float, default=2.0, help="ignore telegrams written in the last S s")
a = ap.parse_args()
R = a.rundir

writes = {}
events = []
for line in open(os.path.join(R, "meter.csv")):
    if line.startswith("#"):
        events.append(line.strip()); continue
    seq, t0, t1, nbytes, status = line.strip().split(",")
    writes[int(seq)] = (int(t0), int(t1), int(nbytes), status)
if not writes:
    raise SystemExit("no telegrams written")
t_first = min(v[0] for v in writes.values())
t_last = max(v[1] for v in writes.values())
lo, hi = t_first + a.warmup * 1e9, t_last - a.tail * 1e9
expected = {s for s, v in writes.items() if v[3] == "ok" and lo <= v[0] <= hi}
overruns = sum(1 for v in writes.values() if v[3] == "overrun")
deverr = sum(1 for v in writes.values() if v[3].startswith("deverr"))

# procstat window
ps = [l.strip().split(",") for l in open(os.path.join(R, "server.proc.csv")) if not l.startswith("#")]
clk = int(open(os.path.join(R, "server.proc.csv")).readline().split("=")[1])
ps = [tuple(map(int, p)) for p in ps]
win = [p for p in ps if lo <= p[0] <= hi] or ps
cpu_s = (win[-1][1] - win[0][1]) / clk
win_s = (win[-1][0] - win[0][0]) / 1e9
rss_kb = win[-1][2]; hwm_kb = max(p[3] for p in ps); threads = win[-1][4]; fds = max(p[5] for p in ps)

summary = dict(run=os.path.basename(R.rstrip("/")), written=len(writes), expected_in_window=len(expected),
               meter_overruns=overruns, meter_device_errors=deverr, meter_events=events,
               server_cpu_s=cpu_s, window_s=win_s, rss_kb=rss_kb, hwm_kb=hwm_kb,
               threads=threads, max_fds=fds, clients={})
lat_all, klat_all, deliveries_in_win, tot_missing, tot_clients = [], [], 0, 0, 0
for f in sorted(glob.glob(os.path.join(R, "clients*.json"))):
    d = json.load(open(f))
    name = os.path.basename(f)[:-5]
    per = []
    for c in d["conns"]:
        got = {}
        for seq, t in c["recv"]:
            got.setdefault(seq, t)
        dup = len(c["recv"]) - len(got)
        # a client can only be expected to get telegrams whose write started after it connected
        tc = next((t for t, e in c["events"] if e == "connected"), None)
        exp_c = {s for s in expected if tc is not None and writes[s][0] >= tc}
        missing = len([s for s in exp_c if s not in got]) if not c["slow"] else None
        lat = [(got[s] - writes[s][1]) / 1e6 for s in exp_c if s in got]
        # latclient only: kernel arrival of the last segment = server-side latency
        kgot = {}
        for seq, t in c.get("krecv", []):
            if t > 0:
                kgot.setdefault(seq, t)
        klat = [(kgot[s] - writes[s][1]) / 1e6 for s in exp_c if s in kgot]
        deliveries_in_win += sum(1 for s in exp_c if s in got)
        if not c["slow"]:
            lat_all += lat; klat_all += klat; tot_missing += missing; tot_clients += 1
        per.append(dict(idx=c["idx"], slow=c["slow"], ok=c["ok"], bad_crc=c["bad"], dup=dup,
                        missing=missing, discarded_head=c["discarded_head"],
                        iac=c["iac"], first=c["first"][:120],
                        events=[e[1] for e in c["events"]][:12], n_events=len(c["events"])))
    summary["clients"][name] = per
def pct(v, p):
    v = sorted(v); return v[min(len(v) - 1, int(p / 100 * len(v)))] if v else None
summary.update(deliveries_in_window=deliveries_in_win, missing_total=tot_missing, reading_clients=tot_clients,
               srv_lat_ms_p50=pct(klat_all, 50), srv_lat_ms_p99=pct(klat_all, 99),
               lat_ms_p50=pct(lat_all, 50), lat_ms_p99=pct(lat_all, 99), lat_ms_max=max(lat_all) if lat_all else None,
               cpu_s_per_1000_deliveries=(1000 * cpu_s / deliveries_in_win) if deliveries_in_win else None)
json.dump(summary, open(os.path.join(R, "summary.json"), "w"), indent=1)
row = [summary["run"], tot_clients, len(expected), deliveries_in_win, tot_missing,
       "%.4f" % cpu_s, "%.1f" % win_s,
       "%.4f" % summary["cpu_s_per_1000_deliveries"] if summary["cpu_s_per_1000_deliveries"] is not None else "-",
       rss_kb, hwm_kb,
       "%.2f" % summary["lat_ms_p50"] if lat_all else "-",
       "%.2f" % summary["lat_ms_p99"] if lat_all else "-",
       "%.2f" % summary["lat_ms_max"] if lat_all else "-", overruns,
       "%.2f" % summary["srv_lat_ms_p50"] if klat_all else "-",
       "%.2f" % summary["srv_lat_ms_p99"] if klat_all else "-"]
print("\t".join(map(str, row)))
