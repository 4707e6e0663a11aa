//! Questionnaires; so far the expression language of skip logic and constraints.

pub mod expr;
