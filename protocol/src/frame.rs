//! The Session Manager data channel wire format: binary frames
//! (`ClientMessage`), their payload types, and the JSON payloads of the
//! handshake, acknowledgements and terminal size.
//!
//! Source: shared/reference/session-manager-protocol.md (from
//! aws/session-manager-plugin `src/message/clientmessage.go`). All integers
//! are big-endian. A frame:
//!
//! | offset | bytes | field |
//! |---|---|---|
//! | 0 | 4 | HeaderLength (u32, 116 when written) |
//! | 4 | 32 | MessageType (ASCII, space padded) |
//! | 36 | 4 | SchemaVersion (u32) |
//! | 40 | 8 | CreatedDate (u64, epoch milliseconds) |
//! | 48 | 8 | SequenceNumber (i64) |
//! | 56 | 8 | Flags (u64: bit 0 SYN, bit 1 FIN) |
//! | 64 | 16 | MessageId (UUID, its two 8-byte halves swapped) |
//! | 80 | 32 | PayloadDigest (SHA-256 of the payload) |
//! | 112 | 4 | PayloadType (u32) |
//! | HeaderLength | 4 | PayloadLength (u32) |
//! | HeaderLength + 4 | PayloadLength | Payload |
//!
//! Decoding never panics: a malformed frame is a [`FrameError`]. Unknown
//! message and payload types decode (the reference plugin logs and carries
//! on); callers decide what to skip.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// HeaderLength written in every frame (bytes before PayloadLength).
pub const HEADER_LENGTH: u32 = 116;
/// Smallest header a frame may declare: every fixed field through PayloadType.
const MIN_HEADER: usize = 116;
/// Largest payload accepted, bytes (the agent sends far smaller chunks).
pub const MAX_PAYLOAD: usize = 4 * 1024 * 1024;

/// `input_stream_data`: client → agent data (keystrokes, size, handshake response).
pub const INPUT_STREAM: &str = "input_stream_data";
/// `output_stream_data`: agent → client data (output, handshake, exit code).
pub const OUTPUT_STREAM: &str = "output_stream_data";
/// `acknowledge`: receipt of a stream message.
pub const ACKNOWLEDGE: &str = "acknowledge";
/// `channel_closed`: the agent closed the session.
pub const CHANNEL_CLOSED: &str = "channel_closed";
/// `start_publication`: the agent is ready for input again.
pub const START_PUBLICATION: &str = "start_publication";
/// `pause_publication`: the agent asks the client to hold input.
pub const PAUSE_PUBLICATION: &str = "pause_publication";

/// Flags bit 0.
pub const FLAG_SYN: u64 = 1;
/// Flags bit 1.
pub const FLAG_FIN: u64 = 2;

/// Payload types (`PayloadType` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PayloadType {
    /// 0: acknowledgements and other control messages.
    Null,
    /// 1: terminal or port bytes.
    Output,
    /// 2: an error text.
    Error,
    /// 3: terminal size JSON.
    Size,
    /// 4: session parameters.
    Parameter,
    /// 5: agent → client handshake request.
    HandshakeRequest,
    /// 6: client → agent handshake response.
    HandshakeResponse,
    /// 7: agent → client handshake complete.
    HandshakeComplete,
    /// 8: KMS challenge request.
    EncChallengeRequest,
    /// 9: KMS challenge response.
    EncChallengeResponse,
    /// 10: a flag (u32: 1 DisconnectToPort, 2 TerminateSession, 3 ConnectToPortError).
    Flag,
    /// 11: standard error bytes.
    StdErr,
    /// 12: the remote command's exit code.
    ExitCode,
    /// Any other value (kept, so unknown payloads can be skipped, not fatal).
    Unknown(u32),
}

impl PayloadType {
    /// From the wire value.
    pub fn from_u32(v: u32) -> Self {
        match v {
            0 => PayloadType::Null,
            1 => PayloadType::Output,
            2 => PayloadType::Error,
            3 => PayloadType::Size,
            4 => PayloadType::Parameter,
            5 => PayloadType::HandshakeRequest,
            6 => PayloadType::HandshakeResponse,
            7 => PayloadType::HandshakeComplete,
            8 => PayloadType::EncChallengeRequest,
            9 => PayloadType::EncChallengeResponse,
            10 => PayloadType::Flag,
            11 => PayloadType::StdErr,
            12 => PayloadType::ExitCode,
            n => PayloadType::Unknown(n),
        }
    }

