//! smux v1 framing, as the SSM agent uses it to carry many TCP connections
//! over one port forwarding session (`type: LocalPortForwarding`, agents
//! 3.0.196.0 and later). A frame: version (1 byte, 1), command (1 byte:
//! SYN 0, FIN 1, PSH 2, NOP 3), length (2 bytes, little-endian), stream id
//! (4 bytes, little-endian), then `length` bytes of data.
//!
//! Frames arrive split and joined arbitrarily inside data channel
//! payloads; [`Decoder`] reassembles them and never panics on bad input.

/// Protocol version written.
pub const VERSION: u8 = 1;
/// Open a stream.
pub const SYN: u8 = 0;
/// Close a stream.
pub const FIN: u8 = 1;
/// Stream data.
pub const PSH: u8 = 2;
/// Keep-alive.
pub const NOP: u8 = 3;
/// Header bytes.
pub const HEADER: usize = 8;
/// Largest data in one frame (the length field is 16 bits).
pub const MAX_DATA: usize = u16::MAX as usize;

/// One smux frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// [`SYN`], [`FIN`], [`PSH`] or [`NOP`].
    pub cmd: u8,
    /// Stream id (the client opens odd ids).
    pub sid: u32,
    /// Data (PSH only).
    pub data: Vec<u8>,
}

impl Frame {
    /// A frame; `data` longer than [`MAX_DATA`] must be split by the caller.
    pub fn new(cmd: u8, sid: u32, data: Vec<u8>) -> Self {
        debug_assert!(data.len() <= MAX_DATA);
        Frame { cmd, sid, data }
    }

    /// The frame's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER + self.data.len());
        out.push(VERSION);
        out.push(self.cmd);
        out.extend_from_slice(&(self.data.len().min(MAX_DATA) as u16).to_le_bytes());
        out.extend_from_slice(&self.sid.to_le_bytes());
        out.extend_from_slice(&self.data[..self.data.len().min(MAX_DATA)]);
        out
    }
}

/// A frame that cannot be part of a valid smux stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmuxError {
    /// Version other than 1 or 2.
    #[error("smux version {0} is not supported (1 or 2)")]
    Version(u8),
    /// Command above NOP (or UPD for version 2).
    #[error("smux command {0} is not valid")]
    Command(u8),
}

/// Reassembles frames from arbitrarily split bytes.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
}

impl Decoder {
    /// Adds bytes; returns every frame now complete.
    ///
    /// # Errors
    /// [`SmuxError`] on a header that cannot be smux; the decoder should be
    /// dropped with the session then.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<Frame>, SmuxError> {
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        let mut at = 0;
        while self.buf.len() - at >= HEADER {
            let h = &self.buf[at..at + HEADER];
            if h[0] != 1 && h[0] != 2 {
                return Err(SmuxError::Version(h[0]));
            }
            // Version 2 adds UPD (4): window updates, carried and ignored.
            if h[1] > 3 && !(h[0] == 2 && h[1] == 4) {
                return Err(SmuxError::Command(h[1]));
            }
            let len = usize::from(u16::from_le_bytes([h[2], h[3]]));
            if self.buf.len() - at < HEADER + len {
                break;
            }
            let sid = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
            out.push(Frame {
                cmd: h[1],
                sid,
                data: self.buf[at + HEADER..at + HEADER + len].to_vec(),
            });
            at += HEADER + len;
        }
        self.buf.drain(..at);
        Ok(out)
    }

    /// Bytes held for an incomplete frame.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_reassemble_across_any_split() {
        let frames = vec![
            Frame::new(SYN, 1, Vec::new()),
            Frame::new(PSH, 1, b"hello".to_vec()),
            Frame::new(PSH, 3, vec![7; 3000]),
            Frame::new(FIN, 1, Vec::new()),
        ];
        let bytes: Vec<u8> = frames.iter().flat_map(Frame::encode).collect();
        assert_eq!(&bytes[..8], &[1, 0, 0, 0, 1, 0, 0, 0]);
        for split in [1, 2, 7, 8, 9, 100, 1024, bytes.len()] {
            let mut d = Decoder::default();
            let mut got = Vec::new();
            for chunk in bytes.chunks(split) {
                got.extend(d.push(chunk).unwrap());
            }
            assert_eq!(got, frames, "split {split}");
            assert_eq!(d.pending(), 0);
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert_eq!(
            Decoder::default().push(&[9, 0, 0, 0, 1, 0, 0, 0]),
            Err(SmuxError::Version(9))
        );
        assert_eq!(
            Decoder::default().push(&[1, 7, 0, 0, 1, 0, 0, 0]),
            Err(SmuxError::Command(7))
        );
        let mut d = Decoder::default();
        assert_eq!(d.push(&[1, 2, 255, 255, 1, 0, 0, 0, 1]).unwrap(), vec![]);
        assert_eq!(d.pending(), 9, "waits for the rest");
    }
}
