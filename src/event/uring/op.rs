//! What a completion is for: every operation's `user_data` packs its kind, the
//! connection's table key and the low bits of its serial, so a completion for a
//! connection that has since closed (its slot maybe reused) is told apart.

/// What an operation was, in the top bits of its `user_data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Recv = 0,
    Send = 1,
    Cancel = 2,
    /// The multishot poll of mio's epoll descriptor.
    Mio = 3,
}

pub(super) fn user_data(op: Op, key: usize, tag: u32) -> u64 {
    ((op as u64) << 62) | (((key as u64) & 0x3FFF_FFFF) << 32) | u64::from(tag)
}

pub(super) fn decode(user_data: u64) -> (Op, usize, u32) {
    let op = match user_data >> 62 {
        0 => Op::Recv,
        1 => Op::Send,
        2 => Op::Cancel,
        _ => Op::Mio,
    };
    (
        op,
        ((user_data >> 32) & 0x3FFF_FFFF) as usize,
        user_data as u32,
    )
}
