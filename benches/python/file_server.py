"""`python -m http.server -p HTTP/1.1` on the benchmark's directory: SimpleHTTPRequestHandler
on a ThreadingHTTPServer, HTTP/1.1 keep-alive, and its access log (stderr) appended to
`access-python.log` beside the directory. Binds 127.0.0.1 port 0 and prints
`listening on IP:PORT`. As `python -m http.server` runs it: no TCP_NODELAY."""

import functools
import http.server
import os
import sys
import tempfile

base = os.path.join(tempfile.gettempdir(), "socketserver-bench-files")
sys.stderr = open(os.path.join(base, "access-python.log"), "a", buffering=1)


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


handler = functools.partial(Handler, directory=os.path.join(base, "root"))
with Server(("127.0.0.1", 0), handler) as server:
    host, port = server.server_address
    print(f"listening on {host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)
