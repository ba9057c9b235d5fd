//! A reply far larger than the output limit, queued piece by piece from `on_drained`,
//! arrives whole and in order, and other clients are served while it streams.

mod support;

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::sync::Arc;

use socketserver::event::{Context, EventHandler, EventLoopTcpServer};
use support::{connect, round_trip, Serving};

const PIECE: usize = 16 * 1024;

/// `get N\n` answers N pattern bytes, then closes; any other line is echoed.
#[derive(Default)]
struct Download {
    sent: usize,
    size: usize,
}

impl Download {
    fn next_piece(&mut self, ctx: &mut Context<'_>) {
        if self.sent == self.size {
            ctx.close();
            return;
        }
        let len = PIECE.min(self.size - self.sent);
        let piece: Vec<u8> = (self.sent..self.sent + len)
            .map(|n| (n % 251) as u8)
            .collect();
        self.sent += len;
        ctx.send(&piece);
    }
}

impl EventHandler for Download {
    fn on_line(&mut self, ctx: &mut Context<'_>, line: &[u8]) -> io::Result<()> {
        match line.strip_prefix(b"get ") {
            Some(size) => {
                let size = std::str::from_utf8(size.trim_ascii()).map_err(io::Error::other)?;
                self.size = size.parse().map_err(io::Error::other)?;
                self.next_piece(ctx);
            }
            None => ctx.send(line),
        }
        Ok(())
    }

    fn on_drained(&mut self, ctx: &mut Context<'_>) -> io::Result<()> {
        if self.size > 0 {
            self.next_piece(ctx);
        }
        Ok(())
    }
}

#[test]
fn a_reply_streamed_from_on_drained_arrives_whole_while_others_are_served() {
    const SIZE: usize = 32 << 20;
    let server = Arc::new(
        EventLoopTcpServer::builder()
            .output_limit(64 * 1024)
            .bind("127.0.0.1:0", Download::default)
            .unwrap(),
    );
    let addr = server.local_addr().unwrap();
    let serving = {
        let server = Arc::clone(&server);
        Serving::start(server.shutdown_handle(), move || server.serve_forever())
    };

    let mut downloader = connect(addr);
    downloader
        .write_all(format!("get {SIZE}\n").as_bytes())
        .unwrap();
    downloader.shutdown(Shutdown::Write).unwrap(); // the reply still comes in full
    let mut first = vec![0; 1 << 20];
    downloader.read_exact(&mut first).unwrap();

    // The download is under way; another client is not made to wait for it.
    let mut other = connect(addr);
    assert_eq!(round_trip(&mut other, "meanwhile\n"), "meanwhile\n");

    let mut rest = Vec::new();
    downloader.read_to_end(&mut rest).unwrap(); // ends: the server closes after the last piece
    first.extend_from_slice(&rest);
    assert_eq!(first.len(), SIZE);
    assert!(first.iter().enumerate().all(|(n, &b)| b == (n % 251) as u8));
    assert!(server.stats().peak_queued_output <= PIECE);
    serving.stop().unwrap();
}
