//! One integration-test binary: the real HTTP app on a fresh database per test.
//! SQLite by default; set QINGTING_TEST_POSTGRES to a server URL (e.g.
//! postgres://postgres@127.0.0.1:5432) to run the same tests on PostgreSQL.

mod access;
mod account;
mod activities;
mod api_errors;
mod attachments;
mod audit_log;
mod backups;
mod calendar;
mod campaigns;
mod dashboard;
mod enterprises;
mod formation;
mod helpers;
mod import;
mod login;
mod mediation;
mod metrics;
mod misc;
mod notify;
mod openapi;
mod orgs;
mod privacy;
mod problems;
mod public;
mod report;
mod robots;
mod schema_parity;
mod service;
mod sessions;
mod smtp;
mod stationing;
mod summaries;
mod supervision;
mod survey_analysis;
mod surveys;
mod todo;
mod users;
mod webhooks;
mod work_group_edit;
mod workdays;
