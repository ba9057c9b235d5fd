//! The PROXY protocol on every stream server (the iterative server, `Threading`, `Pool`,
//! the event loop, HTTP): v1 and v2 headers give the handler, `verify_request` and
//! `handle_error` the real client's address; a v2 `LOCAL` header keeps the socket's;
//! TLVs reach the handler; a header split over many writes works; and a connection without
//! a header, with garbage, a truncated or late header, bogus v2 lengths or from an
//! untrusted source is closed without running the handler, reported, and holds up nobody.
//! (The forking server has a binary of its own: `forking_proxy_protocol`.)

mod support;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use socketserver::event::{Context, EventHandler, EventLoopTcpServer};
use socketserver::proxy::ProxyProtocol;
use socketserver::server::Tcp;
use socketserver::{
    Address, Error, HandlerFactory, Mode, PoolTcpServer, Serve, Server, ServerBuilder,
    StreamRequest, TcpServer, ThreadingTcpServer,
};
use support::proxy::{v1, v2, v2_local};
use support::{connect, Serving, IO_TIMEOUT};

/// Who the balancer says the client is.
const CLIENT: &str = "192.0.2.7:40000";
/// A client `verify_request` refuses.
const REFUSED: &str = "192.0.2.66:40000";

fn client() -> SocketAddr {
    CLIENT.parse().unwrap()
}

/// What the servers' hooks saw: the errors reported, the addresses verified.
#[derive(Default)]
struct Seen {
    errors: Mutex<Vec<(Address, String)>>,
    verified: Mutex<Vec<Address>>,
}

impl Seen {
    fn errors(&self) -> Vec<(Address, String)> {
        self.errors.lock().unwrap().clone()
    }

    /// Waits until an error containing `what` was reported; returns its address.
    fn reported(&self, what: &str) -> Address {
        let mut found = None;
        assert!(
            support::wait_until(IO_TIMEOUT, || {
                found = self
                    .errors()
                    .into_iter()
                    .find(|(_, err)| err.contains(what))
                    .map(|(addr, _)| addr);
                found.is_some()
            }),
            "no error with {what:?}: {:?}",
            self.errors()
        );
        found.unwrap()
    }
}

/// Greets with the client address, the authority TLV and the header version, then
/// echoes lines.
fn greet(req: &mut StreamRequest) -> io::Result<()> {
    let header = req.proxy_header().expect("a PROXY header").clone();
    writeln!(
        req.wfile,
        "hello {} {} v{}",
        req.client_address,
        header.authority().unwrap_or("-"),
        header.version
    )?;
    req.wfile.flush()?;
    let mut line = Vec::new();
    while req.rfile.read_until(b'\n', &mut line)? > 0 {
        req.wfile.write_all(&line)?;
        req.wfile.flush()?;
        line.clear();
    }
    Ok(())
}

type Greet = fn(&mut StreamRequest) -> io::Result<()>;

struct Factory(Arc<Seen>);

impl HandlerFactory for Factory {
    type Handler = Greet;

    fn make_handler(&self) -> Greet {
        greet
    }

    fn verify_request(&self, client: &Address) -> bool {
        self.0.verified.lock().unwrap().push(client.clone());
        client.to_string() != REFUSED
    }

    fn handle_error(&self, client: &Address, err: &Error) {
        let entry = (client.clone(), err.to_string());
        self.0.errors.lock().unwrap().push(entry);
    }
}

/// The event loop's twin of `greet`.
struct EventGreet;

impl EventHandler for EventGreet {
    fn on_connect(&mut self, ctx: &mut Context<'_>) -> io::Result<()> {
        let header = ctx.proxy_header().expect("a PROXY header").clone();
        let greeting = format!(
            "hello {} {} v{}\n",
            ctx.peer_addr(),
            header.authority().unwrap_or("-"),
            header.version
        );
        ctx.send(greeting.as_bytes());
        Ok(())
    }

    fn on_data(&mut self, ctx: &mut Context<'_>, data: &[u8]) -> io::Result<()> {
        ctx.send(data);
        Ok(())
    }
}

struct EventFactory(Arc<Seen>);

impl HandlerFactory for EventFactory {
    type Handler = EventGreet;

    fn make_handler(&self) -> EventGreet {
        EventGreet
    }

    fn verify_request(&self, client: &Address) -> bool {
        self.0.verified.lock().unwrap().push(client.clone());
        client.to_string() != REFUSED
    }

    fn handle_error(&self, client: &Address, err: &Error) {
        let entry = (client.clone(), err.to_string());
        self.0.errors.lock().unwrap().push(entry);
    }
}

fn config() -> ProxyProtocol {
    ProxyProtocol::new().header_timeout(Duration::from_millis(300))
}

