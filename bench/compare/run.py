#!/usr/bin/env python3
"""The driver behind bench/compare.sh: drains the same queues through
spoolgate, nullmailer and a private Postfix into Postfix's smtp-sink, and
prints the figures as Markdown.

How each figure is taken (the same way for every relay):

- Queues. The same messages for each relay, written before the clock
  starts: spoolgate gets one file per message in its queue folder;
  nullmailer gets the same messages as queue files in its own format
  (envelope lines, a blank line, the message: what nullmailer-queue
  writes); Postfix gets them through `sendmail -C DIR` (postdrop) into the
  maildrop of a stopped private instance. Each queue is built once, then
  copied afresh for every run.
- Time. From starting the relay (spoolgate run / nullmailer-send /
  postfix start) to the sink's count reaching the number of messages.
  smtp-sink -c prints a running count ("mesg=N") that is read every 20 ms.
- CPU seconds. Each relay runs in its own cgroup (cgroup v1 cpuacct, or
  v2 cpu.stat); its total CPU time covers every process it started,
  including nullmailer's per-message smtp children and Postfix's daemons.
  Without a usable cgroup, it falls back to summing /proc/PID/stat of the
  processes seen (a lower bound).
- Peak memory. Every 50 ms the members of the cgroup are listed and their
  VmRSS summed; the figure is the largest sum (memory in use at once by
  the relay's processes; shared library pages count once per process, as
  RSS does). For spoolgate, which is one process, it is also its VmHWM.
- Pinning. With 2 or more CPUs, the relay (and everything it starts) runs
  on CPU 0; the sink, this driver and its sampler on CPU 1, so the sink
  never steals the relay's CPU. Every relay gets one core.
- Medians of --runs runs (3 by default; 1 with --quick).
- Connections. Postfix runs with its defaults (up to 20 parallel
  deliveries to one destination), nullmailer with its only mode (one
  message at a time). spoolgate drains with `connections = 8` (--connections)
  and, in a second row, with its default of 1.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

RELAY_CPU = "0"
SIDE_CPU = 1
PIN = True  # --no-pin: let the scheduler place everything
CONNS = 8  # --connections: spoolgate's [smtp] connections in the drains


def pinned():
    return PIN and os.cpu_count() >= 2


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- messages

BODY_LINE = "The following item is due back soon. Please return or renew it at any branch.\n"


def message(i, size):
    head = ("From: Example Library <library@example.org>\n"
            "To: patron%d@example.net\n"
            "Subject: Due soon: item %d\n"
            "Date: Tue, 24 Nov 2026 10:00:00 +0100\n"
            "Message-ID: <bench-%d@example.org>\n\n") % (i, i, i)
    body = "Dear patron,\n\n" + BODY_LINE * (size // len(BODY_LINE) + 1)
    return (head + body)[:size].rsplit("\n", 1)[0] + "\n"


def rcpt(i):
    return "patron%d@example.net" % i


def write_spoolgate_queue(d, n, size):
    os.makedirs(d)
    for i in range(n):
        with open(os.path.join(d, "m%07d.tmp" % i), "w", newline="") as f:
            f.write(message(i, size).replace("\n", "\r\n"))


def write_nullmailer_queue(d, n, size):
    os.makedirs(d)
    now = int(time.time())
    for i in range(n):
        p = os.path.join(d, "%d.%d" % (now, 100000 + i))
        with open(p, "w") as f:
            f.write("library@example.org\n%s\n\n" % rcpt(i))
            f.write(message(i, size))
        os.chmod(p, 0o600)


# ---------------------------------------------------------------- processes

class Group:
    """A cgroup for one relay run: CPU time of everything in it, and the
    sampled peak of the summed RSS of its members."""

    made = 0
    leftover = []

    def __init__(self, name):
        self.path = None
        self.kind = None
        for base, kind in (("/sys/fs/cgroup/cpuacct", "v1"), ("/sys/fs/cgroup/unified", "v2"), ("/sys/fs/cgroup", "v2")):
            probe = "cpuacct.usage" if kind == "v1" else "cgroup.controllers"
            if not os.path.exists(os.path.join(base, probe)) and kind == "v1":
                continue
            if kind == "v2" and not os.path.exists(os.path.join(base, "cgroup.procs")):
                continue
            Group.made += 1
            p = os.path.join(base, "sgbench-%s-%d-%d" % (name, os.getpid(), Group.made))
            try:
                os.mkdir(p)
                if kind == "v2" and not os.path.exists(os.path.join(p, "cpu.stat")):
                    os.rmdir(p)
                    continue
                self.path, self.kind = p, kind
                break
            except OSError:
                continue
        self.peak_kb = 0
        self.seen_cpu = {}  # pid -> utime+stime seconds (fallback)
        self.roots = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def wrap(self, cmd):
        """cmd, run on the relay's CPU, inside the cgroup."""
        pre = []
        if pinned():
            pre = ["taskset", "-c", RELAY_CPU]
        if self.path:
            return pre + ["sh", "-c", 'echo $$ > "$0" && exec "$@"', os.path.join(self.path, "cgroup.procs")] + cmd
        return pre + cmd

    def pids(self):
        if self.path:
            try:
                with open(os.path.join(self.path, "cgroup.procs")) as f:
                    return [int(x) for x in f.read().split()]
            except OSError:
                return []
        # fallback: the descendants of the roots
        kids = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open("/proc/%s/stat" % d) as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                    kids.setdefault(ppid, []).append(int(d))
                except (OSError, IndexError, ValueError):
                    pass
        out, todo = [], list(self.roots)
        while todo:
            p = todo.pop()
            out.append(p)
            todo.extend(kids.get(p, []))
        return out

    def _sample(self):
        tick = os.sysconf("SC_CLK_TCK")
        while not self._stop.is_set():
            total = 0
            for p in self.pids():
                try:
                    with open("/proc/%d/status" % p) as f:
                        for line in f:
                            if line.startswith("VmRSS:"):
                                total += int(line.split()[1])
                                break
                    if not self.path:
                        with open("/proc/%d/stat" % p) as f:
                            st = f.read().rsplit(")", 1)[1].split()
                        self.seen_cpu[p] = (int(st[11]) + int(st[12]) + int(st[13]) + int(st[14])) / tick
                except (OSError, ValueError, IndexError):
                    pass
            self.peak_kb = max(self.peak_kb, total)
            self._stop.wait(0.05)

    def cpu_seconds(self):
        if self.kind == "v1":
            with open(os.path.join(self.path, "cpuacct.usage")) as f:
                return int(f.read()) / 1e9
        if self.kind == "v2":
            with open(os.path.join(self.path, "cpu.stat")) as f:
                for line in f:
                    if line.startswith("usage_usec"):
                        return int(line.split()[1]) / 1e6
        return sum(self.seen_cpu.values())

    def stop_sampling(self):
        self._stop.set()
        self._thread.join()

    def close(self):
        self.stop_sampling()
        if not self.path:
            return
        deadline = time.time() + 15
        while self.pids() and time.time() < deadline:
            time.sleep(0.05)
        for p in self.pids():  # only processes this run started
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        deadline = time.time() + 5
        while time.time() < deadline:
            try:
                os.rmdir(self.path)
                return
            except OSError:
                time.sleep(0.05)
        # busy until its exited members are reaped; main tries again at the end
        Group.leftover.append(self.path)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def side(cmd):
    """cmd, pinned to the side CPU."""
    if pinned():
        return ["taskset", "-c", str(SIDE_CPU)] + cmd
    return cmd


