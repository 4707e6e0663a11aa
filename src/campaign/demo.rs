//! Demo campaigns of seed 000 (loaded from `crate::demo`).
