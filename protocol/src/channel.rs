//! The data channel's reliability rules, without I/O: outgoing sequence
//! numbers with a buffer of unacknowledged frames and retransmission on a
//! Jacobson-style timeout, incoming acknowledgement and in-order delivery
//! with a reorder buffer. Used by the client (input) and by the lab's agent
//! side (output): the rules are the same in both directions.
//!
//! Source: shared/reference/session-manager-protocol.md, "Reliability
//! rules" (from aws/session-manager-plugin `src/datachannel/streaming.go`).

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use crate::frame::{ACKNOWLEDGE, Acknowledge, ClientMessage, PayloadType};

/// Initial retransmission timeout.
pub const INITIAL_RTO: Duration = Duration::from_millis(200);
/// Retransmission timeout ceiling.
pub const MAX_RTO: Duration = Duration::from_secs(1);
/// Clock granularity added to the timeout.
const GRANULARITY: Duration = Duration::from_millis(10);
/// Resends of one frame before the session is declared lost.
pub const MAX_RESENDS: u32 = 3_000;
/// Frames kept ahead of a gap in the incoming sequence.
pub const REORDER_LIMIT: usize = 10_000;

/// What a received frame means for the layer above.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// A stream message in sequence order (output, handshake, exit code…).
    Deliver(ClientMessage),
    /// A control message (`channel_closed`, `start_publication`,
    /// `pause_publication`, or a type this client does not know).
    Control(ClientMessage),
}

/// The session cannot go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    /// A frame was resent [`MAX_RESENDS`] times without an acknowledgement.
    #[error(
        "no acknowledgement for message {sequence} after {attempts} resends: the session is lost"
    )]
    GaveUp {
        /// Sequence number of the stuck frame.
        sequence: i64,
        /// Resends made.
        attempts: u32,
    },
}

struct Outgoing {
    sequence: i64,
    bytes: Vec<u8>,
    sent_at: Instant,
    resends: u32,
}

/// One direction's reliability state (see the module docs).
pub struct Channel {
    /// Message type of the frames this side sends (`input_stream_data` for
    /// the client, `output_stream_data` for the agent).
    out_type: &'static str,
    /// Message type of the stream frames this side receives.
    in_type: &'static str,
    next_out: i64,
    unacked: VecDeque<Outgoing>,
    expected_in: i64,
    reorder: BTreeMap<i64, ClientMessage>,
    srtt: Option<Duration>,
    rttvar: Duration,
    rto: Duration,
    /// Frames resent so far (for the session list).
    pub resent: u64,
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel")
            .field("next_out", &self.next_out)
            .field("unacked", &self.unacked.len())
            .field("expected_in", &self.expected_in)
            .field("reordered", &self.reorder.len())
            .field("rto", &self.rto)
            .finish()
    }
}

impl Channel {
    /// A channel that sends `out_type` frames and receives `in_type` ones,
    /// both sequences starting at 0.
    pub fn new(out_type: &'static str, in_type: &'static str) -> Self {
        Channel {
            out_type,
            in_type,
            next_out: 0,
            unacked: VecDeque::new(),
            expected_in: 0,
            reorder: BTreeMap::new(),
            srtt: None,
            rttvar: Duration::ZERO,
            rto: INITIAL_RTO,
            resent: 0,
        }
    }

    /// Numbers, buffers and encodes the next outgoing stream frame; the
    /// returned bytes go on the wire now and again until acknowledged.
    pub fn send(&mut self, payload_type: PayloadType, payload: Vec<u8>, now: Instant) -> Vec<u8> {
        let m = ClientMessage::new(self.out_type, self.next_out, payload_type, payload);
        let bytes = m.encode();
        self.unacked.push_back(Outgoing {
            sequence: self.next_out,
            bytes: bytes.clone(),
            sent_at: now,
            resends: 0,
        });
        self.next_out += 1;
        bytes
    }

    /// Handles one received frame. Returns the frames to send back
    /// (acknowledgements) and what to hand to the layer above, in order.
    pub fn receive(&mut self, m: ClientMessage, now: Instant) -> (Vec<Vec<u8>>, Vec<Inbound>) {
        if m.message_type == ACKNOWLEDGE {
            if let Ok(a) = serde_json::from_slice::<Acknowledge>(&m.payload) {
                self.acknowledged(a.sequence, now);
            }
            return (Vec::new(), Vec::new());
        }
        if m.message_type != self.in_type {
            return (Vec::new(), vec![Inbound::Control(m)]);
        }
        // Every stream frame is acknowledged: in order, ahead, or again.
        let ack = Acknowledge::frame_for(&m).encode();
        let mut out = Vec::new();
        if m.sequence == self.expected_in {
            self.expected_in += 1;
            out.push(Inbound::Deliver(m));
            while let Some(next) = self.reorder.remove(&self.expected_in) {
                self.expected_in += 1;
                out.push(Inbound::Deliver(next));
            }
        } else if m.sequence > self.expected_in {
            if self.reorder.len() >= REORDER_LIMIT && !self.reorder.contains_key(&m.sequence) {
                // No room: let the sender resend it later.
                return (Vec::new(), Vec::new());
            }
            self.reorder.insert(m.sequence, m);
        }
        (vec![ack], out)
    }

