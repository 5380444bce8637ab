//! The operations, one module per area. Each is a method on [`crate::App`] taking typed input
//! and the acting [`crate::Claim`], returning a view from [`crate::views`] or an
//! [`crate::AppError`]. Operations share steps (`crate::steps`), never each other.

pub mod advise;
pub mod approve;
pub mod audit;
pub mod ci;
pub mod drift;
pub mod gc;
pub mod init;
pub mod ledger;
pub mod migrate;
pub mod plan;
pub mod policy;
pub mod promote;
mod receive;
pub mod release;
pub mod remote;
pub mod review;
pub mod status;
pub mod team;