    /// The wire value.
    pub fn as_u32(self) -> u32 {
        match self {
            PayloadType::Null => 0,
            PayloadType::Output => 1,
            PayloadType::Error => 2,
            PayloadType::Size => 3,
            PayloadType::Parameter => 4,
            PayloadType::HandshakeRequest => 5,
            PayloadType::HandshakeResponse => 6,
            PayloadType::HandshakeComplete => 7,
            PayloadType::EncChallengeRequest => 8,
            PayloadType::EncChallengeResponse => 9,
            PayloadType::Flag => 10,
            PayloadType::StdErr => 11,
            PayloadType::ExitCode => 12,
            PayloadType::Unknown(n) => n,
        }
    }
}

/// Flag payload values (PayloadType 10).
pub mod flag {
    /// The local port connection closed (port forwarding without smux).
    pub const DISCONNECT_TO_PORT: u32 = 1;
    /// End the session.
    pub const TERMINATE_SESSION: u32 = 2;
    /// The agent could not connect to the remote port.
    pub const CONNECT_TO_PORT_ERROR: u32 = 3;
}

/// One data channel frame.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientMessage {
    /// `input_stream_data`, `output_stream_data`, `acknowledge`, … (trimmed).
    pub message_type: String,
    /// Schema version (1).
    pub schema_version: u32,
    /// Creation time, epoch milliseconds.
    pub created_ms: u64,
    /// Sequence number of stream messages (0 for acknowledgements).
    pub sequence: i64,
    /// [`FLAG_SYN`], [`FLAG_FIN`].
    pub flags: u64,
    /// Message id.
    pub message_id: uuid::Uuid,
    /// Payload type.
    pub payload_type: PayloadType,
    /// Payload bytes.
    pub payload: Vec<u8>,
}

impl std::fmt::Debug for ClientMessage {
    // Payloads are keystrokes and terminal output: never printed whole.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientMessage")
            .field("message_type", &self.message_type)
            .field("sequence", &self.sequence)
            .field("flags", &self.flags)
            .field("message_id", &self.message_id)
            .field("payload_type", &self.payload_type)
            .field("payload_bytes", &self.payload.len())
            .finish()
    }
}

/// Why a frame did not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Fewer bytes than the fixed header, or than the declared lengths.
    #[error("frame truncated: {0}")]
    Truncated(String),
    /// HeaderLength smaller than the fixed fields.
    #[error("header length {0} is shorter than the fixed header (116 bytes)")]
    BadHeaderLength(u32),
    /// PayloadLength above [`MAX_PAYLOAD`].
    #[error("payload length {0} is above the {MAX_PAYLOAD}-byte limit")]
    TooLarge(u32),
    /// The payload's SHA-256 is not the PayloadDigest.
    #[error("payload digest mismatch (sequence {0}): the frame was corrupted")]
    DigestMismatch(i64),
    /// MessageType is not ASCII.
    #[error("message type is not ASCII text")]
    BadMessageType,
}

fn be_u32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn be_u64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_be_bytes(a)
}

/// MessageId on the wire: least significant 8 bytes first.
fn uuid_to_wire(id: uuid::Uuid) -> [u8; 16] {
    let b = id.as_bytes();
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&b[8..]);
    out[8..].copy_from_slice(&b[..8]);
    out
}

fn uuid_from_wire(w: &[u8]) -> uuid::Uuid {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&w[8..16]);
    b[8..].copy_from_slice(&w[..8]);
    uuid::Uuid::from_bytes(b)
}

