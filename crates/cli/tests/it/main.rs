//! The `thidua` command's integration tests, in one binary.

mod cli;
mod verify_ballot;
mod report_templates;
