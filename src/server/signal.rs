//! Stopping servers on SIGINT and SIGTERM without a thread and without polling: Python's
//! `except KeyboardInterrupt`, made safe for every mode, `Forking` included.
//!
//! The signal handler does one thing per registered server: one `write` to that server's
//! wake-up descriptor, the value that means "stop". The serving loop, asleep on that
//! descriptor, wakes and stops as if `shutdown` had been called.
//!
//! The handler can run at any moment on any thread, so it may only read atomics and call
//! `write`. It finds the descriptors in a fixed table of slots. A slot's descriptor number
//! never closes: registering points it at a server's wake-up descriptor (`dup3` onto the
//! slot's number, atomically) and unregistering points it at `/dev/null`, so a handler
//! running meanwhile writes to one or the other, never to a closed or reused number.

use std::io;
use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use super::shutdown::ShutdownState;
use crate::sys;

/// Servers that can be stopped by signals at once in one process.
const SLOTS: usize = 64;

/// Each slot's descriptor number (-1 until first used), read by the handler.
static SLOT_FDS: [AtomicI32; SLOTS] = [const { AtomicI32::new(-1) }; SLOTS];

/// Which slots a server holds now; only registration takes this lock, never the handler.
static IN_USE: Mutex<[bool; SLOTS]> = Mutex::new([false; SLOTS]);

/// The signals installed, once per process.
static INSTALLED: OnceLock<io::Result<()>> = OnceLock::new();

/// `/dev/null`, where a free slot points.
static DEV_NULL: OnceLock<OwnedFd> = OnceLock::new();

/// The handler: one write of "stop" to every slot. Free slots point at `/dev/null`.
extern "C" fn stop_servers(_signal: libc::c_int) {
    for slot in &SLOT_FDS {
        let fd = slot.load(Ordering::Acquire);
        if fd >= 0 {
            sys::wake_fd(fd, true);
        }
    }
}

/// A server's place in the table; dropping it stops signals from reaching that server.
#[derive(Debug)]
pub(crate) struct SignalRegistration {
    slot: usize,
}

/// From now on SIGINT and SIGTERM stop the server whose shutdown state this is.
pub(crate) fn stop_on_signals(state: &ShutdownState) -> io::Result<SignalRegistration> {
    let installed = INSTALLED.get_or_init(|| {
        for signal in [libc::SIGINT, libc::SIGTERM] {
            sys::set_signal_handler(signal, stop_servers)?;
        }
        Ok(())
    });
    if let Err(err) = installed {
        return Err(io::Error::new(err.kind(), err.to_string()));
    }
    let mut in_use = IN_USE.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(slot) = in_use.iter().position(|used| !used) else {
        return Err(io::Error::other(format!(
            "more than {SLOTS} servers stop on signals in this process"
        )));
    };
    let wake = state.wake_fd().write_fd();
    let current = SLOT_FDS[slot].load(Ordering::Acquire);
    if current < 0 {
        // A new number of its own; never closed from now on.
        let fd: RawFd = sys::dup(wake)?.into_raw_fd();
        SLOT_FDS[slot].store(fd, Ordering::Release);
    } else {
        sys::dup_onto(wake, current)?;
    }
    in_use[slot] = true;
    Ok(SignalRegistration { slot })
}

impl Drop for SignalRegistration {
    fn drop(&mut self) {
        let mut in_use = IN_USE.lock().unwrap_or_else(PoisonError::into_inner);
        let fd = SLOT_FDS[self.slot].load(Ordering::Acquire);
        let null = match DEV_NULL.get() {
            Some(null) => null,
            None => match sys::open_dev_null() {
                Ok(null) => DEV_NULL.get_or_init(|| null),
                Err(err) => {
                    // The slot keeps pointing at the server's descriptor: keep it reserved,
                    // so no other server shares it.
                    log::error!(
                        "cannot open /dev/null to free signal slot {}: {err}",
                        self.slot
                    );
                    return;
                }
            },
        };
        if let Err(err) = sys::dup_onto(null.as_raw_fd(), fd) {
            log::error!("cannot free signal slot {}: {err}", self.slot);
            return;
        }
        in_use[self.slot] = false;
    }
}
