//! The steps operations are made of — plan a release, judge a plan's gates, apply it, verify
//! the deployment, rehearse a rollback, drive a whole promotion — shared by the operations so
//! that no operation calls another.

pub(crate) mod apply;
pub(crate) mod assess;
pub(crate) mod drive;
pub(crate) mod gates;
pub(crate) mod keep;
pub(crate) mod migrations;
pub(crate) mod plan;
pub(crate) mod rehearse;
pub(crate) mod secrets;
pub(crate) mod state;
pub(crate) mod verify;
pub(crate) mod workdir;
