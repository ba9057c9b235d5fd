//! [`HttpEvents`]: HTTP on the event loop. An [`EventHandler`] that cuts the loop's input
//! into requests and answers each with an [`HttpHandler`] (a [`FileServer`](super::FileServer)
//! too), through the same [`HttpRequest`] as the blocking servers: one implementation of
//! heads, bodies, responses, errors and logs.
//!
//! What differs is where the bytes are. A request is handled once its head and whole body
//! have arrived (the body is bounded by [`Limits::max_body`]), so the handler never waits
//! for the client; its response is collected and queued when it returns, and a file body
//! larger than a small one is queued a piece at a time as the socket takes it, so memory
//! does not grow with the file.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::os::unix::fs::FileExt;
use std::sync::{Arc, OnceLock};

use super::body::BodyState;
use super::chunked::ChunkedReader;
use super::connection::{client_gone, refuse_body, serve_request, Failed, Served};
use super::errors::answer_reject;
use super::exchange::{Exchange, FileSink};
use super::head::{read_head, Head, ReadHead};
use super::server::HttpOptions;
use super::{HttpHandler, HttpRequest, Limits};
use crate::event::{Context, EventHandler};
use crate::handler::{file_ended, panic_message};
use crate::{Address, Connection, Error, ServerInfo};

/// A file body up to this size is read into the response (one send with the head); a
/// larger one is queued in pieces of [`FILE_PIECE`].
const SMALL_FILE: u64 = 64 * 1024;
/// How much of a large file is read and queued at a time.
const FILE_PIECE: u64 = 256 * 1024;
/// The largest answer buffer a connection keeps for the next answer: enough for a small
/// page, little for an idle keep-alive connection to hold.
const SPARE_KEPT: usize = 8 * 1024;
/// How far ahead of its answers a client may pipeline requests while a file is sent.
const PIPELINED_AHEAD: usize = 256 * 1024;

/// Serves HTTP on an event-loop server: wrap the [`HttpHandler`] of each connection in
/// it, and `EventLoopTcpServer` is an HTTP server whose every connection is served by one
/// thread, without a thread (and a context switch) per request.
///
/// ```
/// use socketserver::event::EventLoopTcpServer;
/// use socketserver::http::{HttpEvents, HttpRequest};
/// use std::io::{Read, Write};
///
/// let hello = |req: &mut HttpRequest<'_>| {
///     req.send_response(200)?;
///     req.send_header("Content-Length", 6)?;
///     req.end_headers()?;
///     req.wfile().write_all(b"hello\n")
/// };
/// let server = EventLoopTcpServer::builder()
///     .disable_nagle_algorithm(true)
///     .bind("127.0.0.1:0", move || HttpEvents::new(hello))?;
/// let addr = server.local_addr()?;
/// let handle = server.shutdown_handle();
/// let serving = std::thread::spawn(move || server.run());
///
/// let mut client = std::net::TcpStream::connect(addr)?;
/// client.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
/// let mut reply = String::new();
/// client.read_to_string(&mut reply)?;
/// assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"));
/// assert!(reply.ends_with("\r\n\r\nhello\n"));
///
/// handle.shutdown();
/// serving.join().unwrap()?;
/// # Ok::<(), socketserver::Error>(())
/// ```
///
/// The handler runs on the loop's thread and must not block, as every event handler:
/// it gets the whole body in memory ([`HttpRequest::body`] never waits), and what it
/// writes is sent once it returns, so an endless response (an MJPEG stream) belongs on a
/// threading server. [`HttpRequest::connection`] is `None` here (the loop owns its
/// sockets). Turn `TCP_NODELAY` on with the builder's `disable_nagle_algorithm(true)`, as
/// the HTTP servers do by default: a file's pieces would otherwise wait for ACKs.
pub struct HttpEvents<H> {
    handler: H,
    options: Arc<HttpOptions>,
    /// The client and the server, set when the connection opens.
    peer: Option<Peer>,
    /// Input not yet taken by a request.
    input: Vec<u8>,
    /// A request whose head has arrived and whose body has not all.
    waiting: Option<Waiting>,
    /// Answers not queued yet: a large file being sent, and what follows it.
    later: VecDeque<Piece>,
    /// Reused for the next answer's bytes.
    spare: Vec<u8>,
    /// The connection ends once `later` is out.
    close_after: bool,
    /// The client ended its input.
    eof: bool,
}

