//! Demo enterprises (filled in with the enterprise module).

use crate::{
    db::{OrgId, Tx},
    demo::{DemoUnion, Lcg},
};

/// Generates the demo enterprises; returns how many.
pub async fn generate(
    _tx: &mut Tx,
    _rng: &mut Lcg,
    _units: &[OrgId],
    _unions: &[DemoUnion],
) -> anyhow::Result<usize> {
    Ok(0)
}
