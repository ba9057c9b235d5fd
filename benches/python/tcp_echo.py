"""Line echo on socketserver.ThreadingTCPServer + StreamRequestHandler: what a user of
Python's socketserver writes. Binds 127.0.0.1 port 0 and prints `listening on IP:PORT`."""

import socketserver
import sys


class Echo(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(line)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True


with Server(("127.0.0.1", 0), Echo) as server:
    host, port = server.server_address
    print(f"listening on {host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)