/// Epoch milliseconds now.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl ClientMessage {
    /// A new message with a fresh id and the current time.
    pub fn new(
        message_type: &str,
        sequence: i64,
        payload_type: PayloadType,
        payload: Vec<u8>,
    ) -> Self {
        ClientMessage {
            message_type: message_type.to_owned(),
            schema_version: 1,
            created_ms: now_ms(),
            sequence,
            flags: 0,
            message_id: uuid::Uuid::new_v4(),
            payload_type,
            payload,
        }
    }

    /// The frame's bytes (HeaderLength 116, digest computed).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(120 + self.payload.len());
        out.extend_from_slice(&HEADER_LENGTH.to_be_bytes());
        let mut mt = [b' '; 32];
        let name = self.message_type.as_bytes();
        let n = name.len().min(32);
        mt[..n].copy_from_slice(&name[..n]);
        out.extend_from_slice(&mt);
        out.extend_from_slice(&self.schema_version.to_be_bytes());
        out.extend_from_slice(&self.created_ms.to_be_bytes());
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.extend_from_slice(&self.flags.to_be_bytes());
        out.extend_from_slice(&uuid_to_wire(self.message_id));
        out.extend_from_slice(&Sha256::digest(&self.payload));
        out.extend_from_slice(&self.payload_type.as_u32().to_be_bytes());
        out.extend_from_slice(&(self.payload.len() as u32).to_be_bytes());
        out.extend_from_slice(&self.payload);
        out
    }

    /// Parses a frame.
    ///
    /// # Errors
    /// [`FrameError`]: truncated input, a header length below 116, a payload
    /// above 4 MiB, a non-ASCII message type, or a digest that does not
    /// match a non-empty payload.
    pub fn decode(b: &[u8]) -> Result<Self, FrameError> {
        if b.len() < MIN_HEADER + 4 {
            return Err(FrameError::Truncated(format!(
                "{} bytes, the fixed header needs 120",
                b.len()
            )));
        }
        let header_length = be_u32(b, 0);
        if (header_length as usize) < MIN_HEADER {
            return Err(FrameError::BadHeaderLength(header_length));
        }
        let hl = header_length as usize;
        if b.len() < hl + 4 {
            return Err(FrameError::Truncated(format!(
                "{} bytes, header length {hl} + 4 needed",
                b.len()
            )));
        }
        let mt = &b[4..36];
        if !mt.is_ascii() {
            return Err(FrameError::BadMessageType);
        }
        let message_type = String::from_utf8_lossy(mt)
            .trim_matches(|c: char| c == ' ' || c == '\0')
            .to_owned();
        let payload_length = be_u32(b, hl);
        if payload_length as usize > MAX_PAYLOAD {
            return Err(FrameError::TooLarge(payload_length));
        }
        let start = hl + 4;
        let end = start + payload_length as usize;
        if b.len() < end {
            return Err(FrameError::Truncated(format!(
                "{} bytes, payload of {payload_length} needs {end}",
                b.len()
            )));
        }
        let payload = b[start..end].to_vec();
        let sequence = be_u64(b, 48) as i64;
        if !payload.is_empty() && Sha256::digest(&payload).as_slice() != &b[80..112] {
            return Err(FrameError::DigestMismatch(sequence));
        }
        Ok(ClientMessage {
            message_type,
            schema_version: be_u32(b, 36),
            created_ms: be_u64(b, 40),
            sequence,
            flags: be_u64(b, 56),
            message_id: uuid_from_wire(&b[64..80]),
            payload_type: PayloadType::from_u32(be_u32(b, 112)),
            payload,
        })
    }
}

/// The acknowledge payload (JSON, PayloadType 0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledge {
    /// Type of the message acknowledged.
    #[serde(rename = "AcknowledgedMessageType")]
    pub message_type: String,
    /// Its id (hyphenated UUID text).
    #[serde(rename = "AcknowledgedMessageId")]
    pub message_id: String,
    /// Its sequence number.
    #[serde(rename = "AcknowledgedMessageSequenceNumber")]
    pub sequence: i64,
    /// Always true.
    #[serde(rename = "IsSequentialMessage")]
    pub sequential: bool,
}

impl Acknowledge {
    /// The acknowledge frame for `m`.
    pub fn frame_for(m: &ClientMessage) -> ClientMessage {
        let ack = Acknowledge {
            message_type: m.message_type.clone(),
            message_id: m.message_id.hyphenated().to_string(),
            sequence: m.sequence,
            sequential: true,
        };
        ClientMessage::new(
            ACKNOWLEDGE,
            0,
            PayloadType::Null,
            serde_json::to_vec(&ack).unwrap_or_default(),
        )
    }
}

/// The terminal size payload (PayloadType 3), in character cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermSize {
    /// Columns.
    pub cols: u16,
    /// Rows.
    pub rows: u16,
}

/// The first (text) websocket message: OpenDataChannelInput.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenDataChannel {
    /// `1.0`.
    #[serde(rename = "MessageSchemaVersion")]
    pub schema_version: String,
    /// A fresh UUID.
    #[serde(rename = "RequestId")]
    pub request_id: String,
    /// StartSession's (or ResumeSession's) TokenValue.
    #[serde(rename = "TokenValue")]
    pub token: String,
    /// The client's id (kept across resumes).
    #[serde(rename = "ClientId")]
    pub client_id: String,
    /// Client version.
    #[serde(rename = "ClientVersion")]
    pub client_version: String,
}

/// One action the agent asks the client to take in the handshake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestedAction {
    /// `SessionType` or `KMSEncryption`.
    #[serde(rename = "ActionType")]
    pub action_type: String,
    /// Its parameters (`{SessionType, Properties}` or `{KMSKeyId}`).
    #[serde(rename = "ActionParameters", default)]
    pub parameters: serde_json::Value,
}

