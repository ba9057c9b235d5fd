//! Unix specifics, each behind one small function: errno classes, the loop's wake-up
//! descriptor, descriptor checks for inherited sockets, and a read
//! into a buffer's spare capacity.

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// Errors that mean "out of descriptors or kernel memory", worth a pause and a retry.
pub(crate) fn is_out_of_resources(errno: i32) -> bool {
    matches!(
        errno,
        libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM
    )
}

/// Errors `accept(2)` reports for one failed connection (Linux passes pending network
/// errors of the new socket to `accept`); the listener is fine.
pub(crate) fn is_transient_accept_error(errno: i32) -> bool {
    matches!(
        errno,
        libc::EINTR
            | libc::ECONNABORTED
            | libc::EPROTO
            | libc::EPERM
            | libc::ENETDOWN
            | libc::ENOPROTOOPT
            | libc::EHOSTDOWN
            | libc::EHOSTUNREACH
            | libc::EOPNOTSUPP
            | libc::ENETUNREACH
            | libc::ETIMEDOUT
    )
}

/// Turns a `-1` return into the thread's `errno`.
pub(super) fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// Blocks until `fd` is readable or writable (`events` is `POLLIN` or `POLLOUT`), or
/// until `timeout_ms` passes (-1: no limit). Returns whether it became ready.
pub(crate) fn wait_fd(fd: RawFd, events: libc::c_short, timeout_ms: i32) -> io::Result<bool> {
    let mut pollfd = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    loop {
        // SAFETY: one valid pollfd, and the count says one.
        let ready = unsafe { libc::poll(&mut pollfd, 1, timeout_ms) };
        if ready >= 0 {
            return Ok(ready > 0);
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// Reads from `fd` into the spare capacity of `buf` (at most `max` bytes) and extends
/// `buf` by what was read. The spare capacity is never zero-filled first, so a buffer
/// that is allocated but not yet used costs no resident memory.
pub(crate) fn read_into_spare(fd: RawFd, buf: &mut Vec<u8>, max: usize) -> io::Result<usize> {
    let spare: &mut [MaybeUninit<u8>] = buf.spare_capacity_mut();
    let len = spare.len().min(max);
    // SAFETY: `spare` is valid for writes of `len` bytes; `read` writes at most that.
    let n = unsafe { libc::read(fd, spare.as_mut_ptr().cast(), len) };
    let n = usize::try_from(n).map_err(|_| io::Error::last_os_error())?;
    // SAFETY: `read` initialised the first `n` bytes of the spare capacity.
    unsafe { buf.set_len(buf.len() + n) };
    Ok(n)
}

/// Receives into `buf` without blocking (`WouldBlock` when nothing is there); with
/// `peek`, leaves the bytes queued for the next receive.
pub(crate) fn recv_now(fd: RawFd, buf: &mut [u8], peek: bool) -> io::Result<usize> {
    let flags = libc::MSG_DONTWAIT | if peek { libc::MSG_PEEK } else { 0 };
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes; `recv` writes at most that.
    let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), flags) };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// The value written to stop a loop; plain wake-ups write 1. An eventfd adds what is
/// written, so one read tells a stop (a sum this large) from wake-ups.
#[cfg(any(target_os = "linux", target_os = "android"))]
const STOP: u64 = 1 << 40;

/// A serving loop's wake-up descriptor: an eventfd on Linux, a pipe elsewhere.
///
/// Writing to it is one `write(2)`: async-signal-safe, so a signal handler can stop a
/// loop. A forked child shares it with the server, so a child's exit wakes the server.
#[derive(Debug)]
pub(crate) struct WakeFd {
    read: OwnedFd,
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    write: OwnedFd,
}

impl WakeFd {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(crate) fn new() -> io::Result<Self> {
        // SAFETY: eventfd takes no pointers.
        let fd = check(unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) })?;
        // SAFETY: eventfd returned a new descriptor that nothing else owns.
        let read = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(WakeFd { read })
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub(crate) fn new() -> io::Result<Self> {
        let mut fds: [RawFd; 2] = [-1; 2];
        // SAFETY: `fds` has room for the two descriptors pipe writes.
        check(unsafe { libc::pipe(fds.as_mut_ptr()) })?;
        // SAFETY: pipe succeeded: both descriptors are new and owned by nobody else.
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        for fd in [&read, &write] {
            set_fd_flag(
                fd.as_raw_fd(),
                libc::F_GETFD,
                libc::F_SETFD,
                libc::FD_CLOEXEC,
            )?;
            set_fd_flag(
                fd.as_raw_fd(),
                libc::F_GETFL,
                libc::F_SETFL,
                libc::O_NONBLOCK,
            )?;
        }
        Ok(WakeFd { read, write })
    }

    /// What the poller watches.
    pub(crate) fn poll_fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }

    /// What a wake-up is written to (a signal handler keeps a copy of it).
    pub(crate) fn write_fd(&self) -> RawFd {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        return self.read.as_raw_fd();
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        return self.write.as_raw_fd();
    }

    /// Wakes the loop without asking it to stop.
    pub(crate) fn wake(&self) {
        wake_fd(self.write_fd(), false);
    }

    /// Wakes the loop and asks it to stop.
    pub(crate) fn stop(&self) {
        wake_fd(self.write_fd(), true);
    }

    /// Empties the descriptor (so the next write is a new edge for the poller); returns
    /// whether a stop was written since the last call.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(crate) fn take_stop(&self) -> bool {
        let mut sum = [0u8; 8];
        loop {
            // SAFETY: the buffer is valid for its length; an eventfd read is 8 bytes.
            let n = unsafe { libc::read(self.read.as_raw_fd(), sum.as_mut_ptr().cast(), 8) };
            if n == 8 {
                return u64::from_ne_bytes(sum) >= STOP;
            }
            if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return false; // WouldBlock: nothing written since the last call
        }
    }

    /// Empties the descriptor (so the next write is a new edge for the poller); returns
    /// whether a stop was written since the last call.
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub(crate) fn take_stop(&self) -> bool {
        let mut stop = false;
        let mut buf = [0u8; 64];
        loop {
            // SAFETY: the buffer is valid for its length.
            let n =
                unsafe { libc::read(self.read.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            let Ok(n) = usize::try_from(n) else {
                if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return stop; // WouldBlock: empty
            };
            stop |= buf[..n].contains(&1);
            if n < buf.len() {
                return stop;
            }
        }
    }
}

/// One write to a wake-up descriptor; async-signal-safe (no allocation, no lock, `errno`
/// kept). A full descriptor already wakes the loop, so a failed write loses nothing.
pub(crate) fn wake_fd(fd: RawFd, stop: bool) {
    let saved = errno::errno();
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let value = (if stop { STOP } else { 1 }).to_ne_bytes();
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let value = [u8::from(stop)];
    // SAFETY: the buffer is valid for its length.
    let _ = unsafe { libc::write(fd, value.as_ptr().cast(), value.len()) };
    errno::set_errno(saved);
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn set_fd_flag(fd: RawFd, get: i32, set: i32, flag: i32) -> io::Result<()> {
    // SAFETY: fcntl on a descriptor we own, with integer arguments.
    let flags = check(unsafe { libc::fcntl(fd, get) })?;
    // SAFETY: as above.
    check(unsafe { libc::fcntl(fd, set, flags | flag) })?;
    Ok(())
}

/// A new descriptor for the same open file as `fd`, close-on-exec.
pub(crate) fn dup(fd: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: fcntl with integer arguments.
    let new = check(unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) })?;
    // SAFETY: fcntl returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

/// Fails unless `fd` is an open descriptor.
pub(crate) fn check_open(fd: RawFd) -> io::Result<()> {
    // SAFETY: fcntl with integer arguments.
    check(unsafe { libc::fcntl(fd, libc::F_GETFD) }).map(drop)
}

/// Makes descriptor number `target` refer to what `fd` refers to, atomically: a signal
/// handler writing to `target` meanwhile reaches the old file or the new one, never a
/// closed or reused number.
pub(crate) fn dup_onto(fd: RawFd, target: RawFd) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    // SAFETY: dup3 with integer arguments; `target` is a descriptor the caller owns.
    check(unsafe { libc::dup3(fd, target, libc::O_CLOEXEC) })?;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        // SAFETY: dup2 with integer arguments; `target` is a descriptor the caller owns.
        check(unsafe { libc::dup2(fd, target) })?;
        // SAFETY: fcntl with integer arguments.
        check(unsafe { libc::fcntl(target, libc::F_SETFD, libc::FD_CLOEXEC) })?;
    }
    Ok(())
}

