#!/usr/bin/env python3
"""A plain TCP echo server: the TCP service (protocol: tcp) that MeshDev's integration tests launch behind a mesh port.

    python3 tcp_echo.py PORT               listen on 127.0.0.1:PORT, echo every byte of every connection back
    python3 tcp_echo.py --exit-at-once N   print "fatal: tcp config missing" to stderr and exit with code N

Prints "listening on 127.0.0.1:PORT" once it accepts connections, and "connection N" per accepted connection.
No dependencies beyond the standard library.
"""
import socket
import sys
import threading


def serve(connection, number):
    with connection:
        while True:
            try:
                data = connection.recv(65536)
            except OSError:
                return
            if not data:
                return
            connection.sendall(data)


def main(argv):
    if len(argv) == 2 and argv[0] == "--exit-at-once":
        print("tcp echo starting", flush=True)
        print("fatal: tcp config missing", file=sys.stderr, flush=True)
        return int(argv[1])
    if len(argv) != 1 or not argv[0].isdigit():
        print("usage: tcp_echo.py PORT | --exit-at-once N", file=sys.stderr, flush=True)
        return 2

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", int(argv[0])))
    listener.listen(128)
    print(f"listening on 127.0.0.1:{listener.getsockname()[1]}", flush=True)
    accepted = 0
    while True:
        connection, _ = listener.accept()
        accepted += 1
        print(f"connection {accepted}", flush=True)
        threading.Thread(target=serve, args=(connection, accepted), daemon=True).start()


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(0)
