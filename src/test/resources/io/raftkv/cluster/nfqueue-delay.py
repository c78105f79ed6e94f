#!/usr/bin/env python3
"""Delays every packet that iptables hands to an NFQUEUE by a fixed time, then lets it pass.

This stands in for `tc qdisc ... netem delay`, for kernels built without sch_netem (like the VMs
raftkv is developed on). ContainerCluster runs it inside one container's network namespace
(`nsenter -t <pid> -n python3 nfqueue-delay.py <queue> <delay-ms>`) behind a rule such as
`-A OUTPUT -d <peer ip> -j NFQUEUE --queue-num <queue> --queue-bypass`, so only the traffic to
other nodes is delayed. Only the standard library is used: the netlink protocol is spoken by hand.

It prints "ready" once the queue is bound. Lines on its standard input control it: a number
sets a new delay in milliseconds (answered "ok"); "drain" is answered "drained" once no packet
is held any more. Packets leave in the order they came, whatever the delay changes: a packet is
never released before one that arrived earlier, since TCP takes reordering for loss. It exits when
its standard input closes (or on SIGTERM), so it never outlives the test JVM that started it. Before exiting it lets every packet it
still holds pass at once: the kernel drops the packets of a queue whose reader is gone, and a lost
packet costs TCP a retransmission timeout (200 ms or more), longer than a Raft election timeout.
Packets that arrive after it exits pass undelayed (--queue-bypass).
"""
import collections
import os
import select
import signal
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS, NFQA_CFG_QUEUE_MAXLEN, NFQA_CFG_MASK, NFQA_CFG_FLAGS = 1, 2, 3, 4, 5
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NFQA_CFG_F_FAIL_OPEN = 1
NFQA_PACKET_HDR = 1
NFQA_VERDICT_HDR = 2
NF_ACCEPT = 1
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2


def attr(kind, payload):
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * ((4 - length % 4) % 4)


def message(kind, queue, attrs, flags=NLM_F_REQUEST, seq=0):
    body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(queue)) + b"".join(attrs)
    return struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | kind, flags, seq, 0) + body


def messages(data):
    off = 0
    while off + 16 <= len(data):
        length, kind, _flags, _seq, _pid = struct.unpack_from("=IHHII", data, off)
        if length < 16:
            return
        yield kind, data[off + 16:off + length]
        off += (length + 3) & ~3


def attrs(payload):
    off = 4  # after nfgenmsg
    while off + 4 <= len(payload):
        length, kind = struct.unpack_from("=HH", payload, off)
        if length < 4:
            return
        yield kind & 0x7fff, payload[off + 4:off + length]
        off += (length + 3) & ~3


def configure(sock, queue, attributes, seq):
    sock.send(message(NFQNL_MSG_CONFIG, queue, attributes, NLM_F_REQUEST | NLM_F_ACK, seq))
    for kind, payload in messages(sock.recv(65536)):
        if kind == NLMSG_ERROR:
            (err,) = struct.unpack_from("=i", payload, 0)
            if err != 0:
                raise OSError(-err, os.strerror(-err))


def main():
    queue, delay = int(sys.argv[1]), float(sys.argv[2]) / 1000.0
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.bind((0, 0))
    configure(sock, queue, [attr(NFQA_CFG_CMD, struct.pack("!BxH", NFQNL_CFG_CMD_BIND, socket.AF_INET))], 1)
    configure(sock, queue, [attr(NFQA_CFG_PARAMS, struct.pack("!IB", 0, NFQNL_COPY_META)),
                            attr(NFQA_CFG_QUEUE_MAXLEN, struct.pack("!I", 65536)),
                            # A full queue lets packets through rather than dropping them: delay, not loss.
                            attr(NFQA_CFG_MASK, struct.pack("!I", NFQA_CFG_F_FAIL_OPEN)),
                            attr(NFQA_CFG_FLAGS, struct.pack("!I", NFQA_CFG_F_FAIL_OPEN))], 2)
    print("ready", flush=True)

    held = collections.deque()  # (release time, packet id), in arrival order and so in release order
    draining = []

    def release(ids):
        for start in range(0, len(ids), 256):
            sock.send(b"".join(message(NFQNL_MSG_VERDICT, queue, [attr(NFQA_VERDICT_HDR, struct.pack("!II", NF_ACCEPT, i))])
                               for i in ids[start:start + 256]))

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    stdin = sys.stdin.fileno()
    pending = b""
    try:
        while True:
            now = time.monotonic()
            due = []
            while held and held[0][0] <= now:
                due.append(held.popleft()[1])
            release(due)
            if draining and not held:
                print("drained", flush=True)
                draining.clear()
            timeout = max(0.0, held[0][0] - time.monotonic()) if held else None
            ready, _, _ = select.select([sock, stdin], [], [], timeout)
            if stdin in ready:
                chunk = os.read(stdin, 4096)
                if not chunk:
                    return
                pending += chunk
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    line = line.strip().decode()
                    if line == "drain":
                        draining.append(True)
                    elif line:
                        delay = float(line) / 1000.0
                        print("ok", flush=True)
            if sock in ready:
                data = sock.recv(1 << 20)
                arrived = time.monotonic()
                for kind, payload in messages(data):
                    if kind == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                        for akind, value in attrs(payload):
                            if akind == NFQA_PACKET_HDR:
                                at = max(arrived + delay, held[-1][0] if held else 0.0)
                                held.append((at, struct.unpack_from("!I", value, 0)[0]))
    finally:
        release([i for _, i in held])


if __name__ == "__main__":
    main()