/// Opens `/dev/null` for writing: where a signal slot points while no server uses it.
pub(crate) fn open_dev_null() -> io::Result<OwnedFd> {
    let file = std::fs::OpenOptions::new().write(true).open("/dev/null")?;
    Ok(file.into())
}

/// Whether the TCP connection `fd` has received any byte from its client
/// (`tcpi_bytes_received`, Linux 4.1 on); `None` when the kernel does not say (not TCP,
/// an older kernel, another system). Async-signal-safe: one `getsockopt`.
pub(crate) fn tcp_has_received(fd: RawFd) -> Option<bool> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        // `struct tcp_info` up to `tcpi_bytes_received`, a u64 at offset 128.
        const BYTES_RECEIVED: usize = 128;
        let mut info = [0u64; 17];
        let mut len = std::mem::size_of_val(&info) as libc::socklen_t;
        // SAFETY: `info` and `len` are valid for getsockopt to write `len` bytes into.
        let got = unsafe {
            libc::getsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_INFO,
                info.as_mut_ptr().cast(),
                &mut len,
            )
        };
        if got != 0 || (len as usize) < BYTES_RECEIVED + 8 {
            return None;
        }
        Some(info[BYTES_RECEIVED / 8] > 0)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = fd;
        None
    }
}

/// The type of socket `fd` is, and whether it listens: `(SO_TYPE, SO_ACCEPTCONN,
/// address family)`.
pub(crate) fn socket_shape(fd: RawFd) -> io::Result<(libc::c_int, bool, libc::c_int)> {
    let int_option = |name| -> io::Result<libc::c_int> {
        let mut value: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: `value` and `len` are valid for getsockopt to write an int into.
        check(unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                name,
                (&mut value as *mut libc::c_int).cast(),
                &mut len,
            )
        })?;
        Ok(value)
    };
    let ty = int_option(libc::SO_TYPE)?;
    let listening = int_option(libc::SO_ACCEPTCONN)? != 0;
    // SAFETY: an all-zero sockaddr_storage is a valid value to be overwritten.
    let mut addr: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: `addr` and `len` are valid for getsockname to write into.
    check(unsafe {
        libc::getsockname(
            fd,
            (&mut addr as *mut libc::sockaddr_storage).cast(),
            &mut len,
        )
    })?;
    Ok((ty, listening, libc::c_int::from(addr.ss_family)))
}

