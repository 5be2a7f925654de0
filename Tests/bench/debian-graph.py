#!/usr/bin/env python3
"""Derive a source-package graph from Debian's binary package index.

usage: debian-graph.py [--index FILE] [--build-essential] [--cut N] [--seed S] [-o OUT]

The build-dependency index (Sources) is not on a machine with only the
binary index, so the graph stands in for it:

- a node is a source package: each binary's `Source:` field without its
  version, or the binary's own name when it has none; the node's path is
  debian/SOURCE;
- an edge S -> T for every Depends / Pre-Depends of a binary of S naming
  a binary of T; of alternatives `a | b` the first name that exists (as a
  package, else as something a package Provides: its first provider by
  name) counts; names that do not exist are dropped, and so are self-edges;
- cycles are broken deterministically: inside each strongly connected
  component the sources are ranked by how many sources depend on them
  (most first, ties by name), and an edge is kept only towards a source
  ranked higher, so the widely used library (glibc) stays below the
  packages its extra binaries happen to need; edges between components
  are all kept;
- with --build-essential, every source outside the dependency closure of
  the sources of libc6-dev, gcc, g++, make, dpkg-dev and debhelper also
  depends on each of those, as its build would (the binary index holds
  no Build-Depends; this gives the toolchain prefix a real build graph
  has);
- a node's duration is a stand-in for its build time, which the index
  does not hold: 30 s + 60 s x sqrt(MiB installed by all its binaries).

Without --cut the whole graph is written; with --cut N, sources drawn in
an order shuffled by --seed are added with their dependency closure, each
one whose closure would take the cut over N skipped: a closed cut of at
most N sources.

Output (the graph file bulkbuild-bench --graph reads), one line a source,
dependencies before their dependents:
    debian/SOURCE SECONDS [debian/DEP ...]
with `#` lines as comments.
"""
import argparse
import os
import random
import re
import subprocess
import sys

# What every Debian build has installed (build-essential) plus debhelper,
# which nearly every source build-depends on.
BUILD_ESSENTIAL = ["libc6-dev", "gcc", "g++", "make", "dpkg-dev", "debhelper"]

DEFAULT_INDEX = "/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4"


def fail(text):
    sys.stderr.write("debian-graph.py: %s\n" % text)
    sys.exit(2)


def read_index(path):
    if not os.path.exists(path):
        fail("%s: no such file (the Debian binary package index; run `apt-get update` "
             "with bookworm main in sources.list, or pass --index FILE)" % path)
    if path.endswith(".lz4"):
        for cmd in (["lz4", "-dc", path], ["/usr/lib/apt/apt-helper", "cat-file", path]):
            try:
                return subprocess.run(cmd, check=True, capture_output=True).stdout.decode("utf-8", "replace")
            except (OSError, subprocess.CalledProcessError):
                continue
        fail("%s: cannot decompress it (neither `lz4` nor apt-helper works)" % path)
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def stanzas(text):
    """Yields (line number, {field: value}) per paragraph, continuation lines joined."""
    fields, key, start = {}, None, 1
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            if fields:
                yield start, fields
            fields, key, start = {}, None, n + 1
        elif line[0] in " \t":
            if key is not None:
                fields[key] += " " + line.strip()
        else:
            k, sep, v = line.partition(":")
            if not sep:
                fail("line %d: expected 'Field: value', got %r" % (n, line[:60]))
            key = k.strip()
            fields[key] = v.strip()
    if fields:
        yield start, fields


NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9+.\-]*)")


def names(field):
    """[[alternative names], ...] of a Depends-like field (versions and arch qualifiers dropped)."""
    out = []
    for clause in field.split(","):
        alts = []
        for alt in clause.split("|"):
            m = NAME.match(alt)
            if m:
                alts.append(m.group(1).split(":")[0])
        if alts:
            out.append(alts)
    return out


def derive(text):
    source_of, size, deps_of, provides = {}, {}, {}, {}
    for line, f in stanzas(text):
        if "Package" not in f:
            fail("line %d: a paragraph without Package:" % line)
        pkg = f["Package"]
        src = f.get("Source", pkg).split()[0]
        source_of.setdefault(pkg, src)
        try:
            kib = int(f.get("Installed-Size", "0") or 0)
        except ValueError:
            fail("line %d: Installed-Size %r is not a number" % (line, f["Installed-Size"]))
        size[src] = size.get(src, 0) + kib
        deps_of.setdefault(src, []).extend(names(f.get("Pre-Depends", "")) + names(f.get("Depends", "")))
        for (p, *_) in names(f.get("Provides", "")):
            provides.setdefault(p, set()).add(pkg)

    def target(alts):
        for a in alts:
            if a in source_of:
                return source_of[a]
            if a in provides:
                return source_of[sorted(provides[a])[0]]
        return None

    edges = {}
    for src in sorted(size):
        ts = {target(alts) for alts in deps_of[src]}
        edges[src] = sorted(t for t in ts if t is not None and t != src)
    return size, edges, source_of


