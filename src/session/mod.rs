//! Session Manager: the data channel protocol (the `ssmdeck-protocol`
//! crate, shared with the lab) and, on top of it, the console's sessions.
//!
//! Source: shared/reference/session-manager-protocol.md.

pub use ssmdeck_protocol::channel;
pub use ssmdeck_protocol::frame as protocol;

pub mod client;
pub mod forward;
pub mod hub;
pub mod keys;
pub mod plugin;
