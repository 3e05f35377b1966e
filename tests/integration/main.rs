//! Every integration test in one binary (one link of the AWS SDKs instead of
//! fifteen): the lab in-process over HTTP, moto, and the real binary in tmux.

mod activations_pane;
mod automation_pane;
mod commands_pane;
mod common;
mod config_check;
mod contexts;
mod e2e_tmux;
mod fleet_pane;
mod lab_associations;
mod lab_commands;
mod lab_demo;
mod lab_explorer;
mod lab_fleet;
mod lab_idle;
mod lab_inventory;
mod lab_maintenance;
mod lab_opscenter;
mod lab_paging;
mod lab_patch;
mod lab_protocols;
mod lab_sessions;
mod lab_tenancy;
mod lab_validation;
mod letters_json;
mod logging;
mod maintenance_pane;
mod model_shapes;
mod moto;
mod navigation;
mod opscenter_pane;
mod params_pane;
mod params_suite;
mod posture_panes;
mod safety;
mod sessions_pane;
