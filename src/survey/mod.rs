//! Questionnaires: the expression language of skip logic and constraints
//! (`expr`), the form model (`form`) and XLSForm import and export (`xlsform`).

pub mod expr;
pub mod form;
pub mod xlsform;
