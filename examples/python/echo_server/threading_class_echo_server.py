#threading_class_echo_server.py
#threading class를 이용한 TCP 에코 서버 프로그램

import socket, threading

#threading.Thread의 서브 클래스
class ClientThread(threading.Thread):
    def __init__(self,clientAddress,clientsocket):
        #부모 클래스 초기화 함수 실행
        threading.Thread.__init__(self) 
        
        #인스턴수 변수 정의
        self.csocket = clientsocket 
        self.addr = clientAddress
        print ("New socket added: ", self.addr)

    #thread_obj.start()로 실행되는 메서드
    def run(self):
        print ("Connection from : ", self.addr)
        msg = ''
        
        # 데이터를 수신하여 다시 상대방에게 전송(에코)
        while True:
            data = self.csocket.recv(2048) #데이터 수신
            msg = data.decode()
            
            # quit가 수신되면 종료
            if msg=='quit': 
              break
            
            print ("from client", msg)
            
            #수신 메시지 전송
            self.csocket.send(bytes(msg,'UTF-8')) #문자열을 UTF-8 포맷으로 변환
            
        print ("Client at ", self.addr , " disconnected...")

LOCALHOST = ""
PORT = 2500

#서버 소켓 생성
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((LOCALHOST, PORT))
print("Server started")
print("Waiting for client request..")
server.listen(5)

#클라이언트 마다 하나의 스레드가 배정된다
while True: 
    clientsock, clientAddress = server.accept()
    
    #스레드 객체 생성
    newthread = ClientThread(clientAddress, clientsock)
    #스레드 시작
    newthread.start()
