# thread_TCP_server.py
# _thread를 이용한 TCP 서버 프로그램

from socket import *
import _thread

BUFFSIZE = 1024
host_addr = ''
port = 2500

#클라이언트에게 보낼 응답 메시지
def response(key):
    return '서버 응답 메시지 ' + str(key)

#서브 스레드로 실행할 함수
# 데이터를 수신하여 출력하고, 응답을 전송한다
def handler(clientsock, addr):
    count = 1 # 메시지 번호
    while True:
        #수신 데이터 화면 출력
        data = clientsock.recv(BUFFSIZE)
        print('data:' + repr(data)) 
        
        #연결이 종료되었으면 통신을 중단한다
        if not data: break
        
        #응답 전송
        clientsock.send(response(count).encode()) 
        print('sent:' + repr(response(count)))
        count += 1

#메인스레드로 실행되는 main() 함수
if __name__=='__main__':
    ADDR = (host_addr, port)
    #TCP 소켓 생성
    serversock = socket(AF_INET, SOCK_STREAM)
    
    #주소 재사용 옵션 설정
    serversock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1) #SO_REUSEADDR 의 옵션 값을 TRUE로 설정
    serversock.bind(ADDR)
    serversock.listen(5)
    
    #클라이언트 연결 요청을 수락하고 서브스레드를 생성하고 실행한다
    while True:
        print('waiting for connection...')
        #연결 수락
        clientsock, addr = serversock.accept()
        print('...connected from:', addr)
        
        #서브스레드가 실행할 함수를 지정하고 서브스레드를 실행한다 
        _thread.start_new_thread(handler, (clientsock, addr))
