#!/usr/bin/env python3
"""A lossy, delaying wire between two network namespaces (bench/loss/native-loss.mjs runs it).

This kernel has no netem (CONFIG_NET_SCH_NETEM is not set: `tc qdisc add ... netem` answers
"Specified qdisc kind is unknown") and no fq/etf qdisc to delay packets by timestamp, so the
link is two TUN devices joined here, doing what `netem loss X% delay D` on both ends of a veth
pair would do: every IP packet, in each direction, is dropped with probability LOSS, else
delivered DELAY later, in order; at most LIMIT packets wait per direction (netem's default
queue), more are dropped.

    wire.py NAME_A NAME_B LOSS_PERCENT DELAY_MS

Creates TUN devices NAME_A and NAME_B in the caller's namespace and prints "ready" once they
exist; the caller moves them into their namespaces and gives them addresses. The devices go
away when this process exits (SIGTERM or SIGINT end it); on exit it prints one line of counts.
With WIRE_TRACE=FILE in the environment it also writes one line per packet read,
"SECONDS SIDE BYTES FATE" (side 0 = read from NAME_A; fate f(orwarded later), d(ropped), o(verflow)),
to see how a transfer uses the round trip.
"""
import collections
import fcntl
import os
import random
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
LIMIT = 1000
MTU_READ = 65536


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def main():
    name_a, name_b, loss, delay_ms = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    loss /= 100.0
    delay = delay_ms / 1000.0
    fds = [open_tun(name_a), open_tun(name_b)]
    # Packets read from fds[i] wait in queues[i] and are written to fds[1 - i].
    queues = [collections.deque(), collections.deque()]
    counts = {"forwarded": 0, "dropped": 0, "overflow": 0}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN)
    print("ready", flush=True)
    rng = random.Random()
    trace_path = os.environ.get("WIRE_TRACE")
    trace = open(trace_path, "w", buffering=1 << 20) if trace_path else None
    while not stop:
        now = time.monotonic()
        due = [q[0][0] for q in queues if q]
        timeout = max(0.0, min(due) - now) * 1000 if due else 1000
        try:
            ready = poller.poll(timeout)
        except InterruptedError:
            continue
        now = time.monotonic()
        for fd, _ in ready:
            side = fds.index(fd)
            while True:
                try:
                    packet = os.read(fd, MTU_READ)
                except BlockingIOError:
                    break
                if rng.random() < loss:
                    counts["dropped"] += 1
                    fate = "d"
                elif len(queues[side]) >= LIMIT:
                    counts["overflow"] += 1
                    fate = "o"
                else:
                    queues[side].append((now + delay, packet))
                    fate = "f"
                if trace:
                    trace.write(f"{now:.6f} {side} {len(packet)} {fate}\n")
        for side, queue in enumerate(queues):
            out = fds[1 - side]
            while queue and queue[0][0] <= now:
                _, packet = queue.popleft()
                try:
                    os.write(out, packet)
                    counts["forwarded"] += 1
                except OSError:
                    # The other device is not up yet (or gone): the packet is lost.
                    counts["dropped"] += 1
    if trace:
        trace.close()
    print(" ".join(f"{k}={v}" for k, v in counts.items()), flush=True)


if __name__ == "__main__":
    main()