/// The current process id.
pub(crate) fn pid() -> u32 {
    std::process::id()
}

/// Accepts one connection on listening socket `fd`, non-blocking and close-on-exec in one
/// call (`accept4`), for the event loop: no `fcntl` per connection.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn accept_nonblocking(
    fd: RawFd,
) -> io::Result<(std::net::TcpStream, std::net::SocketAddr)> {
    // SAFETY: `try_init` hands a zeroed sockaddr_storage and its length, which accept4
    // fills in; the descriptor it returns is new and owned by the TcpStream made below.
    let (new_fd, addr) = unsafe {
        socket2::SockAddr::try_init(|storage, len| {
            check(libc::accept4(
                fd,
                storage.cast(),
                len,
                libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            ))
        })?
    };
    // SAFETY: accept4 returned a new descriptor that nothing else owns.
    let stream = unsafe { std::net::TcpStream::from_raw_fd(new_fd) };
    let addr = addr
        .as_socket()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "accepted a non-IP peer"))?;
    Ok((stream, addr))
}

/// Elsewhere: accept, then make the connection non-blocking.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn accept_nonblocking(
    fd: RawFd,
) -> io::Result<(std::net::TcpStream, std::net::SocketAddr)> {
    use std::mem::ManuallyDrop;
    // SAFETY: the listener is borrowed for one call and never closed here.
    let listener = ManuallyDrop::new(unsafe { std::net::TcpListener::from_raw_fd(fd) });
    let (stream, addr) = listener.accept()?;
    stream.set_nonblocking(true)?;
    Ok((stream, addr))
}

