#!/usr/bin/env python3
"""Lower bounds of a bulkbuild-gentree tree built on SLOTS slots, by the
parallel-port model of the simulator: configure and fake sleep R x S on one
core, the build S - P + P / cores (P = the MANIFEST's scalable=). Work is
all of it on one core; chains take each parallel build on every slot.
Chains follow BUILD_DEPENDS and LIB_DEPENDS only (a weaker, still valid
bound). With a build.log, prints the run's makespan against the bounds.

usage: parallel-bound.py TREE R SLOTS [LOGDIR]
"""
import subprocess, sys, re, datetime

tree, share, slots = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
ports = {}
for line in open(tree + "/MANIFEST"):
    if line.startswith("#"):
        continue
    f = line.split()
    kv = [w.split("=", 1) for w in f[2:] if "=" in w]
    s = next(float(v) for k, v in kv if k == "sleep")
    p = next((float(v) for k, v in kv if k == "scalable"), 0.0)
    ports[f[0]] = (s, p, "ignored" in f)
deps = {k: set() for k in ports}
out = subprocess.run(["make", "-s", "-C", tree, "dump-vars"], capture_output=True, text=True).stdout
for line in out.splitlines():
    m = re.match(r"([^=]+)\.(BUILD_DEPENDS|LIB_DEPENDS)=(.*)", line)
    if m and m.group(1) in deps:
        for w in m.group(3).split():
            deps[m.group(1)].add(w.split(":")[-1].split(",")[0])
work = {k: s + 2 * share * s for k, (s, p, ign) in ports.items() if not ign}
short = {k: 2 * share * s + s - p + p / slots for k, (s, p, ign) in ports.items() if not ign}
order = list(ports)  # generation order is a topological order
before = {}
for k in order:
    if k in work:
        before[k] = max([before[d] + short[d] for d in deps[k] if d in before] or [0])
after = {k: 0.0 for k in work}
for k in reversed(order):
    if k in work:
        for d in deps[k]:
            if d in after:
                after[d] = max(after[d], after[k] + short[k])
cp = max(before[k] + short[k] + after[k] for k in work)
total = sum(work.values())
def sweep(chains):
    best, acc = 0.0, 0.0
    for k in sorted(work, key=lambda k: -chains[k]):
        acc += work[k]
        best = max(best, chains[k] + acc / slots)
    return best
simple = max(cp, total / slots)
tight = max(simple, sweep(after), sweep(before))
print(f"{len(work)} ports, work {total:.1f} s, critical path {cp:.1f} s on {slots} slots")
print(f"simple bound {simple:.1f} s, tight bound {tight:.1f} s")
if len(sys.argv) > 4:
    # stats.log's third field: seconds since the run started.
    span = max(float(l.split()[2]) for l in open(sys.argv[4] + "/stats.log"))
    print(f"run: {span:.1f} s to the last stats.log line = {span / tight:.3f} x the tight bound")
