#서버 객체 생성을 위한 팩토리 클래스
class StreamingServer(socketserver.ThreadingMixIn, server.HTTPServer):
    allow_reuse_address = True      # socketserver 속성. 주소 재사용
    daemon_threads = True          # ThreadingMixIn 속성. 서브 스레드가 종료되면 즉시 종료

    address = (".", 8000)
    server = StreamingServer(address, StreamingHandler)    # server 객체를 생성
    server.serve_forever()

class StreamingHandler(server.BaseHTTPRequestHandler):  
    def do_GET(self):  
        if self.path == '/':
