#!/usr/bin/env python3
"""How long a dead run's local jobs outlive it, and how long a full log
disk takes to stop a run. Each try uses a fresh bulkbuild-gentree tree.

  supervisor  kill -9 of bulkbuild while two builds sleep; time until no
              process carries BULKBUILD_TASK=L<pid>- (the supervisor's work)
  restart     kill -9 of the supervisor, then of bulkbuild; the jobs go on;
              time from starting bulkbuild again until they are gone
  disk        log directory on a small tmpfs (needs root); once builds run,
              a filler file takes the rest of it; time from full to exit

usage: crash-cleanup.py BIN_DIR MODE [TRIES]
Prints one line per try and a summary (min, median, max).
"""
import os, signal, statistics, subprocess, sys, tempfile, time

bindir, mode = sys.argv[1], sys.argv[2]
tries = int(sys.argv[3]) if len(sys.argv) > 3 else 10
bulkbuild = os.path.join(bindir, "bulkbuild")
gentree = os.path.join(bindir, "bulkbuild-gentree")


def marked(prefix):
    """Pids whose environment holds BULKBUILD_TASK=PREFIX..."""
    want = ("BULKBUILD_TASK=" + prefix).encode()
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/environ" % name, "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if any(e.startswith(want) for e in env):
            out.append(int(name))
    return out


def children(pid, word):
    """Children of pid whose command line holds word."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            stat = open("/proc/%s/stat" % name).read()
            cmd = open("/proc/%s/cmdline" % name, "rb").read()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2:].split()[1]) == pid and word.encode() in cmd:
            out.append(int(name))
    return out


def wait_until(timeout, cond, step=0.01):
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            return False
        time.sleep(step)
    return True


def start(tree, logs, out):
    return subprocess.Popen([bulkbuild, "-D", "PORTSDIR=" + tree, "-L", logs, "-j", "2", "-x"],
                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def gen(dir, *flags):
    subprocess.run([gentree, dir] + list(flags), check=True, stdout=subprocess.DEVNULL)


def building(tree):
    return len(os.listdir(tree + "/.running")) >= 1


def one(n, dir):
    tree, logs = dir + "/ports", dir + "/logs"
    out = open(dir + "/run.out", "w")
    if mode == "disk":
        gen(tree, "--ports", "60", "--seed", str(n), "--sleep", "0.3", "--log-lines", "50")
        os.mkdir(logs)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", logs], check=True)
        try:
            p = start(tree, logs, out)
            wait_until(60, lambda: os.path.exists(logs + "/build.log")
                       and len(open(logs + "/build.log").read().splitlines()) >= 3)
            try:
                with open(logs + "/filler", "wb") as f:
                    while True:
                        f.write(b"\0" * 65536)
                        f.flush()
            except OSError:
                pass
            full = time.monotonic()
            code = p.wait(timeout=120)
            took = time.monotonic() - full
            text = open(dir + "/run.out").read()
            left = marked("L%d-" % p.pid)
            return took, "exit %d, %s, orphans %d" % (
                code, "ENOSPC reported" if "No space left on device" in text else "no ENOSPC message", len(left))
        finally:
            subprocess.run(["umount", "-l", logs])
    gen(tree, "--ports", "6", "--seed", str(n), "--sleep", "30", "--max-deps", "0")
    p = start(tree, logs, out)
    prefix = "L%d-" % p.pid
    if not wait_until(60, lambda: building(tree) and marked(prefix)):
        p.kill()
        return None, "no build started"
    time.sleep(0.3)
    jobs = len(marked(prefix))
    if mode == "supervisor":
        p.send_signal(signal.SIGKILL)
        t0 = time.monotonic()
        p.wait()
        gone = wait_until(30, lambda: not marked(prefix), step=0.005)
        took = time.monotonic() - t0
        return (took if gone else None), "%d marked processes, orphans after 30 s: %d" % (jobs, len(marked(prefix)))
    sup = children(p.pid, "supervise")
    for s in sup:
        os.kill(s, signal.SIGKILL)
    p.send_signal(signal.SIGKILL)
    p.wait()
    time.sleep(0.5)
    alive = len(marked(prefix))
    t0 = time.monotonic()
    again = start(tree, logs, out)
    gone = wait_until(60, lambda: not marked(prefix), step=0.005)
    took = time.monotonic() - t0
    again.send_signal(signal.SIGTERM)
    again.wait(timeout=60)
    left = len(marked(prefix)) + len(marked("L%d-" % again.pid))
    return (took if gone else None), "%d supervisors killed, %d still running after 0.5 s, orphans at the end: %d" % (
        len(sup), alive, left)


times = []
for n in range(1, tries + 1):
    with tempfile.TemporaryDirectory(prefix="bulkbuild-crash-bench.") as d:
        took, what = one(n, d)
    print("try %2d: %s  (%s)" % (n, "%.3f s" % took if took is not None else "FAILED", what), flush=True)
    if took is not None:
        times.append(took)
if times:
    print("%s: %d/%d tries, min %.3f s, median %.3f s, max %.3f s" % (
        mode, len(times), tries, min(times), statistics.median(times), max(times)))
