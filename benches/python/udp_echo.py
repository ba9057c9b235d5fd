"""Datagram echo on socketserver.ThreadingUDPServer: a thread per datagram, sent back to
its sender. Binds 127.0.0.1 port 0 and prints `listening on IP:PORT`."""

import socketserver
import sys


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        sock.sendto(data, self.client_address)


class Server(socketserver.ThreadingUDPServer):
    daemon_threads = True


with Server(("127.0.0.1", 0), Echo) as server:
    host, port = server.server_address
    print(f"listening on {host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)
