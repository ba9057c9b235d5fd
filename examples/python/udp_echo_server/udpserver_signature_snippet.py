class socketserver.UDPServer(server_address, RequestHandlerClass,  
                           bind_and_activate=True)
