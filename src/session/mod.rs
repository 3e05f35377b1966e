//! Session Manager: the data channel protocol (framing, handshake,
//! acknowledgements, retransmission, reordering) and, on top of it, the
//! console's sessions.
//!
//! Source: shared/reference/session-manager-protocol.md.

pub mod channel;
pub mod protocol;
