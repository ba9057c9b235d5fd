//! The PROXY header in the event loop: the bytes a connection sends first are gathered
//! (without blocking) until they make a whole header; its source becomes the connection's
//! peer, `verify_request` runs on it, then TLS starts (when configured) or `on_connect`
//! runs, and the bytes after the header go on as the connection's first data.

use super::connection::ProxyState;
use super::event_loop::Loop;
use super::EventHandler;
use crate::proxy::{parse, Parsed};
use crate::{Address, Error};

impl<H: EventHandler> Loop<H> {
    /// Whether the server expects PROXY headers; then a new connection from `peer` is
    /// checked against the trusted sources (false: reported, to be closed).
    pub(super) fn proxy_admits(&self, peer: std::net::SocketAddr) -> bool {
        let Some(config) = &self.shared.context.options.proxy else {
            return true;
        };
        if config.trusts(peer.ip()) {
            return true;
        }
        let err = Error::Proxy(format!("{peer} is not a trusted PROXY protocol source"));
        self.table.shared.report(peer, &err);
        false
    }

    /// Gives a new connection its PROXY state when the server expects headers.
    pub(super) fn start_proxy(&mut self, key: usize) {
        let Some(config) = &self.shared.context.options.proxy else {
            return;
        };
        let deadline = self.table.now + config.timeout();
        self.note_setup_deadline(deadline);
        self.table.conns[key].proxy = Some(Box::new(ProxyState::new(deadline)));
    }

    /// Takes the `n` bytes in the read buffer while `key`'s header is incomplete. Returns
    /// where the data after the header starts in the read buffer, once the header is
    /// whole and the connection admitted; `None` while more is needed or when the
    /// connection was closed (a bad header, a refused client).
    pub(super) fn receive_preamble(&mut self, key: usize, n: usize) -> Option<usize> {
        let conn = &mut self.table.conns[key];
        let state = conn.proxy.as_mut()?;
        let peer = Address::Inet(conn.peer);
        // Usually the whole header is in the first read: parsed where it lies.
        let held = state.buf.len();
        let parsed = if held == 0 {
            parse(&self.read_buf[..n], &peer)
        } else {
            state.buf.extend_from_slice(&self.read_buf[..n]);
            parse(&state.buf, &peer)
        };
        let (len, header) = match parsed {
            Parsed::Incomplete => {
                if held == 0 {
                    state.buf.extend_from_slice(&self.read_buf[..n]);
                }
                return None;
            }
            Parsed::Invalid(why) => {
                self.table.fail(key, Error::Proxy(why));
                return None;
            }
            Parsed::Header { len, header } => (len, header),
        };
        if let Some(source) = header.source {
            conn.peer = source;
        }
        state.buf = Vec::new();
        state.deadline = None;
        state.header = Some(header);
        let peer = conn.peer;
        if !self.table.shared.verify(peer) {
            log::debug!("verify_request refused {peer}");
            self.table.doom(key);
            return None;
        }
        #[cfg(feature = "tls")]
        if !self.start_tls(key) {
            return None;
        }
        if self.table.conns[key].is_established() {
            self.call(key, |handler, ctx| handler.on_connect(ctx));
        }
        Some(len - held)
    }
}
