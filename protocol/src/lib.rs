//! The Session Manager data channel protocol, without I/O: the frame
//! codec and payloads ([`frame`]) and the reliability rules ([`channel`]).
//! Shared by the console's client and the lab's agent side, so both speak
//! the same bytes.
//!
//! Source: shared/reference/session-manager-protocol.md (from
//! aws/session-manager-plugin).

pub mod channel;
pub mod frame;
pub mod smux;
