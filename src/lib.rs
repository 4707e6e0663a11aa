//! Qingting (倾听): trade-union outreach campaigns, from the organisation tree
//! to the summary tables. `ls src` says what the product does: each domain
//! folder owns its types (`mod.rs`), queries (`store.rs`) and routes (`http.rs`);
//! `db`, `web`, `auth`, `i18n`, `config` and `cli` are the thin shared plumbing.

pub mod account;
pub mod activity;
pub mod attachment;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod calendar;
pub mod campaign;
pub mod cli;
pub mod config;
pub mod dashboard;
pub mod date;
pub mod db;
pub mod demo;
pub mod enterprise;
pub mod error;
pub mod formation;
pub mod i18n;
pub mod import;
pub mod mediation;
pub mod money;
pub mod notify;
pub mod org;
pub mod pdf;
pub mod privacy;
pub mod problem;
pub mod report;
pub mod service;
pub mod startup;
pub mod stationing;
pub mod summary;
pub mod supervision;
pub mod survey;
pub mod tabular;
pub mod todo;
pub mod user;
pub mod web;
pub mod webhook;
pub mod workday;
