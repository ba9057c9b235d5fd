//! The loop's side of TLS: giving a connection its session, feeding it what the socket
//! read, and handing the decrypted input to the handler.

use super::super::config::READ_BUFFER;
use super::super::event_loop::{invoke, Loop};
use super::super::table::Table;
use super::super::EventHandler;
use super::EventTls;

impl<H: EventHandler> Loop<H> {
    /// Gives a new connection its TLS session, when the server has a configuration; the
    /// handshake has `deadline` to finish. Returns false when the session could not start
    /// (reported, and the connection closed).
    pub(in crate::event) fn start_tls(&mut self, key: usize) -> bool {
        let Some(config) = &self.shared.context.options.tls else {
            return true;
        };
        let now = self.table.now;
        match EventTls::new(config, now) {
            Ok(tls) => {
                self.note_setup_deadline(now + config.timeout());
                self.table.conns[key].tls = Some(Box::new(tls));
                true
            }
            Err(err) => {
                self.table.fail(key, err);
                false
            }
        }
    }

    /// Takes bytes `start..n` of the read buffer through `key`'s TLS session:
    /// the handshake, then `on_connect`, then the plaintext to `on_data`, and the client's
    /// close_notify to `on_eof`.
    pub(in crate::event) fn receive_tls(&mut self, key: usize, start: usize, n: usize) {
        let Loop {
            table,
            handlers,
            read_buf,
            tls: loop_tls,
            ..
        } = self;
        if loop_tls.plain_buf.is_empty() {
            loop_tls.plain_buf = vec![0; READ_BUFFER];
        }
        let plain_buf = &mut loop_tls.plain_buf;
        let mut data = &read_buf[start..n];
        while !data.is_empty() {
            let Table {
                conns,
                pending,
                shared,
                ..
            } = table;
            let conn = &mut conns[key];
            let Some(tls) = conn.tls.as_mut() else {
                return;
            };
            let before = conn.out.len();
            let received = tls.receive(&mut data, &mut conn.out);
            pending.queued(shared, conn, key, before);
            let established = match received {
                Ok(established) => established,
                Err(err) => {
                    // The alert is worth a try: it tells the client what went wrong.
                    let _ = conn.out.write_to(&mut conn.socket);
                    table.fail(key, err);
                    return;
                }
            };
            let Some(handler) = handlers[key].as_mut() else {
                return;
            };
            if established {
                invoke(table, key, handler, |h, ctx| h.on_connect(ctx));
            }
            // Everything decrypted goes to the handler before more is taken.
            loop {
                let conn = &mut table.conns[key];
                if conn.flags.dead || conn.flags.closing || conn.flags.read_closed {
                    return;
                }
                let Some(tls) = conn.tls.as_mut() else {
                    return;
                };
                match tls.plaintext(plain_buf) {
                    Some(0) => break,
                    Some(m) => invoke(table, key, handler, |h, ctx| {
                        h.on_data(ctx, &plain_buf[..m])
                    }),
                    None => {
                        conn.flags.read_closed = true;
                        invoke(table, key, handler, |h, ctx| h.on_eof(ctx));
                        return;
                    }
                }
            }
        }
    }
}
