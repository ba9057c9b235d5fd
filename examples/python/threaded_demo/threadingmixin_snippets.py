class ThreadedTCPServer(socketserver.ThreadingMixIn,  
                         socketserver.TCPServer):  
    pass

server = ThreadedTCPServer((HOST, PORT), ThreadedTCPRequestHandler)
server_thread = threading.Thread(target=server.serve_forever)
server_thread.start()