/// HandshakeRequest (PayloadType 5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandshakeRequest {
    /// The agent's version.
    #[serde(rename = "AgentVersion", default)]
    pub agent_version: String,
    /// What the client must do.
    #[serde(rename = "RequestedClientActions", default)]
    pub actions: Vec<RequestedAction>,
}

/// One processed action in the handshake response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessedAction {
    /// The action type answered.
    #[serde(rename = "ActionType")]
    pub action_type: String,
    /// 1 success, 2 failed, 3 unsupported.
    #[serde(rename = "ActionStatus")]
    pub status: u32,
    /// Result (unused for SessionType).
    #[serde(rename = "ActionResult", default)]
    pub result: serde_json::Value,
    /// Why it failed, if it did.
    #[serde(rename = "Error", default)]
    pub error: String,
}

/// HandshakeResponse (PayloadType 6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandshakeResponse {
    /// The client's version.
    #[serde(rename = "ClientVersion")]
    pub client_version: String,
    /// One entry per requested action.
    #[serde(rename = "ProcessedClientActions")]
    pub actions: Vec<ProcessedAction>,
    /// Errors, if any.
    #[serde(rename = "Errors", default)]
    pub errors: Vec<String>,
}

/// HandshakeComplete (PayloadType 7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandshakeComplete {
    /// Nanoseconds the handshake took.
    #[serde(rename = "HandshakeTimeToComplete", default)]
    pub time_to_complete: i64,
    /// A message for the user, if the agent has one.
    #[serde(rename = "CustomerMessage", default)]
    pub customer_message: String,
}

/// Action status: done.
pub const ACTION_SUCCESS: u32 = 1;
/// Action status: tried and failed.
pub const ACTION_FAILED: u32 = 2;
/// Action status: this client does not support it.
pub const ACTION_UNSUPPORTED: u32 = 3;

/// The client's answer to a handshake request: `SessionType` succeeds when
/// it is one this client runs (`supported`), every other action (KMS
/// encryption) is answered unsupported. Returns the response and the session
/// type requested.
pub fn answer_handshake(
    req: &HandshakeRequest,
    supported: &[&str],
) -> (HandshakeResponse, Option<String>) {
    let mut session_type = None;
    let actions = req
        .actions
        .iter()
        .map(|a| {
            if a.action_type == "SessionType" {
                let t = a
                    .parameters
                    .get("SessionType")
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_owned();
                let ok = supported.contains(&t.as_str());
                session_type = Some(t.clone());
                ProcessedAction {
                    action_type: a.action_type.clone(),
                    status: if ok { ACTION_SUCCESS } else { ACTION_FAILED },
                    result: serde_json::Value::Null,
                    error: if ok {
                        String::new()
                    } else {
                        format!("session type {t} is not supported by this client")
                    },
                }
            } else {
                ProcessedAction {
                    action_type: a.action_type.clone(),
                    status: ACTION_UNSUPPORTED,
                    result: serde_json::Value::Null,
                    error: format!("{} is not supported by ssmdeck", a.action_type),
                }
            }
        })
        .collect();
    (
        HandshakeResponse {
            client_version: CLIENT_VERSION.into(),
            actions,
            errors: Vec::new(),
        },
        session_type,
    )
}

