//! Enterprises and public institutions that cadres visit.

pub mod demo;
pub mod http;