struct Peer {
    client: Address,
    server: Arc<ServerInfo>,
}

struct Waiting {
    head: Head,
    body: BodyState,
    head_len: usize,
    continued: bool,
    /// How far a chunked body has been scanned for its end.
    scan: ChunkScan,
}

impl<H: HttpHandler> HttpEvents<H> {
    /// Serves each request of the connection with `handler`, with the default
    /// [`Limits`] and `Server` header.
    pub fn new(handler: H) -> Self {
        static DEFAULT: OnceLock<Arc<HttpOptions>> = OnceLock::new();
        let options = Arc::clone(DEFAULT.get_or_init(Arc::default));
        HttpEvents {
            handler,
            options,
            peer: None,
            input: Vec::new(),
            waiting: None,
            later: VecDeque::new(),
            spare: Vec::new(),
            close_after: false,
            eof: false,
        }
    }

    /// The size limits for requests (what `limits` is on an HTTP server's builder).
    pub fn limits(mut self, limits: Limits) -> Self {
        Arc::make_mut(&mut self.options).limits = limits;
        self
    }

    /// The `Server` header (what `server_version` is on an HTTP server's builder).
    pub fn server_version(mut self, version: &str) -> Self {
        Arc::make_mut(&mut self.options).server_version = version.to_owned();
        self
    }

    /// Answers every complete request that has arrived, until one must wait (for its
    /// body, or for a large file before it to be sent) or the connection ends.
    fn advance(&mut self, ctx: &mut Context<'_>) -> io::Result<()> {
        // Lent out for the requests, which borrow it while `self` changes.
        let Some(peer) = self.peer.take() else {
            return Ok(());
        };
        let advanced = self.answer_arrived(ctx, &peer);
        self.peer = Some(peer);
        advanced
    }

