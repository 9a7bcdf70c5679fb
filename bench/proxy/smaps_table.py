#!/usr/bin/env python3
"""RSS and private-dirty kB per mapped object of a process (/proc/PID/smaps),
largest first: where a process's resident memory sits (shared library pages
vs heap, thread arenas and stacks).  Usage: smaps_table.py PID"""
import collections, re, sys

pid = sys.argv[1]
rss, dirty = collections.Counter(), collections.Counter()
name = None
for line in open("/proc/%s/smaps" % pid):
    if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
        parts = line.split()
        name = parts[5].rsplit("/", 1)[-1] if len(parts) > 5 else "[anon: arenas, stacks, .bss]"
    elif line.startswith("Rss:"):
        rss[name] += int(line.split()[1])
    elif line.startswith("Private_Dirty:"):
        dirty[name] += int(line.split()[1])
print("%8s %8s  %s" % ("rss_kB", "dirty_kB", "mapping"))
for n, v in rss.most_common():
    if v:
        print("%8d %8d  %s" % (v, dirty[n], n))
print("%8d %8d  total" % (sum(rss.values()), sum(dirty.values())))
