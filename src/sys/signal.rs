//! Signal dispositions and queued signals (Unix): installing a handler, sending a signal
//! with a value, reading that value in the handler.

use std::io;

use super::unix::check;

/// A signal handler: the address `sigaction` takes.
pub(crate) type SignalHandler = extern "C" fn(libc::c_int);

/// A signal handler that reads what came with the signal (`SA_SIGINFO`).
pub(crate) type SignalAction = extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void);

/// Installs `handler` for `signal` (with `SA_RESTART`: an interrupted read or write goes
/// on).
pub(crate) fn set_signal_handler(signal: libc::c_int, handler: SignalHandler) -> io::Result<()> {
    install_signal_handler(signal, handler as libc::sighandler_t, 0)
}

/// Installs `action` for `signal`, with `SA_SIGINFO` and `SA_RESTART`.
pub(crate) fn set_signal_action(signal: libc::c_int, action: SignalAction) -> io::Result<()> {
    install_signal_handler(signal, action as libc::sighandler_t, libc::SA_SIGINFO)
}

fn install_signal_handler(
    signal: libc::c_int,
    address: libc::sighandler_t,
    flags: libc::c_int,
) -> io::Result<()> {
    // SAFETY: `action` is fully initialised before sigaction reads it, and `address` is
    // a function of the type the flags tell the kernel to call (the two public wrappers
    // above pair them).
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = address;
        action.sa_flags = libc::SA_RESTART | flags;
        libc::sigemptyset(&mut action.sa_mask);
        check(libc::sigaction(signal, &action, std::ptr::null_mut()))?;
    }
    Ok(())
}

/// Sends `signal` to `pid` with `value` attached (`sigqueue`; the handler sees
/// `SI_QUEUE` and the value). Linux and Android only.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn queue_signal(pid: libc::pid_t, signal: libc::c_int, value: usize) -> io::Result<()> {
    let value = libc::sigval {
        sival_ptr: value as *mut libc::c_void,
    };
    // SAFETY: sigqueue has no memory-safety preconditions; the value is only a number.
    check(unsafe { libc::sigqueue(pid, signal, value) }).map(drop)
}

/// The value `queue_signal` attached to the signal `info` describes; `None` for a signal
/// sent any other way (`kill`, the terminal, the kernel). Async-signal-safe.
///
/// # Safety
///
/// `info` is null or the `siginfo_t` the kernel passed to an `SA_SIGINFO` handler.
pub(crate) unsafe fn queued_value(info: *const libc::siginfo_t) -> Option<usize> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    // SAFETY: the caller passes the kernel's siginfo (or null); `si_value` is the field
    // SI_QUEUE signals fill.
    unsafe {
        if !info.is_null() && (*info).si_code == libc::SI_QUEUE {
            return Some((*info).si_value().sival_ptr as usize);
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = info;
    None
}