    fn answer_arrived(&mut self, ctx: &mut Context<'_>, peer: &Peer) -> io::Result<()> {
        let options = Arc::clone(&self.options);
        while self.later.is_empty() && !self.close_after && !ctx.is_closing() {
            let mut exchange = Queued::new(peer, &[], std::mem::take(&mut self.spare));
            let waiting = match self.waiting.take() {
                Some(waiting) => waiting,
                None => match self.next_head(&mut exchange, &options)? {
                    Some(waiting) => waiting,
                    // Half a head: the rest is still on its way.
                    None if exchange.out.is_empty() => {
                        self.spare = exchange.out.now;
                        return self.end_if_eof(ctx);
                    }
                    // Refused before any handler saw it.
                    None => return self.queue_and_close(ctx, exchange.out),
                },
            };
            let mut waiting = waiting;
            let arrived = &self.input[waiting.head_len..];
            let arrival = waiting.arrival(arrived, &options.limits);
            let Waiting {
                head,
                mut body,
                head_len,
                continued,
                scan,
            } = waiting;
            match arrival {
                Arrival::Whole => {}
                Arrival::Partial if !self.eof => {
                    self.spare = std::mem::take(&mut exchange.out.now);
                    if body.continue_pending && !continued {
                        // The client waits for this before it sends the body.
                        ctx.send(b"HTTP/1.1 100 Continue\r\n\r\n");
                    }
                    self.waiting = Some(Waiting {
                        head,
                        body,
                        head_len,
                        continued: true,
                        scan,
                    });
                    return Ok(());
                }
                // The client ended its input inside the body: nothing to answer.
                Arrival::Partial => return self.end_if_eof(ctx),
                Arrival::TooLarge => {
                    let refusal = (413, "Chunked body over the limit".to_owned());
                    refuse_body(&mut exchange, head, refusal, &options.server_version)?;
                    return self.queue_and_close(ctx, exchange.out);
                }
            }
            // Here already: nobody waits for a 100 any more.
            body.continue_pending = false;
            exchange.input = arrived;
            let request = HttpRequest::new(&mut exchange, head, body, &options.server_version);
            let served = serve_request(&mut self.handler, request);
            let consumed = head_len + (arrived.len() - exchange.input.len());
            let out = exchange.out;
            self.input.drain(..consumed);
            if self.input.is_empty() && self.input.capacity() > SPARE_KEPT {
                self.input = Vec::new(); // a large body's room is not kept while idle
            }
            match served {
                Ok(Served::KeepAlive) => self.queue(ctx, out)?,
                // The loop closes once the answer is out; unread input is dropped with it.
                Ok(Served::Close { .. }) => self.queue_and_close(ctx, out)?,
                // The client has its 500 (when nothing was sent yet), then the connection
                // closes and the failure is reported, as the blocking servers do.
                Err(Failed::Error(err)) => {
                    self.queue_and_close(ctx, out)?;
                    if client_gone(&err) {
                        log::debug!("{}: client went away: {err}", peer.client);
                    } else {
                        ctx.report(&Error::Io(err));
                    }
                    return Ok(());
                }
                Err(Failed::Panic(payload)) => {
                    self.queue_and_close(ctx, out)?;
                    ctx.report(&Error::HandlerPanicked(panic_message(payload.as_ref())));
                    return Ok(());
                }
            }
        }
        // Requests that wait behind a file being sent are read ahead of their answers; past
        // a bound, the client is pushing more than it reads.
        if !self.later.is_empty() && self.input.len() > PIPELINED_AHEAD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the client sent too many requests ahead of the answers",
            ));
        }
        Ok(())
    }

    /// Reads the next request's head from the input: `None` when it has not all arrived,
    /// or when it was refused (the refusal is then in `exchange`'s output).
    fn next_head(
        &self,
        exchange: &mut Queued<'_>,
        options: &HttpOptions,
    ) -> io::Result<Option<Waiting>> {
        if self.input.is_empty() {
            return Ok(None); // nothing to parse (the usual case after an answer went out)
        }
        let mut rest = &self.input[..];
        let head = match read_head(&mut rest, &options.limits)? {
            ReadHead::Request(head) => head,
            ReadHead::Closed => return Ok(None),
            ReadHead::Rejected(reject) => {
                answer_reject(exchange, &reject, &options.server_version);
                return Ok(None);
            }
        };
        let head_len = self.input.len() - rest.len();
        match BodyState::framing(&head, &options.limits) {
            Ok(body) => Ok(Some(Waiting {
                head,
                body,
                head_len,
                continued: false,
                scan: ChunkScan::default(),
            })),
            Err(refusal) => {
                refuse_body(exchange, head, refusal, &options.server_version)?;
                Ok(None)
            }
        }
    }

    /// Queues a request's answer: its bytes now, a large file's pieces as the socket
    /// takes them.
    fn queue(&mut self, ctx: &mut Context<'_>, out: Output) -> io::Result<()> {
        let Output { mut now, later } = out;
        ctx.send(&now);
        // Kept for the next answer (a small one allocates nothing), unless it grew large.
        if now.capacity() <= SPARE_KEPT {
            now.clear();
            self.spare = now;
        }
        self.later.extend(later);
        self.send_later(ctx)
    }

    fn queue_and_close(&mut self, ctx: &mut Context<'_>, out: Output) -> io::Result<()> {
        self.close_after = true;
        self.queue(ctx, out)
    }

    /// Queues what waits in `later`, a piece of a file at a time, each once the socket
    /// has taken the last; closes when all is out and the connection is to end.
    fn send_later(&mut self, ctx: &mut Context<'_>) -> io::Result<()> {
        while let Some(piece) = self.later.front_mut() {
            match piece {
                Piece::Bytes(bytes) => ctx.send(bytes),
                Piece::File { file, offset, left } => {
                    if ctx.queued_len() > 0 {
                        return Ok(()); // on_drained comes back
                    }
                    let n = (*left).min(FILE_PIECE) as usize;
                    let at = *offset;
                    ctx.send_filled(n, |buf| file.read_exact_at(buf, at))
                        .map_err(|err| read_failed(err, *left))?;
                    *offset += n as u64;
                    *left -= n as u64;
                    if *left > 0 {
                        return Ok(());
                    }
                }
            }
            self.later.pop_front();
        }
        if self.close_after {
            ctx.close();
        }
        Ok(())
    }

    /// At end of input with no complete request left: the connection is done.
    fn end_if_eof(&mut self, ctx: &mut Context<'_>) -> io::Result<()> {
        if self.eof {
            self.close_after = true;
            ctx.close();
        }
        Ok(())
    }
}