class Sink:
    """Postfix's smtp-sink on loopback, counting messages (-c)."""

    def __init__(self, work):
        self.port = free_port()
        self.out = os.path.join(work, "sink-%d.out" % self.port)
        self.f = open(self.out, "wb")
        self.p = subprocess.Popen(side(["smtp-sink", "-u", "nobody", "-c", "127.0.0.1:%d" % self.port, "1024"]),
                                  stdout=self.f, stderr=subprocess.STDOUT)
        wait_port(self.port)

    def count(self):
        with open(self.out, "rb") as f:
            try:
                f.seek(-200, 2)
            except OSError:
                pass
            m = re.findall(rb"mesg=(\d+)", f.read())
        return int(m[-1]) if m else 0

    def close(self):
        self.p.terminate()
        self.p.wait()
        self.f.close()


class SlowSink:
    """bench/slowsink -delay 0: a line "MESSAGE-ID<TAB>unix-nanos" per accepted message."""

    def __init__(self, work, binary):
        self.port = free_port()
        self.log = os.path.join(work, "slowsink-%d.log" % self.port)
        open(self.log, "w").close()
        self.p = subprocess.Popen(side([binary, "-listen", "127.0.0.1:%d" % self.port, "-delay", "0", "-log", self.log]),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)

    def lines(self):
        out = []
        with open(self.log) as f:
            for line in f:
                if line.endswith("\n"):
                    mid, ns = line.split("\t")
                    out.append((mid, int(ns)))
        return out

    def close(self):
        self.p.terminate()
        self.p.wait()