    fn acknowledged(&mut self, sequence: i64, now: Instant) {
        let Some(i) = self.unacked.iter().position(|o| o.sequence == sequence) else {
            return;
        };
        let o = self.unacked.remove(i).expect("position found it");
        // Karn: only frames sent once give an RTT sample.
        if o.resends == 0 {
            self.sample(now.saturating_duration_since(o.sent_at));
        }
    }

    fn sample(&mut self, r: Duration) {
        match self.srtt {
            None => {
                self.srtt = Some(r);
                self.rttvar = r / 2;
            }
            Some(s) => {
                let diff = s.abs_diff(r);
                self.rttvar = self.rttvar * 3 / 4 + diff / 4;
                self.srtt = Some(s * 7 / 8 + r / 8);
            }
        }
        let s = self.srtt.unwrap_or(INITIAL_RTO);
        self.rto = (s + GRANULARITY.max(self.rttvar * 4)).min(MAX_RTO);
    }

    /// The oldest unacknowledged frame, when its timeout has passed at `now`.
    ///
    /// # Errors
    /// [`ChannelError::GaveUp`] once it was resent [`MAX_RESENDS`] times.
    pub fn due(&mut self, now: Instant) -> Result<Option<Vec<u8>>, ChannelError> {
        let rto = self.rto;
        let Some(head) = self.unacked.front_mut() else {
            return Ok(None);
        };
        if now.saturating_duration_since(head.sent_at) < rto {
            return Ok(None);
        }
        if head.resends >= MAX_RESENDS {
            return Err(ChannelError::GaveUp {
                sequence: head.sequence,
                attempts: head.resends,
            });
        }
        head.resends += 1;
        head.sent_at = now;
        self.resent += 1;
        Ok(Some(head.bytes.clone()))
    }

    /// After a reconnect (ResumeSession): every unacknowledged frame, in
    /// order, with its original sequence number.
    pub fn resend_all(&mut self, now: Instant) -> Vec<Vec<u8>> {
        self.unacked
            .iter_mut()
            .map(|o| {
                o.sent_at = now;
                o.bytes.clone()
            })
            .collect()
    }

    /// The current retransmission timeout.
    pub fn rto(&self) -> Duration {
        self.rto
    }

    /// Frames sent and not yet acknowledged.
    pub fn unacked(&self) -> usize {
        self.unacked.len()
    }

    /// The next outgoing sequence number.
    pub fn next_sequence(&self) -> i64 {
        self.next_out
    }

    /// The next incoming sequence number expected.
    pub fn expected(&self) -> i64 {
        self.expected_in
    }