impl<H: HttpHandler> EventHandler for HttpEvents<H> {
    fn on_connect(&mut self, ctx: &mut Context<'_>) -> io::Result<()> {
        self.peer = Some(Peer {
            client: Address::Inet(ctx.peer_addr()),
            server: Arc::clone(ctx.server()),
        });
        Ok(())
    }

    fn on_data(&mut self, ctx: &mut Context<'_>, data: &[u8]) -> io::Result<()> {
        self.input.extend_from_slice(data);
        self.advance(ctx)
    }

    fn on_eof(&mut self, ctx: &mut Context<'_>) -> io::Result<()> {
        self.eof = true;
        self.advance(ctx)?;
        if self.later.is_empty() && self.waiting.is_none() {
            self.end_if_eof(ctx)?;
        }
        Ok(())
    }

    fn on_drained(&mut self, ctx: &mut Context<'_>) -> io::Result<()> {
        self.send_later(ctx)?;
        self.advance(ctx)
    }
}

impl<H> std::fmt::Debug for HttpEvents<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpEvents")
            .field("input", &self.input.len())
            .field("waiting", &self.waiting.is_some())
            .field("later", &self.later.len())
            .finish_non_exhaustive()
    }
}

/// How much of a request's body is in.
enum Arrival {
    Whole,
    Partial,
    /// A chunked body whose encoding outgrew any body within the limit.
    TooLarge,
}

impl Waiting {
    /// Whether the body is all in `arrived` (the input after the head).
    fn arrival(&mut self, arrived: &[u8], limits: &Limits) -> Arrival {
        if self.body.chunked.is_none() {
            return if arrived.len() as u64 >= self.body.remaining {
                Arrival::Whole
            } else {
                Arrival::Partial
            };
        }
        match self.scan.advance(arrived, limits.max_body) {
            Some(true) => Arrival::Whole,
            Some(false) => {
                // Chunk sizes and extensions cost bytes too, but not without bound.
                let most = limits.max_body.saturating_mul(2).saturating_add(64 * 1024);
                if arrived.len() as u64 > most {
                    Arrival::TooLarge
                } else {
                    Arrival::Partial
                }
            }
            // A malformed or oversized body fails the handler's read, which answers it.
            None => Arrival::Whole,
        }
    }
}

/// A chunked body decoded as it arrives, to find where it ends; the handler decodes it
/// again as it reads. Each byte is scanned once, however small the pieces it comes in
/// (scanning from the start each time would let a client cost the server time that
/// grows with the square of the body).
#[derive(Default)]
struct ChunkScan {
    decoder: Option<ChunkedReader<()>>,
    scanned: usize,
}

impl ChunkScan {
    /// Scans what arrived since the last call: `Some(true)` at the end of the body,
    /// `Some(false)` when more must come, `None` when it is malformed or over `max_body`.
    fn advance(&mut self, arrived: &[u8], max_body: u64) -> Option<bool> {
        let decoder = self
            .decoder
            .take()
            .unwrap_or_else(|| ChunkedReader::new((), max_body));
        let mut new = Arrived(&arrived[self.scanned..]);
        let before = new.0.len();
        let (mut reader, ()) = decoder.swap_inner(&mut new);
        let scanned = io::copy(&mut reader, &mut io::sink());
        self.decoder = Some(reader.swap_inner(()).0);
        self.scanned += before - new.0.len();
        match scanned {
            Ok(_) => Some(true),
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => Some(false),
            Err(_) => None,
        }
    }
}