fn serve_blocking<M>(
    builder: ServerBuilder<Tcp, M, Greet>,
    proxy: ProxyProtocol,
) -> (SocketAddr, Arc<Seen>, Serving)
where
    M: socketserver::server::Serves<Tcp, Greet> + Mode,
    Server<Tcp, M, Greet>: Serve<Addr = SocketAddr> + 'static,
{
    let seen = Arc::new(Seen::default());
    let server = builder
        .proxy_protocol(proxy)
        .bind("127.0.0.1:0", Factory(Arc::clone(&seen)))
        .unwrap();
    let addr = Serve::local_addr(&server).unwrap();
    let handle = Serve::shutdown_handle(&server);
    (
        addr,
        seen,
        Serving::start(handle, move || Serve::run(server)),
    )
}

fn serve_event_loop(proxy: ProxyProtocol) -> (SocketAddr, Arc<Seen>, Serving) {
    let seen = Arc::new(Seen::default());
    let server = EventLoopTcpServer::builder()
        .proxy_protocol(proxy)
        .bind("127.0.0.1:0", EventFactory(Arc::clone(&seen)))
        .unwrap();
    let addr = server.local_addr().unwrap();
    let handle = server.shutdown_handle();
    (addr, seen, Serving::start(handle, move || server.run()))
}

/// Sends `header` (in pieces of `piece` bytes) and a line; returns the greeting and the
/// echo.
fn through(addr: SocketAddr, header: &[u8], piece: usize) -> (String, String) {
    let mut balancer = connect(addr);
    balancer.set_nodelay(true).unwrap();
    for chunk in header.chunks(piece) {
        balancer.write_all(chunk).unwrap();
    }
    balancer.write_all(b"ping\n").unwrap();
    let mut reader = BufReader::new(balancer);
    let (mut greeting, mut echo) = (String::new(), String::new());
    reader.read_line(&mut greeting).unwrap();
    reader.read_line(&mut echo).unwrap();
    (greeting, echo)
}

/// Whether the server closed `stream` without a byte of reply.
fn closed_silently(mut stream: TcpStream) -> bool {
    let mut rest = Vec::new();
    match stream.read_to_end(&mut rest) {
        Ok(_) => rest.is_empty(),
        Err(err) => err.kind() == io::ErrorKind::ConnectionReset,
    }
}

/// Everything a server with PROXY headers must do, whichever it is.
fn behaves(addr: SocketAddr, seen: &Seen, serving: Serving) {
    let server_addr: SocketAddr = addr;
    // v1, v2 with an authority TLV, a header one byte per write.
    let (greeting, echo) = through(addr, &v1(client(), server_addr), 1024);
    assert_eq!(greeting, format!("hello {CLIENT} - v1\n"));
    assert_eq!(
        echo, "ping\n",
        "the bytes after the header are the handler's"
    );
    let (greeting, _) = through(addr, &v2(client(), server_addr, Some("example.com")), 1024);
    assert_eq!(greeting, format!("hello {CLIENT} example.com v2\n"));
    let (greeting, echo) = through(addr, &v2(client(), server_addr, None), 1);
    assert_eq!(
        (greeting.as_str(), echo.as_str()),
        (&*format!("hello {CLIENT} - v2\n"), "ping\n")
    );
    let v6: SocketAddr = "[2001:db8::7]:1234".parse().unwrap();
    let (greeting, _) = through(addr, &v1(v6, "[2001:db8::1]:80".parse().unwrap()), 7);
    assert_eq!(greeting, "hello [2001:db8::7]:1234 - v1\n");
    // LOCAL (a health check) keeps the socket's own peer.
    let (greeting, _) = through(addr, &v2_local(), 1024);
    assert!(greeting.starts_with("hello 127.0.0.1:"), "{greeting}");
    // verify_request sees the header's address, not the balancer's.
    assert!(seen
        .verified
        .lock()
        .unwrap()
        .contains(&Address::Inet(client())));
    let refused: SocketAddr = REFUSED.parse().unwrap();
    let mut stream = connect(addr);
    stream.write_all(&v1(refused, server_addr)).unwrap();
    assert!(closed_silently(stream), "verify_request refused it");

    // Bad input: each closed without a reply, reported, and nobody else waits for it.
    let stalled = connect(addr); // connects and says nothing
    let mut truncated = connect(addr);
    truncated
        .write_all(&v2(client(), server_addr, None)[..20])
        .unwrap();
    let (greeting, _) = through(addr, &v1(client(), server_addr), 1024);
    assert_eq!(
        greeting,
        format!("hello {CLIENT} - v1\n"),
        "served past the stalled ones"
    );
    for (what, bytes) in [
        ("no header", b"ping\n".to_vec()),
        ("garbage", b"\x16\x03\x01\x00\xff garbage garbage".to_vec()),
        (
            "a bad address",
            b"PROXY TCP4 999.1.1.1 127.0.0.1 1 2\r\n".to_vec(),
        ),
        (
            "a v1 line without end",
            [b"PROXY TCP4 ".as_slice(), &[b'1'; 200]].concat(),
        ),
        ("a bogus v2 length", {
            let mut header = v2(client(), server_addr, Some("example.com"));
            // The TLV (after the 16 fixed bytes and 12 of IPv4 addresses) claims 200
            // bytes, past the header's end.
            header[29..31].copy_from_slice(&200u16.to_be_bytes());
            header
        }),
    ] {
        let mut stream = connect(addr);
        stream.write_all(&bytes).unwrap();
        assert!(closed_silently(stream), "{what}: closed without a reply");
    }
    assert!(
        closed_silently(stalled),
        "a silent client is closed at the timeout"
    );
    assert!(
        closed_silently(truncated),
        "a truncated header is closed at the timeout"
    );
    let peer = seen.reported("not a PROXY protocol header");
    assert!(
        peer.to_string().starts_with("127.0.0.1:"),
        "reported with the socket's peer"
    );
    seen.reported("no complete PROXY header within 300ms");
    seen.reported("bad PROXY v1 header");
    seen.reported("bad PROXY v2 TLV");
    serving.stop().unwrap();
}

