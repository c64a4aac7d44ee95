"""A service that calls another the way most non-.NET code does: a new connection per request.

python3 one_shot_caller.py PORT TARGET -- listens on 127.0.0.1:PORT (HTTP/1.1, a thread per connection) and calls the
service TARGET at its discovery address (services__TARGET__http__0, set by the mesh):
  GET /healthz            -> ok
  GET /urllib?n=N         -> N calls to TARGET's / with urllib (each on its own connection, closed after); "N ok"
  GET /curl?n=N           -> N runs of curl against TARGET's / (child processes of this service); "N ok"
"""
import http.server
import os
import subprocess
import sys
import urllib.parse
import urllib.request


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        count = int(urllib.parse.parse_qs(url.query).get("n", ["1"])[0])
        target = os.environ[f"services__{sys.argv[2]}__http__0"] + "/"
        if url.path == "/healthz":
            self.answer("ok")
        elif url.path == "/urllib":
            ok = 0
            for _ in range(count):
                with urllib.request.urlopen(target, timeout=30) as response:
                    response.read()
                    ok += response.status == 200
            self.answer(f"{ok} ok")
        elif url.path == "/curl":
            ok = sum(subprocess.run(["curl", "-sf", "-o", "/dev/null", target]).returncode == 0 for _ in range(count))
            self.answer(f"{ok} ok")
        else:
            self.send_error(404)

    def answer(self, text):
        body = text.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