def wait_port(port, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("nothing listens on port %d" % port)


def wait_until(cond, timeout, what, alive=None, poll=0.02):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        if alive and not alive():
            raise RuntimeError("%s: the relay exited early" % what)
        time.sleep(poll)
    raise RuntimeError("%s: timed out after %d s" % (what, timeout))


def vm(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def copytree(src, dst):
    subprocess.run(["cp", "-a", src, dst], check=True)


# ---------------------------------------------------------------- relays

def spoolgate_ini(d, port, batch=0, settle="0s", interval="1m", connections=1):
    with open(os.path.join(d, "spoolgate.ini"), "w") as f:
        f.write("[spool]\nfolder = queue\ndata = data\nbatch = %d\nsettle = %s\ninterval = %s\n"
                "[smtp]\nhost = 127.0.0.1\nport = %d\nsecurity = none\nconnections = %d\n"
                "[message]\nfrom = library@example.org\n" % (batch, settle, interval, port, connections))
    return os.path.join(d, "spoolgate.ini")


def run_spoolgate(a, template, n, tag, conns=None):
    d = os.path.join(a.work, "run-sg-%s" % tag)
    os.makedirs(d)
    copytree(template, os.path.join(d, "queue"))
    sink = Sink(a.work)
    ini = spoolgate_ini(d, sink.port, connections=conns or CONNS)
    g = Group("sg")
    errf = open(os.path.join(d, "spoolgate.log"), "w")
    t0 = time.time()
    p = subprocess.Popen(g.wrap([os.path.join(a.bin, "spoolgate"), "run", "--config", ini]),
                         stdout=errf, stderr=errf, cwd=d)
    g.roots = [p.pid]
    try:
        wait_until(lambda: sink.count() >= n, 600, "spoolgate", lambda: p.poll() is None)
        secs = time.time() - t0
        # the last files leave the queue once their journal commit is done
        wait_until(lambda: not any(x.startswith("m") and ".BAD" not in x for x in os.listdir(os.path.join(d, "queue"))),
                   60, "spoolgate queue empty", poll=0.05)
        hwm = vm(p.pid, "VmHWM")
        cpu = g.cpu_seconds()
        g.stop_sampling()
        bad = len([x for x in os.listdir(os.path.join(d, "queue")) if x.endswith(".BAD")])
    finally:
        p.terminate()
        p.wait()
        g.close()
        sink.close()
        errf.close()
    got = sink.count()
    if got != n or bad:
        raise RuntimeError("spoolgate: sink got %d of %d, %d .BAD" % (got, n, bad))
    shutil.rmtree(d)
    return {"secs": secs, "rate": n / secs, "mem_mb": max(hwm, g.peak_kb) / 1024, "cpu": cpu, "sink": got}


NM_DIRS = ("/etc/nullmailer", "/var/spool/nullmailer", "/usr/lib/nullmailer")


def run_nullmailer(a, template, n, tag):
    d = os.path.join(a.work, "run-nm-%s" % tag)
    os.makedirs(os.path.join(d, "etc"))
    os.makedirs(os.path.join(d, "spool"))
    sink = Sink(a.work)
    with open(os.path.join(d, "etc", "remotes"), "w") as f:
        f.write("127.0.0.1 smtp --port=%d\n" % sink.port)
    for name, val in (("me", "bench.example.org"), ("defaultdomain", "example.org"), ("pausetime", "1")):
        with open(os.path.join(d, "etc", name), "w") as f:
            f.write(val + "\n")
    copytree(template, os.path.join(d, "spool", "queue"))
    os.makedirs(os.path.join(d, "spool", "tmp"))
    os.makedirs(os.path.join(d, "spool", "failed"))
    os.mkfifo(os.path.join(d, "spool", "trigger"))
    subprocess.run(["chown", "-R", "mail:mail", os.path.join(d, "spool")], check=True)
    inner = ('mount --bind "$1/etc" /etc/nullmailer && mount --bind "$1/spool" /var/spool/nullmailer && '
             'mount --bind "$2/usr/lib/nullmailer" /usr/lib/nullmailer && exec "$2/usr/sbin/nullmailer-send"')
    g = Group("nm")
    outf = open(os.path.join(d, "nullmailer.log"), "w")
    t0 = time.time()
    p = subprocess.Popen(g.wrap(["unshare", "-m", "sh", "-c", inner, "sh", d, a.nullmailer]),
                         stdout=outf, stderr=outf)
    g.roots = [p.pid]
    try:
        wait_until(lambda: sink.count() >= n, 900, "nullmailer", lambda: p.poll() is None)
        secs = time.time() - t0
        cpu = g.cpu_seconds()
        g.stop_sampling()
    finally:
        p.terminate()
        p.wait()
        g.close()
        sink.close()
        outf.close()
    got = sink.count()
    left = len(os.listdir(os.path.join(d, "spool", "queue")))
    if got != n:
        raise RuntimeError("nullmailer: sink got %d of %d; see %s" % (got, n, d))
    shutil.rmtree(d)
    return {"secs": secs, "rate": n / secs, "mem_mb": g.peak_kb / 1024, "cpu": cpu, "sink": got, "left": left}


MASTER_CF = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def postfix_instance(d, sinkport):
    """A private Postfix: its own config, queue and data folders; no smtpd
    (nothing listens), relayhost = the sink; queue and concurrency settings
    left at their defaults. It logs to a file (postlogd), as it would to
    syslog on a real host."""
    os.makedirs(os.path.join(d, "queue"))
    os.makedirs(os.path.join(d, "data"))
    shutil.chown(os.path.join(d, "data"), "postfix")
    with open(os.path.join(d, "main.cf"), "w") as f:
        f.write("""compatibility_level = 3.6
queue_directory = {d}/queue
data_directory = {d}/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = bench.example.org
mydomain = example.org
myorigin = example.org
mydestination =
local_transport = error:local delivery is disabled
inet_interfaces = loopback-only
inet_protocols = ipv4
relayhost = [127.0.0.1]:{port}
smtp_tls_security_level = none
maillog_file_prefixes = {d}
maillog_file = {d}/maillog
""".format(d=d, port=sinkport))
    with open(os.path.join(d, "master.cf"), "w") as f:
        f.write(MASTER_CF)
    open(os.path.join(d, "maillog"), "a").close()
    shutil.chown(os.path.join(d, "maillog"), "postfix")
    # creates the queue's subfolders with their owners and modes
    subprocess.run(["postfix", "-c", d, "check"], check=True)


def postfix_maildrop(a, n, size, tag):
    """Injects n messages with sendmail -C DIR into a stopped instance and
    returns its maildrop folder, to be copied for each run."""
    d = os.path.join(a.work, "pf-template-%s" % tag)
    postfix_instance(d, 9)
    procs = []
    for i in range(n):
        p = subprocess.Popen(["sendmail", "-C", d, "-f", "library@example.org", rcpt(i)],
                             stdin=subprocess.PIPE, stderr=subprocess.DEVNULL)
        p.stdin.write(message(i, size).encode())
        p.stdin.close()
        procs.append(p)
        if len(procs) >= 8:
            for q in procs:
                if q.wait() != 0:
                    raise RuntimeError("sendmail -C %s failed: %d" % (d, q.returncode))
            procs = []
    for q in procs:
        if q.wait() != 0:
            raise RuntimeError("sendmail -C %s failed: %d" % (d, q.returncode))
    md = os.path.join(d, "queue", "maildrop")
    got = len(os.listdir(md))
    if got != n:
        raise RuntimeError("postfix maildrop holds %d of %d" % (got, n))
    return md


def postfix_empty(d):
    r = subprocess.run(["postqueue", "-c", d, "-p"], capture_output=True, text=True)
    return "Mail queue is empty" in r.stdout


def run_postfix(a, maildrop, n, tag):
    d = os.path.join(a.work, "run-pf-%s" % tag)
    sink = Sink(a.work)
    try:
        postfix_instance(d, sink.port)
        md = os.path.join(d, "queue", "maildrop")
        os.rmdir(md)
        copytree(maildrop, md)
    except Exception:
        sink.close()
        raise
    g = Group("pf")
    try:
        t0 = time.time()
        r = subprocess.run(g.wrap(["postfix", "-c", d, "start"]), capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("postfix -c %s start: %s" % (d, r.stderr))
        g.roots = [int(open(os.path.join(d, "queue", "pid", "master.pid")).read())] if not g.path else []
        wait_until(lambda: sink.count() >= n, 900, "postfix")
        secs = time.time() - t0
        wait_until(lambda: postfix_empty(d), 60, "postfix queue empty", poll=0.2)
        cpu = g.cpu_seconds()
        g.stop_sampling()
    finally:
        subprocess.run(["postfix", "-c", d, "stop"], capture_output=True)
        g.close()
        sink.close()
    got = sink.count()
    if got != n:
        raise RuntimeError("postfix: sink got %d of %d; see %s" % (got, n, d))
    shutil.rmtree(d)
    return {"secs": secs, "rate": n / secs, "mem_mb": g.peak_kb / 1024, "cpu": cpu, "sink": got}


# ---------------------------------------------------------------- spoolgate alone

def start_spoolgate(a, d, port, **kw):
    ini = spoolgate_ini(d, port, **kw)
    errf = open(os.path.join(d, "spoolgate.log"), "w")
    cmd = [os.path.join(a.bin, "spoolgate"), "run", "--config", ini]
    if pinned():
        cmd = ["taskset", "-c", RELAY_CPU] + cmd
    p = subprocess.Popen(cmd, stdout=errf, stderr=errf, cwd=d)
    p.logfile = errf
    return p


def stop(p):
    p.terminate()
    p.wait()
    p.logfile.close()


def latency(a, settle, samples):
    """Drops one file at a time into an idle spoolgate; the time from the
    rename that drops it to the sink's 250."""
    d = os.path.join(a.work, "lat-%s" % settle)
    os.makedirs(os.path.join(d, "queue"))
    sink = SlowSink(a.work, os.path.join(a.bin, "slowsink"))
    p = start_spoolgate(a, d, sink.port, settle=settle)
    out = []
    try:
        time.sleep(1.5)
        for i in range(samples):
            body = message(900000 + i, 2048).replace("\n", "\r\n")
            part = os.path.join(d, "queue", "l%03d.part" % i)
            with open(part, "w", newline="") as f:
                f.write(body)
            os.rename(part, os.path.join(d, "queue", "l%03d.tmp" % i))
            dropped = time.time_ns()
            mid = "bench-%d@example.org" % (900000 + i)
            found = []

            def seen():
                for m, ns in sink.lines():
                    if m == mid:
                        found.append(ns)
                        return True
                return False
            wait_until(seen, 60, "latency sample", lambda: p.poll() is None, poll=0.002)
            out.append((found[0] - dropped) / 1e6)
            time.sleep(0.3)  # at rest again
    finally:
        stop(p)
        sink.close()
    shutil.rmtree(d)
    return out


def startup(a, template, n):
    """spoolgate started with n files waiting: time to the first message at
    the sink, and its VmHWM then and 5 s later."""
    d = os.path.join(a.work, "startup")
    os.makedirs(d)
    copytree(template, os.path.join(d, "queue"))
    sink = SlowSink(a.work, os.path.join(a.bin, "slowsink"))
    t0 = time.time_ns()
    p = start_spoolgate(a, d, sink.port)
    try:
        pid = p.pid
        wait_until(lambda: os.path.getsize(sink.log) > 0, 120, "first send", lambda: p.poll() is None, poll=0.002)
        first_ns = sink.lines()[0][1]
        # taskset execs spoolgate in the same process, so p.pid is spoolgate
        hwm_first = vm(pid, "VmHWM")
        time.sleep(5)
        hwm_later = vm(pid, "VmHWM")
    finally:
        stop(p)
        sink.close()
    shutil.rmtree(d)
    return {"first_s": (first_ns - t0) / 1e9, "hwm_first_mb": hwm_first / 1024, "hwm_5s_mb": hwm_later / 1024}


def ratelimit(a, seconds):
    """batch = 10, interval = 3s: the most messages the sink saw in any 3 s."""
    d = os.path.join(a.work, "rate")
    n = 10 * (seconds // 3 + 3)
    write_spoolgate_queue(os.path.join(d, "queue"), n, 2048)
    sink = SlowSink(a.work, os.path.join(a.bin, "slowsink"))
    p = start_spoolgate(a, d, sink.port, batch=10, interval="3s")
    try:
        time.sleep(seconds)
    finally:
        stop(p)
        sink.close()
    ts = sorted(ns for _, ns in sink.lines())
    worst, j = 0, 0
    for i in range(len(ts)):
        while ts[i] - ts[j] >= 3e9:
            j += 1
        worst = max(worst, i - j + 1)
    shutil.rmtree(d)
    return {"seconds": seconds, "sent": len(ts), "max3s": worst}


# ---------------------------------------------------------------- main

def med(rs, key):
    return statistics.median(r[key] for r in rs)


def main():
    global PIN, CONNS
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--nullmailer", required=True)
    ap.add_argument("--nullmailer-version", default="?")
    ap.add_argument("--spoolgate-version", default="?")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--runs", type=int)
    ap.add_argument("--only", default="drain,big,latency,startup,rate",
                    help="comma-separated parts: drain, big, latency, startup, rate")
    ap.add_argument("--no-pin", action="store_true", help="do not pin the relay and the sink to CPUs")
    ap.add_argument("--connections", type=int, default=CONNS, help="spoolgate's connections in the drains")
    a = ap.parse_args()
    PIN = not a.no_pin
    CONNS = a.connections
    if pinned():
        os.sched_setaffinity(0, {SIDE_CPU})
    runs = a.runs or (1 if a.quick else 3)
    small_n, large_n, big_n = (2000, 200, 20000) if a.quick else (10000, 1000, 100000)
    lat_samples = 5 if a.quick else 20
    rate_secs = 15
    parts = set(a.only.split(","))
    started = datetime.datetime.now().astimezone()

    created = []
    for m in NM_DIRS:
        if not os.path.exists(m):
            os.makedirs(m)
            created.append(m)
    results = {}
    try:
        queues = [("small", small_n, 2048), ("large", large_n, 100 * 1024)]
        if "drain" in parts:
            for name, n, size in queues:
                log("queue %s: %d messages of %d KB: building" % (name, n, size // 1024))
                sgq = os.path.join(a.work, "sg-%s" % name)
                write_spoolgate_queue(sgq, n, size)
                nmq = os.path.join(a.work, "nm-%s" % name)
                write_nullmailer_queue(nmq, n, size)
                pfq = postfix_maildrop(a, n, size, name)
                one = lambda a, q, n, tag: run_spoolgate(a, q, n, tag, conns=1)
                relays = [("spoolgate", run_spoolgate, sgq), ("spoolgate1", one, sgq),
                          ("nullmailer", run_nullmailer, nmq), ("postfix", run_postfix, pfq)]
                if CONNS == 1:
                    del relays[1]
                for relay, fn, q in relays:
                    for r in range(runs):
                        res = fn(a, q, n, "%s-%d" % (name, r))
                        log("  %-10s run %d: %6.0f msg/s  %6.1f MB  %6.2f CPU s  (%.2f s)" %
                            (relay, r + 1, res["rate"], res["mem_mb"], res["cpu"], res["secs"]))
                        results.setdefault((name, relay), []).append(res)
                shutil.rmtree(nmq)
                shutil.rmtree(os.path.dirname(os.path.dirname(pfq)))
                if name == "small":
                    keep_small = sgq
                else:
                    shutil.rmtree(sgq)
        bigq = None
        if "big" in parts or "startup" in parts:
            log("queue big: %d messages of 2 KB: building" % big_n)
            bigq = os.path.join(a.work, "sg-big")
            write_spoolgate_queue(bigq, big_n, 2048)
        if "big" in parts:
            for r in range(runs):
                res = run_spoolgate(a, bigq, big_n, "big-%d" % r)
                log("  %-10s run %d: %6.0f msg/s  %6.1f MB  %6.2f CPU s  (%.2f s)" %
                    ("spoolgate", r + 1, res["rate"], res["mem_mb"], res["cpu"], res["secs"]))
                results.setdefault(("big", "spoolgate"), []).append(res)
        if "startup" in parts:
            for r in range(runs):
                res = startup(a, bigq, big_n)
                log("  start-up run %d: first send after %.3f s, VmHWM %.1f MB (%.1f MB 5 s later)" %
                    (r + 1, res["first_s"], res["hwm_first_mb"], res["hwm_5s_mb"]))
                results.setdefault(("startup", "spoolgate"), []).append(res)
        if bigq:
            shutil.rmtree(bigq)
        if "latency" in parts:
            for settle in ("0s", "2s"):
                ms = latency(a, settle, lat_samples)
                log("  latency settle=%s: median %.1f ms, max %.1f ms" % (settle, statistics.median(ms), max(ms)))
                results[("latency", settle)] = ms
        if "rate" in parts:
            res = ratelimit(a, rate_secs)
            log("  rate limit: %d sent in %d s, at most %d in any 3 s" % (res["sent"], res["seconds"], res["max3s"]))
            results[("rate", "spoolgate")] = res
    finally:
        for g in Group.leftover:
            for _ in range(100):
                try:
                    os.rmdir(g)
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                log("could not remove the cgroup %s (a member not yet reaped?)" % g)
        for m in reversed(created):
            try:
                os.rmdir(m)
            except OSError:
                pass

    report(a, results, runs, started, small_n, large_n, big_n, lat_samples)
    failed = check(results)
    if failed:
        for f in failed:
            log("compare: FAILED: " + f)
        sys.exit(1)


MEM_LIMIT_MB = 50  # issue 5: peak RSS under 50 MB


def check(results):
    """The promises the figures must keep whatever the machine's speed
    (every relay delivering every message is checked as each run ends):
    spoolgate never over its rate limit, and its peak memory under
    MEM_LIMIT_MB in every run. Returns what failed."""
    failed = []
    for (part, relay), rs in results.items():
        if relay.startswith("spoolgate") and isinstance(rs, list):
            for r in rs:
                mb = r.get("mem_mb", r.get("hwm_5s_mb", 0))
                if mb >= MEM_LIMIT_MB:
                    failed.append("%s/%s: peak memory %.1f MB, the target is under %d MB" % (part, relay, mb, MEM_LIMIT_MB))
    r = results.get(("rate", "spoolgate"))
    if r and r["max3s"] > 10:
        failed.append("rate limit: %d messages in one 3 s window with batch = 10, interval = 3s" % r["max3s"])
    if r and r["sent"] == 0:
        failed.append("rate limit: nothing was sent in %d s" % r["seconds"])
    return failed


def fmt(x, nd=0):
    return "{:,.{}f}".format(x, nd)


def report(a, results, runs, started, small_n, large_n, big_n, lat_samples):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    pf = subprocess.run(["postconf", "-d", "-h", "mail_version"], capture_output=True, text=True).stdout.strip()
    P = print
    P()
    P("## spoolgate, nullmailer and Postfix side by side")
    P()
    P("- Machine: %d CPUs, %s, Linux %s" % (os.cpu_count(), cpu, platform.release()))
    P("- Date: %s" % started.strftime("%Y-%m-%d %H:%M %Z"))
    P("- Versions: spoolgate %s; nullmailer %s; Postfix %s (smtp-sink as the sink)" %
      (a.spoolgate_version, a.nullmailer_version, pf or "?"))
    P("- Rerun: `sudo bench/compare.sh%s%s`" % (" --quick" if a.quick else "", "" if PIN else " --no-pin"))
    if pinned():
        P("- Medians of %d run%s; the relay pinned to CPU %s, the sink to CPU %d." %
          (runs, "" if runs == 1 else "s", RELAY_CPU, SIDE_CPU))
    else:
        P("- Medians of %d run%s; not pinned to CPUs." % (runs, "" if runs == 1 else "s"))
    P()
    queues = (("small", "%s messages of 2 KB" % fmt(small_n)), ("large", "%s messages of 100 KB" % fmt(large_n)))
    if any((q, "spoolgate") in results for q, _ in queues):
        P("| queue | relay | messages/s | peak memory | CPU seconds | spoolgate ÷ this relay: rate, memory, CPU |")
        P("|---|---|---:|---:|---:|---|")
        for q, label in queues:
            sg = results.get((q, "spoolgate"))
            sg1 = results.get((q, "spoolgate1"))
            for relay in ("spoolgate", "spoolgate1", "nullmailer", "postfix"):
                rs = results.get((q, relay))
                if not rs:
                    continue
                ratio = "—"
                if not relay.startswith("spoolgate") and sg:
                    ratio = "%.1f×, %.2f×, %.2f×" % (
                        med(sg, "rate") / med(rs, "rate"), med(sg, "mem_mb") / med(rs, "mem_mb"),
                        med(sg, "cpu") / med(rs, "cpu"))
                    if sg1:
                        ratio += " (connections = 1: %.1f×)" % (med(sg1, "rate") / med(rs, "rate"))
                name = {"spoolgate": "spoolgate (batch = 0, connections = %d)" % CONNS,
                        "spoolgate1": "spoolgate (batch = 0, connections = 1)",
                        "nullmailer": "nullmailer", "postfix": "Postfix (its defaults)"}[relay]
                P("| %s | %s | %s | %.1f MB | %.2f | %s |" % (label, name, fmt(med(rs, "rate")),
                                                            med(rs, "mem_mb"), med(rs, "cpu"), ratio))
        P()
    rs = results.get(("big", "spoolgate"))
    if rs:
        P("| spoolgate alone, connections = %d | messages/s | time | peak memory | CPU seconds |" % CONNS)
        P("|---|---:|---:|---:|---:|")
        for q, n in (("small", small_n), ("big", big_n)):
            r = results.get((q, "spoolgate"))
            if r:
                P("| %s messages of 2 KB | %s | %.1f s | %.1f MB | %.2f |" % (
                    fmt(n), fmt(med(r, "rate")), med(r, "secs"), med(r, "mem_mb"), med(r, "cpu")))
        P()
    extra = []
    r = results.get(("startup", "spoolgate"))
    if r:
        extra.append("| start-up with %s files waiting | first send after %.2f s; peak memory %.1f MB then, %.1f MB 5 s later |" % (
            fmt(big_n), med(r, "first_s"), med(r, "hwm_first_mb"), med(r, "hwm_5s_mb")))
    for settle in ("0s", "2s"):
        ms = results.get(("latency", settle))
        if ms:
            extra.append("| latency, drop to acceptance, settle = %s (%d files, one at a time, at rest) | median %.1f ms, max %.1f ms |" % (
                settle, len(ms), statistics.median(ms), max(ms)))
    r = results.get(("rate", "spoolgate"))
    if r:
        extra.append("| rate limit, batch = 10, interval = 3s, over %d s | at most %d messages in any 3 s window (%d sent) |" % (
            r["seconds"], r["max3s"], r["sent"]))
    if extra:
        P("| spoolgate | measured |")
        P("|---|---|")
        for x in extra:
            P(x)
        P()
    P("Time runs from starting the relay to the sink's count reaching the queue's size; "
      "CPU seconds are the relay's cgroup total (all its processes); peak memory is spoolgate's VmHWM, "
      "and for nullmailer and Postfix the largest sum of their processes' RSS, sampled every 50 ms.")
    with open(os.path.join(a.work, "results.json"), "w") as f:
        json.dump({"%s/%s" % k: v for k, v in results.items()}, f, indent=1)


if __name__ == "__main__":
    main()
