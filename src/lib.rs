//! ssmdeck: a terminal operations console for AWS Systems Manager.
//!
//! Flow: terminal event → keymap → [`action::Action`] → synchronous
//! [`app::App::update`] → [`app::Effect`]s, each a pane's typed
//! [`job::Job`], run by one runner ([`runtime::TaskManager`]: slots,
//! read-only gate, audit log) → result actions tagged with their context →
//! coalesced, pure [`ui::render`].

pub mod action;
pub mod app;
pub mod audit;
pub mod aws;
pub mod cli;
pub mod config;
pub mod filter;
pub mod job;
pub mod keys;
pub mod model;
pub mod ops_filter;
pub mod pane;
pub mod panes;
pub mod runtime;
pub mod session;
pub mod tui;
pub mod ui;
pub mod widgets;
