//! Persistence for thidua: one storage API, [`Store`], that speaks the domain (import a
//! catalog, record values, roll a cluster up) over SQLite — the embedded default — or
//! PostgreSQL, chosen once at start from the database URL. Each backend has its own
//! migrations; the queries themselves are written once, in SQL both backends accept.

mod accounts;
mod audit;
mod catalog;
mod conference;
mod demo;
mod demo_reform;
mod dhis2;
mod emulation;
mod error;
mod forms;
mod import;
mod imported;
mod lineage;
mod migrate;
mod news;
mod notifications;
mod register;
mod scan;
mod search;
mod secret;
mod signers;
mod store;
mod templates;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
mod tokens;
mod url;
mod values;

pub use accounts::{LoginAttempt, LoginPolicy, NewUser, Session, User};
pub use audit::{AuditProblem, AuditReport};
pub use demo::{DEMO_ACCOUNTS, DEMO_AWARDS, DEMO_CRITERIA, DEMO_FILES, DEMO_PASSWORD};
pub use demo_reform::{DEMO_ILLUSTRATIVE_CLUSTERS, DEMO_REFORM_CLUSTER, REFORM_CHANGES};
pub use emulation::{
    Actor, Ballot, BallotSeal, CriteriaSummary, DecisionInput, EvidenceFile, EvidenceInfo, ProposalFilter, Ranking,
    SavedCriteria, ScoreComparison, ScoreSheet, SheetInput, StoredCriteria, StoredDecision, StoredProposal,
};
pub use error::StoreError;
pub use forms::{AuditEvent, Decision, FormInput, FormStatus, MemberStatus, Narrative, Saved, Submission};
pub use import::{ImportProgress, ImportSummary, MAX_LISTED, ValuesImport};
pub use imported::ImportedFigures;
pub use news::{Article, NewArticle};
pub use notifications::{MAX_MAIL_TRIES, NewNotification, Notification, PendingMail};
pub use register::DocumentKey;
pub use search::SearchHit;
pub use secret::ServerKey;
pub use store::{Backend, Store};
pub use templates::{ClusterTemplate, template_sha256};
pub use tokens::{
    ApiToken, DEFAULT_EXPIRY_DAYS, Expiry, ExpiryError, MAX_EXPIRY_DAYS, MAX_TOKENS_PER_USER, TOKEN_PREFIX, TokenCheck,
};
pub use url::DatabaseUrl;
pub use values::{StoredNumber, ValueChanges};
