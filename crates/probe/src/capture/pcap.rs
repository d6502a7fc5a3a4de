//! The classic pcap file format (what `tcpdump -w` writes and Wireshark
//! reads): a 24-byte global header, then per packet a 16-byte record
//! header and the bytes. Written little-endian with microsecond stamps
//! (magic `0xa1b2c3d4`, version 2.4, link type 1 = Ethernet); see
//! <https://www.tcpdump.org/manpages/pcap-savefile.5.html>.

use std::io::{self, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const MAGIC_MICROS: u32 = 0xa1b2_c3d4;
const VERSION_MAJOR: u16 = 2;
const VERSION_MINOR: u16 = 4;
/// LINKTYPE_ETHERNET.
pub const LINKTYPE_ETHERNET: u32 = 1;
/// Longest packet kept, as tcpdump's default snap length.
pub const SNAPLEN: u32 = 262_144;

/// Writes pcap records to `W`.
pub struct PcapWriter<W: Write> {
    out: W,
    snaplen: u32,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the global header for Ethernet frames.
    pub fn new(mut out: W) -> io::Result<Self> {
        out.write_all(&global_header(SNAPLEN, LINKTYPE_ETHERNET))?;
        Ok(PcapWriter {
            out,
            snaplen: SNAPLEN,
        })
    }

    /// Writes one packet; `orig_len` is its length on the wire (which may
    /// exceed `data.len()` when it was truncated).
    pub fn write_packet(&mut self, ts: SystemTime, data: &[u8], orig_len: usize) -> io::Result<()> {
        let kept = data.len().min(self.snaplen as usize);
        let since = ts.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        self.out
            .write_all(&record_header(since, kept, orig_len.max(kept)))?;
        self.out.write_all(&data[..kept])
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

fn global_header(snaplen: u32, linktype: u32) -> [u8; 24] {
    let mut h = [0u8; 24];
    h[0..4].copy_from_slice(&MAGIC_MICROS.to_le_bytes());
    h[4..6].copy_from_slice(&VERSION_MAJOR.to_le_bytes());
    h[6..8].copy_from_slice(&VERSION_MINOR.to_le_bytes());
    // 8..16: thiszone and sigfigs, both 0.
    h[16..20].copy_from_slice(&snaplen.to_le_bytes());
    h[20..24].copy_from_slice(&linktype.to_le_bytes());
    h
}

fn record_header(since_epoch: Duration, incl_len: usize, orig_len: usize) -> [u8; 16] {
    let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let secs = u32::try_from(since_epoch.as_secs()).unwrap_or(u32::MAX);
    let mut h = [0u8; 16];
    h[0..4].copy_from_slice(&secs.to_le_bytes());
    h[4..8].copy_from_slice(&since_epoch.subsec_micros().to_le_bytes());
    h[8..12].copy_from_slice(&clamp(incl_len).to_le_bytes());
    h[12..16].copy_from_slice(&clamp(orig_len).to_le_bytes());
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_bytes_are_what_tcpdump_reads() {
        let mut w = PcapWriter::new(Vec::new()).unwrap();
        let ts = UNIX_EPOCH + Duration::new(0x0102_0304, 5_000);
        w.write_packet(ts, &[0xaa, 0xbb, 0xcc], 60).unwrap();
        let bytes = w.into_inner();
        #[rustfmt::skip]
        let expected: Vec<u8> = vec![
            // global header
            0xd4, 0xc3, 0xb2, 0xa1, // magic, little-endian, microseconds
            0x02, 0x00, 0x04, 0x00, // version 2.4
            0, 0, 0, 0,             // thiszone
            0, 0, 0, 0,             // sigfigs
            0x00, 0x00, 0x04, 0x00, // snaplen 262144
            0x01, 0x00, 0x00, 0x00, // LINKTYPE_ETHERNET
            // record header
            0x04, 0x03, 0x02, 0x01, // ts_sec
            0x05, 0x00, 0x00, 0x00, // ts_usec = 5
            0x03, 0x00, 0x00, 0x00, // incl_len
            0x3c, 0x00, 0x00, 0x00, // orig_len = 60
            0xaa, 0xbb, 0xcc,
        ];
        assert_eq!(bytes, expected);
    }

    #[test]
    fn orig_len_is_never_below_the_kept_length() {
        let mut w = PcapWriter::new(Vec::new()).unwrap();
        w.write_packet(UNIX_EPOCH, &[1, 2, 3, 4], 0).unwrap();
        let bytes = w.into_inner();
        assert_eq!(&bytes[24 + 8..24 + 16], &[4, 0, 0, 0, 4, 0, 0, 0]);
    }
}
