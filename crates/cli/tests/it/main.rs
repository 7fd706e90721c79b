//! The `thidua` command's integration tests, in one binary.

mod cli;
mod report_templates;
mod review_parity;
mod verify_ballot;
