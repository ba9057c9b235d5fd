//! The tokio baseline: a multi-thread runtime (one worker per CPU the process may use, so
//! one when pinned) with a task per connection, and a UDP echo task.

use std::io;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, UdpSocket};

use super::announce;

#[tokio::main]
pub async fn tcp() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    announce(listener.local_addr()?);
    loop {
        let (mut stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            let (reader, mut writer) = stream.split();
            let mut reader = BufReader::with_capacity(8192, reader);
            let mut line = Vec::with_capacity(128);
            loop {
                line.clear();
                match reader.read_until(b'\n', &mut line).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        if writer.write_all(&line).await.is_err() {
                            return;
                        }
                    }
                }
            }
        });
    }
}

#[tokio::main]
pub async fn udp() -> io::Result<()> {
    let socket = UdpSocket::bind("127.0.0.1:0").await?;
    announce(socket.local_addr()?);
    let mut buf = vec![0u8; 65536];
    loop {
        let (n, from) = socket.recv_from(&mut buf).await?;
        socket.send_to(&buf[..n], from).await?;
    }
}
