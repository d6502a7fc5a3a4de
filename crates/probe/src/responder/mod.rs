//! The built-in responder (`serve: [tcp/80, udp/53]` in a topology).
//!
//! Each service gets one listener on `[::]` with `IPV6_V6ONLY` off, so
//! IPv4 and IPv6 clients reach the same socket (plain `0.0.0.0` when the
//! kernel has no IPv6), and one thread that waits on the listener and on a
//! stop pipe. `tcp` answers connections, `udp` datagrams.

mod tcp;
mod udp;

pub(crate) use tcp::FIRST_BYTE_WAIT;

use std::convert::Infallible;
use std::io;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::{mpsc, Arc};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{
    bind, listen, setsockopt, socket, sockopt, AddressFamily, Backlog, SockFlag, SockType,
    SockaddrIn, SockaddrIn6,
};

use crate::netns::in_netns;
use crate::service::Proto;
use crate::Error;

/// A running responder. Dropping it stops it too.
pub struct Responder {
    addrs: Vec<(Proto, SocketAddr)>,
    stop: Option<OwnedFd>,
    threads: Vec<JoinHandle<()>>,
    exits: mpsc::Receiver<(Proto, SocketAddr, io::Result<()>)>,
}

/// Starts a responder inside the network namespace `ns`. `label` is the
/// `<lab>/<node>` every answer starts with.
pub fn serve(
    ns: BorrowedFd<'_>,
    label: &str,
    services: &[(Proto, u16)],
) -> Result<Responder, Error> {
    in_netns(ns, || Responder::bind_current(label, services)).map_err(Error::netns)?
}

/// Serves in the calling thread's namespace until a listener fails; for
/// the `nslab __serve` process that the root starts inside a node. Returns
/// only with the error that ended it.
pub fn serve_forever(label: &str, services: &[(Proto, u16)]) -> Result<Infallible, Error> {
    Responder::bind_current(label, services)?.wait()
}

impl Responder {
    /// Binds every service in the calling thread's current namespace and
    /// starts serving. Nothing is left running if one bind fails.
    pub fn bind_current(label: &str, services: &[(Proto, u16)]) -> Result<Responder, Error> {
        let (stop_rx, stop_tx) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
            .map_err(|e| Error::socket("pipe for the responder's stop signal")(e.into()))?;
        let stop_rx = Arc::new(stop_rx);
        let label: Arc<str> = Arc::from(label);
        let (exit_tx, exits) = mpsc::channel();
        let mut responder = Responder {
            addrs: Vec::new(),
            stop: Some(stop_tx),
            threads: Vec::new(),
            exits,
        };
        for &(proto, port) in services {
            let bind_err = |source| Error::Bind {
                proto,
                port,
                source,
            };
            let fd = bound_socket(proto, port).map_err(bind_err)?;
            let (addr, body): (SocketAddr, Box<dyn FnOnce() -> io::Result<()> + Send>) = match proto
            {
                Proto::Tcp => {
                    let listener = TcpListener::from(fd);
                    let addr = listener.local_addr().map_err(bind_err)?;
                    let (label, stop) = (label.clone(), stop_rx.clone());
                    (addr, Box::new(move || tcp::serve(listener, label, stop)))
                }
                Proto::Udp => {
                    let sock = UdpSocket::from(fd);
                    let addr = sock.local_addr().map_err(bind_err)?;
                    let (label, stop) = (label.clone(), stop_rx.clone());
                    (addr, Box::new(move || udp::serve(sock, label, stop)))
                }
            };
            let exit_tx = exit_tx.clone();
            let handle = thread::Builder::new()
                .name(format!("nslab-{proto}-{port}"))
                .spawn(move || {
                    let result = body();
                    // The receiver is gone only when the Responder is.
                    let _ = exit_tx.send((proto, addr, result));
                })
                .map_err(|source| Error::Thread {
                    what: "responder",
                    source,
                })?;
            responder.threads.push(handle);
            responder.addrs.push((proto, addr));
        }
        Ok(responder)
    }