def components(edges):
    """Strongly connected components (Tarjan, iterative, in name order): {source: component number}."""
    index, low, comp, stack, on = {}, {}, {}, [], set()
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            node, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(edges[nxt])))
                elif nxt in on:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                while True:
                    x = stack.pop()
                    on.discard(x)
                    comp[x] = node
                    if x == node:
                        break
    return comp


def break_cycles(edges):
    """Keeps every edge between components; inside a component, ranks its
    sources by how many sources depend on them (most first, then by name)
    and keeps only edges to a higher-ranked source. Returns (edges, number
    dropped, an order with dependencies first)."""
    comp = components(edges)
    dependents = {s: 0 for s in edges}
    for s in edges:
        for t in edges[s]:
            dependents[t] += 1
    rank = {s: (-dependents[s], s) for s in edges}
    kept, dropped = {}, 0
    for s in edges:
        kept[s] = [t for t in edges[s] if comp[t] != comp[s] or rank[t] < rank[s]]
        dropped += len(edges[s]) - len(kept[s])
    return kept, dropped, topological(kept)


def topological(edges):
    """Sources with their dependencies first (depth-first, in name order)."""
    order, done = [], set()
    for root in sorted(edges):
        if root in done:
            continue
        done.add(root)
        work = [(root, iter(edges[root]))]
        while work:
            node, it = work[-1]
            nxt = next(it, None)
            if nxt is None:
                work.pop()
                order.append(node)
            elif nxt not in done:
                done.add(nxt)
                work.append((nxt, iter(edges[nxt])))
    return order


def closure(edges, roots):
    seen, todo = set(), list(roots)
    while todo:
        x = todo.pop()
        if x not in seen:
            seen.add(x)
            todo.extend(edges[x])
    return seen


def add_build_essential(edges, source_of):
    """Every source outside the closure of the build-essential set gets an
    edge to each source of that set, as a build needs them installed."""
    essential = sorted({source_of[b] for b in BUILD_ESSENTIAL if b in source_of})
    inside = closure(edges, essential)
    added = 0
    for s in edges:
        if s not in inside:
            new = [e for e in essential if e not in edges[s]]
            edges[s] = sorted(edges[s] + new)
            added += len(new)
    return edges, added, essential


def cut(edges, order, n, seed):
    rng = random.Random(seed)
    pool = sorted(edges)
    rng.shuffle(pool)
    chosen = set()
    for s in pool:
        closure, todo = set(), [s]
        while todo:
            x = todo.pop()
            if x not in chosen and x not in closure:
                closure.add(x)
                todo.extend(edges[x])
        if len(chosen) + len(closure) <= n:
            chosen |= closure
    return [s for s in order if s in chosen]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index", default=DEFAULT_INDEX)
    ap.add_argument("--cut", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--build-essential", action="store_true")
    ap.add_argument("-o", "--output", default="-")
    a = ap.parse_args()
    size, edges, source_of = derive(read_index(a.index))
    kept, dropped, order = break_cycles(edges)
    if a.build_essential:
        kept, added, essential = add_build_essential(kept, source_of)
        order = topological(kept)
    chosen = cut(kept, order, a.cut, a.seed) if a.cut > 0 else order
    out = sys.stdout if a.output == "-" else open(a.output, "w")
    args = (" --build-essential" if a.build_essential else "") + (
        " --cut %d --seed %d" % (a.cut, a.seed) if a.cut > 0 else "")
    out.write("# derived from %s by Tests/bench/debian-graph.py%s\n" % (os.path.basename(a.index), args))
    out.write("# %d sources in the index, %d dependency edges kept, %d dropped to break cycles\n"
              % (len(order), sum(len(v) for v in kept.values()), dropped))
    if a.build_essential:
        out.write("# build-essential: %d edges added to %s\n" % (added, " ".join(essential)))
    if a.cut > 0:
        out.write("# cut: closures of sources drawn with seed %d, at most %d: %d sources\n"
                  % (a.seed, a.cut, len(chosen)))
    out.write("# duration: 30 s + 60 s x sqrt(MiB of Installed-Size) (a stand-in for build time)\n")
    for s in chosen:
        secs = 30 + 60 * (size[s] / 1024.0) ** 0.5
        out.write(" ".join(["debian/" + s, "%.1f" % secs] + ["debian/" + d for d in kept[s]]) + "\n")
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()