    /// Frames held ahead of a gap.
    pub fn reordered(&self) -> usize {
        self.reorder.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{INPUT_STREAM, OUTPUT_STREAM};

    fn out(seq: i64, text: &str) -> ClientMessage {
        ClientMessage::new(
            OUTPUT_STREAM,
            seq,
            PayloadType::Output,
            text.as_bytes().to_vec(),
        )
    }

    fn client() -> Channel {
        Channel::new(INPUT_STREAM, OUTPUT_STREAM)
    }

    fn delivered(v: &[Inbound]) -> Vec<String> {
        v.iter()
            .map(|i| match i {
                Inbound::Deliver(m) | Inbound::Control(m) => {
                    String::from_utf8_lossy(&m.payload).into_owned()
                }
            })
            .collect()
    }

    #[test]
    fn reorders_acknowledges_everything_and_drops_duplicates() {
        let mut c = client();
        let t = Instant::now();
        let (acks, d) = c.receive(out(1, "b"), t);
        assert_eq!(acks.len(), 1, "ahead of the gap: acknowledged");
        assert!(d.is_empty(), "and held");
        assert_eq!(c.reordered(), 1);
        let (_, d) = c.receive(out(2, "c"), t);
        assert!(d.is_empty());
        let (acks, d) = c.receive(out(0, "a"), t);
        assert_eq!(acks.len(), 1);
        assert_eq!(
            delivered(&d),
            ["a", "b", "c"],
            "delivered in order once the gap fills"
        );
        assert_eq!(c.expected(), 3);
        // A duplicate is acknowledged again and not delivered twice.
        let (acks, d) = c.receive(out(1, "b"), t);
        assert_eq!(acks.len(), 1);
        assert!(d.is_empty());
        let ack: Acknowledge =
            serde_json::from_slice(&ClientMessage::decode(&acks[0]).unwrap().payload).unwrap();
        assert_eq!(ack.sequence, 1);
    }

    #[test]
    fn outgoing_frames_are_numbered_and_resent_until_acknowledged() {
        let mut c = client();
        let t0 = Instant::now();
        let a = ClientMessage::decode(&c.send(PayloadType::Output, b"l".to_vec(), t0)).unwrap();
        let b = ClientMessage::decode(&c.send(PayloadType::Output, b"s".to_vec(), t0)).unwrap();
        assert_eq!((a.sequence, b.sequence), (0, 1));
        assert_eq!(a.message_type, INPUT_STREAM);
        assert_eq!(c.unacked(), 2);
        assert_eq!(c.due(t0 + Duration::from_millis(100)), Ok(None), "not yet");
        let again = c
            .due(t0 + INITIAL_RTO)
            .unwrap()
            .expect("the head is resent");
        assert_eq!(
            ClientMessage::decode(&again).unwrap(),
            a,
            "same frame, same number"
        );
        // The agent acknowledges the first: the second is now the head.
        let ack = Acknowledge::frame_for(&a);
        c.receive(ack, t0 + INITIAL_RTO);
        assert_eq!(c.unacked(), 1);
        let head = c.due(t0 + Duration::from_secs(2)).unwrap().unwrap();
        assert_eq!(ClientMessage::decode(&head).unwrap().sequence, 1);
    }

    #[test]
    fn round_trip_samples_shape_the_timeout() {
        let mut c = client();
        let t0 = Instant::now();
        for i in 0..20 {
            let sent = t0 + Duration::from_millis(i * 100);
            let m = ClientMessage::decode(&c.send(PayloadType::Output, vec![b'x'], sent)).unwrap();
            c.receive(Acknowledge::frame_for(&m), sent + Duration::from_millis(20));
        }
        assert!(
            c.rto() < INITIAL_RTO,
            "a fast link lowers it: {:?}",
            c.rto()
        );
        assert!(c.rto() >= Duration::from_millis(20));
        let mut slow = client();
        for i in 0..20 {
            let sent = t0 + Duration::from_secs(i * 10);
            let m =
                ClientMessage::decode(&slow.send(PayloadType::Output, vec![b'x'], sent)).unwrap();
            slow.receive(Acknowledge::frame_for(&m), sent + Duration::from_secs(3));
        }
        assert_eq!(slow.rto(), MAX_RTO, "capped at one second");
    }

    #[test]
    fn gives_up_after_the_resend_limit() {
        let mut c = client();
        let mut t = Instant::now();
        c.send(PayloadType::Output, b"x".to_vec(), t);
        for _ in 0..MAX_RESENDS {
            t += MAX_RTO;
            assert!(c.due(t).unwrap().is_some());
        }
        t += MAX_RTO;
        assert_eq!(
            c.due(t),
            Err(ChannelError::GaveUp {
                sequence: 0,
                attempts: MAX_RESENDS
            })
        );
    }

    #[test]
    fn resume_keeps_sequence_numbers_and_the_backlog() {
        let mut c = client();
        let t = Instant::now();
        for k in ["e", "c", "h", "o"] {
            c.send(PayloadType::Output, k.as_bytes().to_vec(), t);
        }
        let first = ClientMessage::decode(&c.resend_all(t)[0]).unwrap();
        c.receive(Acknowledge::frame_for(&first), t);
        // The connection drops; on the new one the backlog goes again, in order.
        let again: Vec<i64> = c
            .resend_all(t)
            .iter()
            .map(|b| ClientMessage::decode(b).unwrap().sequence)
            .collect();
        assert_eq!(again, [1, 2, 3]);
        let next = ClientMessage::decode(&c.send(PayloadType::Output, b"\r".to_vec(), t)).unwrap();
        assert_eq!(next.sequence, 4, "numbers never restart at 0");
    }

    #[test]
    fn control_messages_pass_through() {
        let mut c = client();
        let closed = ClientMessage::new("channel_closed", 0, PayloadType::Output, b"bye".to_vec());
        let (acks, d) = c.receive(closed.clone(), Instant::now());
        assert!(acks.is_empty());
        assert_eq!(d, vec![Inbound::Control(closed)]);
    }
}