/// Blocks until `a` or `b` is readable (or hung up), or until `timeout` passes (`None`: no
/// limit); returns which were ready. A descriptor of -1 is not watched.
pub(crate) fn wait_either(
    a: RawFd,
    b: RawFd,
    timeout: Option<std::time::Duration>,
) -> io::Result<(bool, bool)> {
    let mut fds = [
        libc::pollfd {
            fd: a,
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: b,
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    let millis = timeout.map_or(-1, |t| i32::try_from(t.as_millis()).unwrap_or(i32::MAX));
    loop {
        // SAFETY: two valid pollfds, and the count says two.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), 2, millis) };
        if ready >= 0 {
            return Ok((fds[0].revents != 0, fds[1].revents != 0));
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// Sends `len` bytes of the file `file` from `offset` to the socket `socket` with
/// `sendfile(2)`: the kernel moves the pages, nothing is copied through user space.
/// Returns how many bytes were sent: fewer than `len` only when the file ended first.
/// A socket timeout is a `WouldBlock` error, as for `write`.
///
/// `std::io::copy` from a `File` to a `TcpStream` does not do this (it avoids
/// `sendfile` because a file changed while its pages sit in the socket buffer could
/// send the new bytes); a file server sends files as they are, so it calls it itself.
#[cfg(all(feature = "http", any(target_os = "linux", target_os = "android")))]
pub(crate) fn sendfile_all(socket: RawFd, file: RawFd, offset: u64, len: u64) -> io::Result<u64> {
    let mut off = libc::off_t::try_from(offset)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "file offset too large"))?;
    let mut sent = 0;
    while sent < len {
        // At most 1 GiB per call: the kernel caps a call at about 2 GiB anyway.
        let count = usize::try_from((len - sent).min(1 << 30)).unwrap_or(1 << 30);
        // SAFETY: both descriptors are open for the call; `off` is a valid pointer.
        let n = unsafe { libc::sendfile(socket, file, &mut off, count) };
        match n {
            0 => break,
            n if n > 0 => sent += n as u64,
            _ => {
                let err = io::Error::last_os_error();
                if err.kind() != io::ErrorKind::Interrupted {
                    return Err(err);
                }
            }
        }
    }
    Ok(sent)
}

/// A moment in local time (the fields of `struct tm`, month 1-12).
#[cfg(feature = "http")]
pub(crate) struct LocalTime {
    pub(crate) year: i32,
    pub(crate) month: u8,
    pub(crate) day: u8,
    pub(crate) hour: u8,
    pub(crate) minute: u8,
    pub(crate) second: u8,
}

/// `secs` since the epoch in local time (`localtime_r`, the zone `TZ` or
/// `/etc/localtime` says); UTC if the C library cannot convert it.
#[cfg(feature = "http")]
pub(crate) fn local_time(secs: u64) -> LocalTime {
    let t = libc::time_t::try_from(secs).unwrap_or(libc::time_t::MAX);
    // SAFETY: `tm` is plain data that localtime_r fills; both pointers are valid.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            libc::gmtime_r(&t, &mut tm);
        }
        tm
    };
    let field = |v: libc::c_int| u8::try_from(v).unwrap_or(0);
    LocalTime {
        year: tm.tm_year + 1900,
        month: field(tm.tm_mon + 1),
        day: field(tm.tm_mday),
        hour: field(tm.tm_hour),
        minute: field(tm.tm_min),
        second: field(tm.tm_sec),
    }
}