/// The part of a body that has arrived: at its end a read would block (more may come)
/// rather than end, so the chunked decoder stops there and resumes with the next piece.
struct Arrived<'a>(&'a [u8]);

impl Read for Arrived<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = io::BufRead::fill_buf(self)?.len().min(buf.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

impl io::BufRead for Arrived<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.0.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        Ok(self.0)
    }

    fn consume(&mut self, n: usize) {
        self.0 = &self.0[n..];
    }
}

/// A read of the file's last `left` bytes failed: an end of file means it shrank.
fn read_failed(err: io::Error, left: u64) -> io::Error {
    if err.kind() == io::ErrorKind::UnexpectedEof {
        file_ended(left)
    } else {
        err
    }
}

/// One request's side of the connection: its body's bytes in, its answer out.
struct Queued<'a> {
    peer: &'a Peer,
    input: &'a [u8],
    out: Output,
}

impl<'a> Queued<'a> {
    fn new(peer: &'a Peer, input: &'a [u8], buffer: Vec<u8>) -> Self {
        Queued {
            peer,
            input,
            out: Output {
                now: buffer,
                later: VecDeque::new(),
            },
        }
    }
}

impl Exchange for Queued<'_> {
    fn client_address(&self) -> &Address {
        &self.peer.client
    }

    fn server(&self) -> &ServerInfo {
        &self.peer.server
    }

    fn connection(&self) -> Option<&Connection> {
        None
    }

    fn rfile(&mut self) -> &mut dyn io::BufRead {
        &mut self.input
    }

    fn wfile(&mut self) -> &mut dyn FileSink {
        &mut self.out
    }
}

/// A response as it is written: the bytes that can be queued at once, then, from the
/// first large file on, what must wait for the socket.
struct Output {
    now: Vec<u8>,
    later: VecDeque<Piece>,
}

impl Output {
    fn is_empty(&self) -> bool {
        self.now.is_empty() && self.later.is_empty()
    }
}

enum Piece {
    Bytes(Vec<u8>),
    File { file: File, offset: u64, left: u64 },
}

impl Write for Output {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match self.later.back_mut() {
            None => self.now.extend_from_slice(data),
            Some(Piece::Bytes(bytes)) => bytes.extend_from_slice(data),
            Some(Piece::File { .. }) => self.later.push_back(Piece::Bytes(data.to_vec())),
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl FileSink for Output {
    fn send_file(&mut self, file: &File, len: u64) -> io::Result<()> {
        if len <= SMALL_FILE && self.later.is_empty() {
            // The length is known: one read, not a second one to see the end.
            let start = self.now.len();
            self.now.resize(start + len as usize, 0);
            let mut reader = file;
            if let Err(err) = reader.read_exact(&mut self.now[start..]) {
                self.now.truncate(start);
                return Err(read_failed(err, len));
            }
            return Ok(());
        }
        let mut position = file;
        let offset = position.stream_position()?;
        self.later.push_back(Piece::File {
            file: file.try_clone()?,
            offset,
            left: len,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\nGET /next";

    #[test]
    fn a_chunked_body_arriving_a_byte_at_a_time_is_scanned_once() {
        let end = BODY.len() - b"GET /next".len();
        let mut scan = ChunkScan::default();
        for len in 1..end {
            assert_eq!(scan.advance(&BODY[..len], 1 << 20), Some(false), "at {len}");
            // Only the new byte was looked at: nothing is scanned twice.
            assert_eq!(scan.scanned, len);
        }
        assert_eq!(scan.advance(&BODY[..end], 1 << 20), Some(true));
        assert_eq!(
            scan.scanned, end,
            "the next request is not part of the body"
        );
    }

    #[test]
    fn a_malformed_or_oversized_chunked_body_is_left_to_the_handler() {
        assert_eq!(ChunkScan::default().advance(b"zz\r\n", 1 << 20), None);
        assert_eq!(ChunkScan::default().advance(b"10\r\n", 4), None);
    }
}
