"""A small page over http.server.ThreadingHTTPServer with HTTP/1.1 keep-alive (the
default HTTP/1.0 would close every connection). Binds 127.0.0.1 port 0 and prints
`listening on IP:PORT`."""

import http.server
import sys

PAGE = b"<!doctype html><title>bench</title><p>Hello from the benchmark.</p>\n"


class Page(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY every keep-alive reply
    # waits ~40 ms for the client's delayed ACK (Nagle), which is not what we measure.
    disable_nagle_algorithm = True

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # wrk resets its connections when it stops: not worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


with Server(("127.0.0.1", 0), Page) as server:
    host, port = server.server_address
    print(f"listening on {host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)
