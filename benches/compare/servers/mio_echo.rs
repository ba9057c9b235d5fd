//! A `mio` echo loop written directly: the twin of the crate's event-driven mode. One
//! thread, edge-triggered readiness, one shared read buffer; a connection owns memory only
//! while a reply is waiting for the socket to drain.

use std::io::{self, ErrorKind, Read, Write};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

use super::announce;

const LISTENER: Token = Token(usize::MAX);

struct Conn {
    stream: TcpStream,
    /// Echo bytes the socket would not take yet; while any wait, reading pauses.
    pending: Vec<u8>,
}

/// Echoes every byte back. Returns `false` when the connection is finished.
fn serve(conn: &mut Conn, buf: &mut [u8]) -> bool {
    loop {
        while !conn.pending.is_empty() {
            match conn.stream.write(&conn.pending) {
                Ok(n) => {
                    conn.pending.drain(..n);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        let n = match conn.stream.read(buf) {
            Ok(0) => return false,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return false,
        };
        let mut sent = 0;
        while sent < n {
            match conn.stream.write(&buf[sent..n]) {
                Ok(k) => sent += k,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    conn.pending.extend_from_slice(&buf[sent..n]);
                    break;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
    }
}

pub fn tcp() -> io::Result<()> {
    let mut listener = TcpListener::bind("127.0.0.1:0".parse().map_err(io::Error::other)?)?;
    announce(listener.local_addr()?);
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let mut conns: Vec<Option<Conn>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if let Err(e) = poll.poll(&mut events, None) {
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        for event in events.iter() {
            if event.token() == LISTENER {
                loop {
                    match listener.accept() {
                        Ok((mut stream, _)) => {
                            let slot = free.pop().unwrap_or_else(|| {
                                conns.push(None);
                                conns.len() - 1
                            });
                            poll.registry().register(
                                &mut stream,
                                Token(slot),
                                Interest::READABLE | Interest::WRITABLE,
                            )?;
                            conns[slot] = Some(Conn {
                                stream,
                                pending: Vec::new(),
                            });
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) if super::transient_accept_error(&e) => continue,
                        Err(e) => return Err(e),
                    }
                }
                continue;
            }
            let slot = event.token().0;
            let alive = match conns.get_mut(slot).and_then(Option::as_mut) {
                Some(conn) => serve(conn, &mut buf),
                None => continue,
            };
            if !alive {
                if let Some(mut conn) = conns[slot].take() {
                    let _ = poll.registry().deregister(&mut conn.stream);
                }
                free.push(slot);
            }
        }
    }
}