/// The version this client reports.
pub const CLIENT_VERSION: &str = "1.2.0.0";

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ClientMessage {
        ClientMessage {
            message_type: OUTPUT_STREAM.into(),
            schema_version: 1,
            created_ms: 1_795_168_800_123,
            sequence: 42,
            flags: FLAG_SYN,
            message_id: uuid::Uuid::from_u128(0x0011_2233_4455_6677_8899_aabb_ccdd_eeff),
            payload_type: PayloadType::Output,
            payload: b"hello\r\n".to_vec(),
        }
    }

    #[test]
    fn round_trip_and_layout() {
        let m = sample();
        let b = m.encode();
        assert_eq!(b.len(), 120 + 7);
        assert_eq!(&b[0..4], &116u32.to_be_bytes());
        assert_eq!(&b[4..22], b"output_stream_data");
        assert!(b[22..36].iter().all(|c| *c == b' '), "space padded");
        assert_eq!(&b[48..56], &42i64.to_be_bytes());
        // The id's halves are swapped on the wire.
        assert_eq!(
            &b[64..72],
            &[0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]
        );
        assert_eq!(&b[112..116], &1u32.to_be_bytes());
        assert_eq!(ClientMessage::decode(&b), Ok(m));
    }

    #[test]
    fn a_longer_header_is_honoured() {
        // A future agent may add header fields: the payload starts at
        // HeaderLength + 4, not at a fixed offset.
        let m = sample();
        let b = m.encode();
        let mut longer = Vec::new();
        longer.extend_from_slice(&124u32.to_be_bytes());
        longer.extend_from_slice(&b[4..116]);
        longer.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0]);
        longer.extend_from_slice(&b[116..]);
        assert_eq!(ClientMessage::decode(&longer).unwrap().payload, m.payload);
    }

    #[test]
    fn digest_mismatch_and_truncation_are_errors() {
        let mut b = sample().encode();
        let last = b.len() - 1;
        b[last] ^= 1;
        assert_eq!(
            ClientMessage::decode(&b),
            Err(FrameError::DigestMismatch(42))
        );
        let b = sample().encode();
        assert!(matches!(
            ClientMessage::decode(&b[..b.len() - 1]),
            Err(FrameError::Truncated(_))
        ));
        assert!(matches!(
            ClientMessage::decode(&b[..50]),
            Err(FrameError::Truncated(_))
        ));
        let mut short = b.clone();
        short[..4].copy_from_slice(&8u32.to_be_bytes());
        assert_eq!(
            ClientMessage::decode(&short),
            Err(FrameError::BadHeaderLength(8))
        );
        let mut huge = b.clone();
        huge[116..120].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            ClientMessage::decode(&huge),
            Err(FrameError::TooLarge(_))
        ));
    }

    #[test]
    fn unknown_types_decode_and_empty_payloads_skip_the_digest() {
        let mut m = sample();
        m.message_type = "some_future_type".into();
        m.payload_type = PayloadType::Unknown(99);
        m.payload.clear();
        let mut b = m.encode();
        b[80..112].fill(0);
        let d = ClientMessage::decode(&b).unwrap();
        assert_eq!(d.message_type, "some_future_type");
        assert_eq!(d.payload_type, PayloadType::Unknown(99));
        assert_eq!(PayloadType::from_u32(99).as_u32(), 99);
    }

    #[test]
    fn random_bytes_never_panic() {
        // A bounded, deterministic stand-in for the cargo-fuzz target
        // (fuzz/fuzz_targets/frame_decoder.rs): mutations of a valid frame
        // and plain noise.
        let valid = sample().encode();
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for i in 0..20_000 {
            let mut b = if i % 2 == 0 {
                valid.clone()
            } else {
                vec![0u8; (next() % 300) as usize]
            };
            for _ in 0..(next() % 8) {
                if b.is_empty() {
                    break;
                }
                let at = (next() as usize) % b.len();
                b[at] = next() as u8;
            }
            let cut = (next() as usize) % (b.len() + 1);
            let _ = ClientMessage::decode(&b[..cut]);
            let _ = ClientMessage::decode(&b);
        }
    }

    #[test]
    fn acknowledgements_name_the_message() {
        let m = sample();
        let ack = Acknowledge::frame_for(&m);
        assert_eq!(ack.message_type, ACKNOWLEDGE);
        assert_eq!(ack.payload_type, PayloadType::Null);
        let a: Acknowledge = serde_json::from_slice(&ack.payload).unwrap();
        assert_eq!(a.sequence, 42);
        assert_eq!(a.message_id, "00112233-4455-6677-8899-aabbccddeeff");
        let json = String::from_utf8(ack.payload).unwrap();
        assert!(
            json.contains("\"AcknowledgedMessageType\":\"output_stream_data\""),
            "{json}"
        );
        assert!(json.contains("\"IsSequentialMessage\":true"));
    }

    #[test]
    fn handshake_answers_session_type_and_refuses_kms() {
        let req: HandshakeRequest = serde_json::from_str(
            r#"{"AgentVersion":"3.3.987.0","RequestedClientActions":[
                {"ActionType":"SessionType","ActionParameters":{"SessionType":"Standard_Stream","Properties":null}},
                {"ActionType":"KMSEncryption","ActionParameters":{"KMSKeyId":"arn:aws:kms:x"}},
                {"ActionType":"SomethingNew"}]}"#,
        )
        .unwrap();
        let (resp, t) = answer_handshake(&req, &["Standard_Stream", "InteractiveCommands"]);
        assert_eq!(t.as_deref(), Some("Standard_Stream"));
        assert_eq!(resp.actions.len(), 3);
        assert_eq!(resp.actions[0].status, ACTION_SUCCESS);
        assert_eq!(resp.actions[1].status, ACTION_UNSUPPORTED);
        assert_eq!(resp.actions[2].status, ACTION_UNSUPPORTED);
        let (resp, _) = answer_handshake(&req, &["Port"]);
        assert_eq!(resp.actions[0].status, ACTION_FAILED);
    }
}
