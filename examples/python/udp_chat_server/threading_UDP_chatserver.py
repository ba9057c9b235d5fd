#threading_UDP_chatserver.py
# UDP 채팅 서버 프로그램

import socket
import time

host = ''
port = 2500

#접속 클라이언트 리스트
clients = [] 

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((host, port))
#넌블로킹 모드
s.setblocking(0)

print('Server Started')

#클라이언트 메시지를 받아 모든 사용자에게 전송하고 소켓 목록 관리
while True:
    try:
        data, addr = s.recvfrom(1024)
        #"quit"가 수신되면 목록에서 제외
        if "quit" in data.decode():
            if addr in clients:
                clients.remove(addr)
                print(f'{addr}가 떠났습니다')
                
        #상대방이 클라이언트 리스트에 없으면 추가
        if addr not in clients: 
            print("new client")
            clients.append(addr)
        #시간+상대방주소+메시지 출력
        print(time.ctime(time.time()) + str(addr) + ': :' + data.decode())
        
        #발신자를 제외한 모든 클라이언트에게 전송
        for client in clients: 
            if client != addr:
                s.sendto(data, client)
    except:
        pass
s.close()
