//! One connection on the ring: its I/O state (`Io`), what it leaves while the kernel
//! still has operations on it (`Grave`), and the calls that take it on, arm its
//! receive, hand its input to the loop and let it go.

use std::collections::VecDeque;
use std::io;
use std::os::fd::RawFd;

use io_uring::types::{CancelBuilder, Fd};
use io_uring::{opcode, squeue};
use mio::net::TcpStream;

use super::op::{user_data, Op};
use super::{Uring, BGID, BUFFER_SIZE, RECVSEND_POLL_FIRST};

/// One connection's I/O state on the ring.
#[derive(Debug)]
pub(super) struct Io {
    pub(super) tag: u32,
    pub(super) fd: RawFd,
    /// Received and not yet handed to the loop: buffer id, start, end.
    pub(super) inbox: VecDeque<(u16, usize, usize)>,
    pub(super) recv_armed: bool,
    pub(super) eof: bool,
    pub(super) error: Option<io::Error>,
    /// Lent to the kernel while `sending`: not touched until the completion.
    pub(super) send: Vec<u8>,
    pub(super) sent: usize,
    pub(super) sending: bool,
    /// `send[sent..]` is still to go, but its send was cancelled with the ring it was on:
    /// the next ring sends it first (`sending` stays set, so nothing overtakes it).
    pub(super) resend: bool,
}

/// What a closed connection leaves while the kernel still has operations on it.
pub(super) struct Grave {
    _socket: TcpStream,
    _send: Vec<u8>,
    pub(super) ops: u8,
}

impl Uring {
    /// Takes connection `key` (a new socket) onto the ring and arms its first receive.
    pub(crate) fn add(&mut self, key: usize, fd: RawFd, serial: u64) {
        if self.conns.len() <= key {
            self.conns.resize_with(key + 1, || None);
        }
        self.conns[key] = Some(Io {
            tag: serial as u32,
            fd,
            inbox: VecDeque::new(),
            recv_armed: false,
            eof: false,
            error: None,
            send: Vec::new(),
            sent: 0,
            sending: false,
            resend: false,
        });
        self.arm(key);
    }

    /// Connection `key` has bytes the kernel is still sending (or that wait for the next
    /// ring): the loop's queue is empty, but the connection is not finished.
    pub(crate) fn is_sending(&self, key: usize) -> bool {
        self.conns
            .get(key)
            .and_then(Option::as_ref)
            .is_some_and(|io| io.sending)
    }

    /// Connection `key` has received bytes not yet handed to the loop.
    pub(crate) fn has_input(&self, key: usize) -> bool {
        self.conns
            .get(key)
            .and_then(Option::as_ref)
            .is_some_and(|io| !io.inbox.is_empty())
    }

    pub(super) fn arm(&mut self, key: usize) {
        if self.ring.is_none() || self.stopping {
            return; // `start` arms every connection
        }
        let Some(io) = self.conns.get_mut(key).and_then(Option::as_mut) else {
            return;
        };
        if io.recv_armed || io.eof || io.error.is_some() {
            return;
        }
        io.recv_armed = true;
        self.armed += 1;
        self.bufs.lend(self.armed);
        let entry = opcode::Recv::new(Fd(io.fd), std::ptr::null_mut(), BUFFER_SIZE as u32)
            .buf_group(BGID)
            .ioprio(RECVSEND_POLL_FIRST)
            .build()
            .flags(squeue::Flags::BUFFER_SELECT)
            .user_data(user_data(Op::Recv, key, io.tag));
        // SAFETY: the receive writes only into a buffer of the ring, which lives as long
        // as the io_uring.
        unsafe { self.push(&entry) };
    }

    /// The loop's read from connection `key`: what its receives brought, else
    /// `WouldBlock` (with a receive armed), end-of-file or the receive's error.
    pub(crate) fn recv(&mut self, key: usize, buf: &mut [u8]) -> io::Result<usize> {
        let Some(io) = self.conns.get_mut(key).and_then(Option::as_mut) else {
            return Err(io::ErrorKind::NotConnected.into());
        };
        let mut n = 0;
        let mut recycled = false;
        while n < buf.len() {
            let Some((bid, start, end)) = io.inbox.front_mut() else {
                break;
            };
            let take = (*end - *start).min(buf.len() - n);
            let data = &self.bufs.buffer(*bid)[*start..*start + take];
            buf[n..n + take].copy_from_slice(data);
            n += take;
            *start += take;
            if *start == *end {
                let bid = *bid;
                io.inbox.pop_front();
                self.bufs.give(bid);
                self.held -= 1;
                recycled = true;
            }
        }
        let empty = io.inbox.is_empty();
        let result = if n > 0 {
            Ok(n)
        } else if let Some(err) = io.error.take() {
            io.eof = true; // nothing more comes after an error
            Err(err)
        } else if io.eof {
            Ok(0)
        } else {
            Err(io::ErrorKind::WouldBlock.into())
        };
        if recycled {
            for key in std::mem::take(&mut self.starved) {
                self.arm(key);
            }
        }
        if empty {
            self.arm(key);
        }
        result
    }

    /// Sends what is left of connection `key`'s send buffer; with no ring up (or one
    /// winding down) it waits for the next ring.
    pub(super) fn send_rest(&mut self, key: usize) {
        let up = self.ring.is_some() && !self.stopping;
        let Some(io) = self.conns.get_mut(key).and_then(Option::as_mut) else {
            return;
        };
        if !up {
            io.resend = true;
            return;
        }
        let rest = &io.send[io.sent..];
        let entry = opcode::Send::new(Fd(io.fd), rest.as_ptr(), rest.len() as u32)
            .build()
            .user_data(user_data(Op::Send, key, io.tag));
        // SAFETY: `io.send` is not touched while `sending` (its heap buffer stays put
        // when `Io` moves, and moves into a grave if the connection closes first).
        unsafe { self.push(&entry) };
    }

    /// Connection `key` closed: cancels its receive, and keeps its socket and send buffer
    /// until the kernel is done with them.
    pub(crate) fn forget(&mut self, key: usize, socket: TcpStream) {
        let Some(io) = self.conns.get_mut(key).and_then(Option::take) else {
            return;
        };
        for (bid, ..) in &io.inbox {
            self.bufs.give(*bid);
            self.held -= 1;
        }
        // Operations in the kernel: a send waiting for the next ring is not.
        let ops = u8::from(io.recv_armed) + u8::from(io.sending && !io.resend);
        if io.recv_armed && !self.stopping {
            let target = user_data(Op::Recv, key, io.tag);
            let entry = opcode::AsyncCancel2::new(CancelBuilder::user_data(target))
                .build()
                .user_data(user_data(Op::Cancel, key, io.tag));
            // SAFETY: a cancel points to no memory.
            unsafe { self.push(&entry) };
        }
        if ops > 0 {
            self.graves.insert(
                user_data(Op::Recv, key, io.tag),
                Grave {
                    _socket: socket,
                    _send: io.send,
                    ops,
                },
            );
        }
    }
}
