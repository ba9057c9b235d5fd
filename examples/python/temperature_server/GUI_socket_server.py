#GUI_socket_server.py
# 섭씨 온도를 받아 화씨 온도로 변환하여 전송하는 TCP 서버 프로그램

import sys
from socket import *

ECHO_PORT = 2500
BUFSIZE = 1024
   
s = socket(AF_INET, SOCK_STREAM)
s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
s.bind(('', port))
s.listen(1)

#연결 요청 수락
print("Waiting for connection from client")
conn, (remotehost, remoteport) = s.accept()
print('connected by', remotehost, remoteport)

while True:
    #데이터 수신
    data = conn.recv(BUFSIZE) 
    if not data: #연결이 종료되었음
        break
        
    #수신 데이터(bytes형)를 float형으로 변환
    data = float(data.decode()) 
    
    #화씨 온도 계산
    data = 9.0/5.0*data + 32.0 
    data = '{:.1f}'.format(data) # 소숫점 첫 째자리까지만 표시
    
    #화씨 온도 전송
    conn.send(data.encode()) 
    
conn.close()
