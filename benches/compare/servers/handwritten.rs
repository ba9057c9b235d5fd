//! The hand-written std servers each mode of the crate replaces: what a user would write
//! without it. They share the crate's blocking line echo, so any difference is framework.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;

use super::{announce, POOL_WORKERS};

fn line_echo(stream: TcpStream) -> io::Result<()> {
    let mut writer = &stream;
    let mut reader = BufReader::with_capacity(8192, &stream);
    let mut line = Vec::with_capacity(128);
    while reader.read_until(b'\n', &mut line)? > 0 {
        writer.write_all(&line)?;
        line.clear();
    }
    Ok(())
}

fn listen() -> io::Result<TcpListener> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    announce(listener.local_addr()?);
    Ok(listener)
}

/// Accept, serve, close: one client at a time (twin of `TcpServer`).
pub fn tcp_iterative() -> io::Result<()> {
    let listener = listen()?;
    loop {
        let (stream, _) = listener.accept()?;
        let _ = line_echo(stream);
    }
}

/// A thread per connection (twin of `ThreadingTcpServer`).
pub fn tcp_thread_per_connection() -> io::Result<()> {
    let listener = listen()?;
    loop {
        let (stream, _) = listener.accept()?;
        thread::spawn(move || line_echo(stream));
    }
}

/// A fixed pool of workers fed by a channel (twin of the crate's pool mode).
pub fn tcp_pool() -> io::Result<()> {
    let listener = listen()?;
    let (tx, rx) = mpsc::channel::<TcpStream>();
    let rx = Arc::new(Mutex::new(rx));
    for _ in 0..POOL_WORKERS {
        let rx = Arc::clone(&rx);
        thread::spawn(move || loop {
            let next = rx.lock().map(|r| r.recv());
            match next {
                Ok(Ok(stream)) => {
                    let _ = line_echo(stream);
                }
                _ => return,
            }
        });
    }
    loop {
        let (stream, _) = listener.accept()?;
        tx.send(stream).map_err(io::Error::other)?;
    }
}

/// A child process per connection, reaped as the next connection arrives (twin of
/// `ForkingTcpServer`). This process has one thread, so forking is safe.
pub fn tcp_fork_per_connection() -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let listener = listen()?;
    loop {
        let (stream, _) = listener.accept()?;
        // SAFETY: a single-threaded process; the child only echoes and exits.
        match unsafe { libc::fork() } {
            -1 => return Err(io::Error::last_os_error()),
            0 => {
                // SAFETY: the child closes its copy of the listener and never returns.
                unsafe { libc::close(listener.as_raw_fd()) };
                let _ = line_echo(stream);
                unsafe { libc::_exit(0) };
            }
            _ => {
                drop(stream);
                // SAFETY: waitpid with WNOHANG only reaps finished children.
                while unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) } > 0 {}
            }
        }
    }
}

/// recv_from / send_to on one thread (twin of `UdpServer`).
pub fn udp_loop() -> io::Result<()> {
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    announce(socket.local_addr()?);
    let mut buf = vec![0u8; 65536];
    loop {
        let (n, from) = socket.recv_from(&mut buf)?;
        socket.send_to(&buf[..n], from)?;
    }
}

/// A thread per datagram (twin of `ThreadingUdpServer`).
pub fn udp_thread_per_datagram() -> io::Result<()> {
    let socket = Arc::new(UdpSocket::bind("127.0.0.1:0")?);
    announce(socket.local_addr()?);
    let mut buf = vec![0u8; 65536];
    loop {
        let (n, from) = socket.recv_from(&mut buf)?;
        let packet = buf[..n].to_vec();
        let socket = Arc::clone(&socket);
        thread::spawn(move || socket.send_to(&packet, from));
    }
}
