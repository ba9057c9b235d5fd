//! The process's own facts: its id, and the local time its time zone gives (for the
//! HTTP access log).

/// The current process id.
pub(crate) fn pid() -> u32 {
    std::process::id()
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
