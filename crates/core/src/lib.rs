//! The domain of thidua — the emulation-and-commendation work (thi đua – khen thưởng) of
//! the Vietnam Fatherland Front — as types and pure functions: units in a tree, clusters,
//! reporting periods, indicators and their formulas and validation rules, the rollup of
//! reported figures, the year's emulation (criteria, pledges, scoring, the secret vote,
//! awards), and Vietnamese text and numbers. Nothing here does I/O; the store,
//! the web server and the CLI build on it.

pub mod access;
pub mod account;
pub mod cluster;
pub mod code;
pub mod comparison;
pub mod conference;
pub mod cube;
pub mod dhis2;
pub mod emulation;
pub mod error;
pub mod formula;
pub mod import;
pub mod indicator;
pub mod lineage;
pub mod number;
pub mod password;
pub mod period;
pub mod period_range;
pub mod rollup;
pub mod rule;
pub mod signers;
pub mod text;
pub mod toml_file;
pub mod unit;
pub mod value;
pub mod workflow;

pub use access::{Access, Principal, Role};
pub use cluster::Cluster;
pub use code::{ClusterCode, IndicatorCode, UnitCode};
pub use conference::Conference;
pub use error::Error;
pub use formula::Formula;
pub use indicator::{Aggregation, Catalog, Indicator, ValueType};
pub use period::Period;
pub use period_range::PeriodRange;
pub use rule::ValidationRule;
pub use unit::{Unit, UnitTree};
pub use value::{DataValue, Value};
