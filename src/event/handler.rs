//! [`EventHandler`]: the callbacks an event-loop server calls on a connection.

use std::io;

use super::Context;

/// What a connection does when something happens to it: one value per connection, made by
/// the server's factory, so the value's fields are that connection's state.
///
/// Callbacks run on the serving thread and must not block: they get the bytes that
/// arrived, queue replies with [`Context::send`], and return. Implement
/// [`on_line`](Self::on_line) for a line protocol, or [`on_data`](Self::on_data) to see
/// the raw bytes. An `Err` or a panic from any callback is reported through the server's
/// `handle_error` and closes that connection only.
///
/// The order for a connection is `on_connect`, then `on_data` (or `on_line`) as input
/// arrives, `on_eof` when the client ends its input, and `on_close` once, last.
/// `on_drained` comes whenever queued output has all been written.
///
/// A closure `FnMut(&mut Context, &[u8]) -> io::Result<()>` is a handler too: it is
/// `on_data`.
pub trait EventHandler: Send + 'static {
    /// A client connected. Does nothing by default.
    fn on_connect(&mut self, ctx: &mut Context<'_>) -> io::Result<()> {
        let _ = ctx;
        Ok(())
    }

    /// Bytes arrived: as many as one read returned, which may be part of a message or
    /// several messages. `data` is only valid during the call (the server reads every
    /// connection into one shared buffer).
    ///
    /// By default cuts the bytes into lines and calls [`on_line`](Self::on_line) for each
    /// complete one. A line longer than the server's `max_line_length` is an error of kind
    /// `InvalidData`, which closes the connection.
    fn on_data(&mut self, ctx: &mut Context<'_>, data: &[u8]) -> io::Result<()> {
        let mut lines = ctx.take_lines();
        let max_line_length = ctx.max_line_length();
        let fed = lines.feed(data, max_line_length, |line| {
            // Lines after a `close` are not for this handler any more.
            if ctx.is_closing() {
                Ok(())
            } else {
                self.on_line(ctx, line)
            }
        });
        ctx.restore_lines(lines);
        fed
    }

    /// A complete line arrived, with its `\n` (and `\r` if the client sent one), as
    /// Python's `readline` gives it. Called by the default [`on_data`](Self::on_data);
    /// does nothing by default.
    fn on_line(&mut self, ctx: &mut Context<'_>, line: &[u8]) -> io::Result<()> {
        let _ = (ctx, line);
        Ok(())
    }

    /// The client closed its side (end-of-file). Output still queued, and anything sent
    /// from here or from `on_drained`, is written, then the connection closes.
    ///
    /// By default passes an unfinished last line (without `\n`) to
    /// [`on_line`](Self::on_line).
    fn on_eof(&mut self, ctx: &mut Context<'_>) -> io::Result<()> {
        match ctx.take_lines().take_rest() {
            Some(last) if !ctx.is_closing() => self.on_line(ctx, &last),
            _ => Ok(()),
        }
    }

    /// Everything queued has been written to the socket: a good moment to queue the next
    /// piece of a large reply. Does nothing by default.
    ///
    /// A handler that sends from here again and again is called at most once per turn of
    /// the loop, so other connections get their turn in between.
    fn on_drained(&mut self, ctx: &mut Context<'_>) -> io::Result<()> {
        let _ = ctx;
        Ok(())
    }

    /// The connection is closed (by either side, by an error, by the idle timeout, or
    /// because the server is dropped). Sends to this connection are dropped; other
    /// connections can still be reached (a chat's "X left"). Does nothing by default.
    fn on_close(&mut self, ctx: &mut Context<'_>) {
        let _ = ctx;
    }
}

impl<F> EventHandler for F
where
    F: FnMut(&mut Context<'_>, &[u8]) -> io::Result<()> + Send + 'static,
{
    fn on_data(&mut self, ctx: &mut Context<'_>, data: &[u8]) -> io::Result<()> {
        self(ctx, data)
    }
}
