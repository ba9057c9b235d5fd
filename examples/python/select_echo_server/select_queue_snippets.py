r_sock, w_sock, e_sock = select.select(s_list1, s_list2, s_list3, timeout)

fifo_q = queue.Queue() # FIFO 큐 생성
data = ['Hello', 'World', 'Python', 'Korea']
for value in data: # 큐에 저장
    fifo_q.put(value)

while not fifo_q.empty(): # 큐에 저장된 값이 있는지 확인
    print(fifo_q.get()) # 저장된 데이터를 인출하여 출력
