"""A service that uses the systemd handshakes the mesh offers instead of being probed.

python3 handshake_service.py MODE [DELAY_S] -- MODE is one of:
  socket   serve on the listening socket passed at fd 3 (LISTEN_FDS=1, LISTEN_PID = this process); never binds a port
  notify   bind PORT itself, then send STATUS=warming up and, after DELAY_S seconds, READY=1 to NOTIFY_SOCKET
  silent   print a line and exit with code 3 without sending READY=1 (a launch that fails)
Before it serves it waits DELAY_S seconds (default 0): connections made meanwhile wait in the accept queue.
  GET /   -> "MODE pid=PID ready_sent=yes|no fds=LISTEN_FDS", kept alive (HTTP/1.1)
"""
import http.server
import os
import socket
import sys
import time

mode = sys.argv[1]
delay = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
ready_sent = False


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = f"{mode} pid={os.getpid()} ready_sent={'yes' if ready_sent else 'no'} fds={os.environ.get('LISTEN_FDS', '-')}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def notify(message):
    address = os.environ["NOTIFY_SOCKET"]
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.connect(address)
        s.send(message.encode())


if mode == "silent":
    print("giving up before READY=1", flush=True)
    sys.exit(3)

if mode == "socket":
    if os.environ.get("LISTEN_PID") != str(os.getpid()) or os.environ.get("LISTEN_FDS") != "1":
        print(f"fatal: LISTEN_PID={os.environ.get('LISTEN_PID')} LISTEN_FDS={os.environ.get('LISTEN_FDS')}, pid {os.getpid()}", flush=True)
        sys.exit(4)
    time.sleep(delay)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
    server.socket.close()
    server.socket = socket.socket(fileno=3)
else:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
    notify("STATUS=warming up")
    time.sleep(delay)
    ready_sent = True
    notify("READY=1")

print(f"serving ({mode})", flush=True)
server.serve_forever()