    /// The bound addresses, one per service (useful with port 0).
    pub fn local_addrs(&self) -> &[(Proto, SocketAddr)] {
        &self.addrs
    }

    /// Stops every listener and waits for their threads. Connections being
    /// answered finish on their own within about a second.
    pub fn stop(mut self) {
        self.shutdown();
    }

    /// Blocks until a listener thread ends, and returns why.
    pub fn wait(self) -> Result<Infallible, Error> {
        let (proto, addr, result) = match self.exits.recv() {
            Ok(exit) => exit,
            Err(_) => {
                return Err(Error::Thread {
                    what: "responder",
                    source: io::Error::other("no responder threads are running"),
                })
            }
        };
        let reason = match result {
            Ok(()) => "stopped".to_string(),
            Err(e) => e.to_string(),
        };
        Err(Error::ResponderStopped {
            proto,
            addr,
            reason,
        })
    }

    fn shutdown(&mut self) {
        // Closing the write end wakes every poll() with POLLHUP.
        drop(self.stop.take());
        for handle in self.threads.drain(..) {
            let _ = handle.join();
        }
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// A socket of `proto` bound to `[::]:port` dual-stack, or `0.0.0.0:port`
/// when the kernel has no IPv6.
fn bound_socket(proto: Proto, port: u16) -> io::Result<OwnedFd> {
    let ty = match proto {
        Proto::Tcp => SockType::Stream,
        Proto::Udp => SockType::Datagram,
    };
    let flags = SockFlag::SOCK_CLOEXEC;
    let fd = match socket(AddressFamily::Inet6, ty, flags, None) {
        Ok(fd) => {
            setsockopt(&fd, sockopt::Ipv6V6Only, &false)?;
            prepare(&fd, proto, true)?;
            let any = std::net::SocketAddrV6::new(std::net::Ipv6Addr::UNSPECIFIED, port, 0, 0);
            bind_fd(&fd, &SockaddrIn6::from(any))?;
            fd
        }
        Err(Errno::EAFNOSUPPORT) => {
            let fd = socket(AddressFamily::Inet, ty, flags, None)?;
            prepare(&fd, proto, false)?;
            let any = std::net::SocketAddrV4::new(std::net::Ipv4Addr::UNSPECIFIED, port);
            bind_fd(&fd, &SockaddrIn::from(any))?;
            fd
        }
        Err(e) => return Err(e.into()),
    };
    if proto == Proto::Tcp {
        listen(&fd, Backlog::new(128).unwrap_or(Backlog::MAXCONN))?;
    }
    Ok(fd)
}

fn prepare(fd: &OwnedFd, proto: Proto, v6: bool) -> io::Result<()> {
    match proto {
        // Restarting a responder must not wait for old TIME_WAIT sockets.
        Proto::Tcp => setsockopt(fd, sockopt::ReuseAddr, &true)?,
        // Learn each datagram's destination so the answer leaves from it.
        Proto::Udp if v6 => setsockopt(fd, sockopt::Ipv6RecvPacketInfo, &true)?,
        Proto::Udp => setsockopt(fd, sockopt::Ipv4PacketInfo, &true)?,
    }
    Ok(())
}

fn bind_fd(fd: &OwnedFd, addr: &dyn nix::sys::socket::SockaddrLike) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    bind(fd.as_raw_fd(), addr).map_err(io::Error::from)
}

/// Waits until `sock` is readable (`true`) or the stop pipe closed
/// (`false`).
pub(crate) fn wait_readable(sock: BorrowedFd<'_>, stop: &OwnedFd) -> io::Result<bool> {
    loop {
        let mut fds = [
            PollFd::new(sock, PollFlags::POLLIN),
            PollFd::new(stop.as_fd(), PollFlags::POLLIN),
        ];
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) => {}
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
        if fds[1].revents().is_some_and(|r| !r.is_empty()) {
            return Ok(false);
        }
        if fds[0].revents().is_some_and(|r| !r.is_empty()) {
            return Ok(true);
        }
    }
}

/// Pause after errors such as EMFILE, so a loop does not spin.
pub(crate) const BACKOFF: Duration = Duration::from_millis(100);