#[test]
fn the_iterative_server_takes_proxy_headers() {
    // The iterative server reads each header on its one thread: the stalled clients of
    // `behaves` are each waited for up to the timeout, in turn.
    let (addr, seen, serving) = serve_blocking(TcpServer::builder(), config());
    let (greeting, echo) = through(addr, &v2(client(), addr, Some("example.com")), 3);
    assert_eq!(greeting, format!("hello {CLIENT} example.com v2\n"));
    assert_eq!(echo, "ping\n");
    let mut garbage = connect(addr);
    garbage.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    assert!(closed_silently(garbage));
    seen.reported("not a PROXY protocol header");
    serving.stop().unwrap();
}

#[test]
fn the_threading_server_takes_proxy_headers() {
    let (addr, seen, serving) = serve_blocking(ThreadingTcpServer::builder(), config());
    behaves(addr, &seen, serving);
}

#[test]
fn the_pool_server_takes_proxy_headers() {
    let (addr, seen, serving) = serve_blocking(PoolTcpServer::builder().max_workers(8), config());
    behaves(addr, &seen, serving);
}

#[test]
fn the_event_loop_takes_proxy_headers() {
    let (addr, seen, serving) = serve_event_loop(config());
    behaves(addr, &seen, serving);
}

#[test]
fn a_header_from_an_untrusted_source_is_refused() {
    let only_elsewhere = config().trusted_sources(["10.0.0.0/8"]).unwrap();
    for (addr, seen, serving) in [
        serve_blocking(ThreadingTcpServer::builder(), only_elsewhere.clone()),
        serve_event_loop(only_elsewhere.clone()),
    ] {
        let mut stream = connect(addr);
        // The server may refuse as soon as it has read the header, so the second write
        // can meet a closed connection: what matters is that nothing comes back.
        let mut request = v1(client(), addr);
        request.extend_from_slice(b"ping\n");
        let _ = stream.write_all(&request);
        assert!(closed_silently(stream));
        let peer = seen.reported("not a trusted PROXY protocol source");
        assert!(peer.to_string().starts_with("127.0.0.1:"));
        assert!(seen.verified.lock().unwrap().is_empty(), "never verified");
        serving.stop().unwrap();
    }
}

#[cfg(feature = "http")]
#[test]
fn the_http_server_logs_and_answers_the_real_client() {
    use socketserver::http::{HttpHandler, HttpRequest, ThreadingHttpServer};

    struct Who;
    impl HttpHandler for Who {
        fn do_get(&mut self, req: &mut HttpRequest<'_>) -> io::Result<()> {
            let body = format!("{}\n", req.client_address());
            req.send_response(200)?;
            req.send_header("Content-Length", body.len())?;
            req.end_headers()?;
            req.wfile().write_all(body.as_bytes())
        }
    }
    let server = ThreadingHttpServer::builder()
        .proxy_protocol(config())
        .bind("127.0.0.1:0", || Who)
        .unwrap();
    let addr = server.local_addr().unwrap();
    let serving = Serving::start(server.shutdown_handle(), move || server.run());
    let mut stream = connect(addr);
    stream.write_all(&v2(client(), addr, None)).unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.ends_with(&format!("\r\n\r\n{CLIENT}\n")),
        "{response}"
    );
    serving.stop().unwrap();
}
