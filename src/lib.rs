//! ssmdeck: a terminal operations console for AWS Systems Manager.
//!
//! Flow: terminal event → keymap → [`action::Action`] → synchronous
//! [`app::App::update`] → [`app::Effect`]s run as cancellable tokio tasks
//! ([`runtime::TaskManager`]) → result actions → coalesced, pure
//! [`ui::render`].

pub mod action;
pub mod app;
pub mod audit;
pub mod aws;
pub mod cli;
pub mod config;
pub mod filter;
pub mod model;
pub mod ops_filter;
pub mod runtime;
pub mod session;
pub mod tui;
pub mod ui;
