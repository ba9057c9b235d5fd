//! The datagram target: the datagram server's receive, request and reply path over
//! loopback UDP.

use std::io::Read;

use super::{server_info, take_byte, Splitter, IO_TIMEOUT};

/// Fuzz target `datagrams`: datagrams cut from the input go through the datagram
/// server's path (receive into recycled buffers, open the request, a handler, the reply
/// after it) over loopback UDP; each reply is the packet reversed, and a packet over
/// `max_packet_size` is refused, not truncated.
pub fn datagrams(data: &[u8]) {
    use crate::handler::{DatagramReceiver, DatagramSocket};
    use crate::server::{
        datagrams_end as end, datagrams_receive as receive, DatagramOptions, RequestContext,
    };
    use std::net::UdpSocket;

    let (knob, data) = take_byte(data);
    let (seed, data) = take_byte(data);
    let max_packet_size = usize::from(knob) * 4;
    let server = UdpSocket::bind("127.0.0.1:0").expect("a loopback UDP socket");
    server.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
    let to = server.local_addr().expect("its address");
    let peer = UdpSocket::bind("127.0.0.1:0").expect("a loopback UDP socket");
    peer.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
    let options = DatagramOptions { max_packet_size };
    let receiver = DatagramReceiver::new(DatagramSocket::Udp(server), options.max_packet_size);
    let context = RequestContext::new(server_info(), options);
    // Empty pieces too: an empty datagram is a request with an empty packet.
    let mut splitter = Splitter::new(u64::from(seed));
    let mut rest = data;
    for _ in 0..64 {
        if rest.is_empty() {
            break;
        }
        let len = (splitter.next_len(max_packet_size + 40) - 1).min(rest.len());
        let (packet, tail) = rest.split_at(len);
        rest = tail;
        peer.send_to(packet, to).expect("sending on loopback");
        let incoming = receive(&receiver).expect("receiving on loopback");
        match incoming.open(&context) {
            Ok(mut request) => {
                assert!(packet.len() <= max_packet_size);
                assert_eq!(request.packet(), packet);
                let mut got = Vec::new();
                request.rfile.read_to_end(&mut got).expect("reading memory");
                got.reverse();
                request.wfile.extend_from_slice(&got);
                end(request, &mut |err| panic!("replying failed: {err}"));
                if !packet.is_empty() {
                    let mut reply = vec![0; packet.len() + 1];
                    let n = peer.recv(&mut reply).expect("the reply");
                    let mut expected = packet.to_vec();
                    expected.reverse();
                    assert_eq!(&reply[..n], expected);
                }
            }
            Err(crate::Error::DatagramTooLarge { .. }) => {
                assert!(packet.len() > max_packet_size, "{} bytes", packet.len());
            }
            Err(err) => panic!("unexpected error: {err}"),
        }
    }
    // Nothing more came back than the replies checked above.
    peer.set_nonblocking(true).expect("non-blocking");
    let mut extra = [0; 1];
    assert!(peer.recv(&mut extra).is_err(), "an unexpected datagram");
}
