//! Importing orgs and enterprises from XLSX and CSV, and exporting them.

pub mod http;
