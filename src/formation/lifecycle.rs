//! The life of a union-formation pipeline: one stage enum, one transition
//! function.
//!
//! A visit (or a cadre on the enterprise page) flags an enterprise without a
//! union — "no union" (未建会) or "wants a union" (有建会意愿) — which opens the
//! pipeline; preparation (筹建) starts; the union is founded (成立, on a date,
//! with its new grassroots union in the org tree) or preparation stalls (停滞)
//! with a reason and may resume. A pipeline opened by mistake or for an
//! enterprise that left is dropped (不再跟进) with a reason. Founded and dropped
//! pipelines are closed; an enterprise has at most one open pipeline.

use serde::{Deserialize, Serialize};

use crate::{
    date::Day,
    db::{OrgId, code_enum},
};

code_enum! {
    /// The stages by their stored codes: the board's columns, the list filter,
    /// and the timeline's event kinds (each step is named by the stage it leads to).
    pub enum StageCode: "fm-stage" {
        /// Flagged by a visit or a cadre.
        Flagged = "flagged",
        /// 筹建.
        Preparing = "preparing",
        /// 成立.
        Founded = "founded",
        /// 停滞.
        Stalled = "stalled",
        /// 不再跟进.
        Dropped = "dropped",
    }
}

/// What the flagging visit found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Wish {
    /// 未建会: no union yet.
    NoUnion,
    /// 有建会意愿: no union yet, and the enterprise or its workers want one.
    WantsUnion,
}

impl Wish {
    pub const ALL: [Wish; 2] = [Wish::NoUnion, Wish::WantsUnion];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Wish::NoUnion => "no_union",
            Wish::WantsUnion => "wants_union",
        }
    }

    /// Parses the stored spelling or the Chinese name.
    pub fn parse(s: &str) -> Option<Wish> {
        match s.trim() {
            "no_union" | "未建会" => Some(Wish::NoUnion),
            "wants_union" | "有建会意愿" => Some(Wish::WantsUnion),
            _ => None,
        }
    }

    /// The catalogue key of its label.
    pub fn label_key(self) -> String {
        format!("fm-wish-{}", self.as_str())
    }
}

/// Where a pipeline stands, with what the stage carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "stage", rename_all = "snake_case")]
#[schema(as = FormationStage)]
pub enum Stage {
    /// Flagged by a visit or a cadre; nothing started yet.
    Flagged,
    /// 筹建: preparing the founding.
    Preparing,
    /// 成立: founded on a date; the new grassroots union.
    Founded { on: Day, union_org: OrgId },
    /// 停滞: preparation stalled, with why.
    Stalled { reason: String },
    /// 不再跟进: closed without a union, with why.
    Dropped { reason: String },
}

/// The stored spellings of the stages, in pipeline order.
pub const STAGE_CODES: [&str; 5] = StageCode::CODES;

/// The stages of an open pipeline (the unique index covers exactly these).
pub const OPEN_CODES: [&str; 3] = ["flagged", "preparing", "stalled"];

impl Stage {
    /// The stored spelling.
    pub fn code(&self) -> &'static str {
        match self {
            Stage::Flagged => "flagged",
            Stage::Preparing => "preparing",
            Stage::Founded { .. } => "founded",
            Stage::Stalled { .. } => "stalled",
            Stage::Dropped { .. } => "dropped",
        }
    }

    /// Whether the pipeline is still open (the enterprise may not get a second).
    pub fn is_open(&self) -> bool {
        OPEN_CODES.contains(&self.code())
    }

    /// The stored columns: stage, founded on, union org, reason.
    pub fn columns(&self) -> (&'static str, Option<String>, Option<OrgId>, Option<String>) {
        match self {
            Stage::Founded { on, union_org } => {
                (self.code(), Some(on.iso()), Some(*union_org), None)
            }
            Stage::Stalled { reason } | Stage::Dropped { reason } => {
                (self.code(), None, None, Some(reason.clone()))
            }
            _ => (self.code(), None, None, None),
        }
    }

    /// Reads the stored columns; `None` for a combination this code never
    /// writes (the CHECK constraints refuse them too).
    pub fn from_columns(
        stage: &str,
        founded_on: Option<&str>,
        union_org: Option<OrgId>,
        reason: Option<String>,
    ) -> Option<Stage> {
        match stage {
            "flagged" => Some(Stage::Flagged),
            "preparing" => Some(Stage::Preparing),
            "founded" => Some(Stage::Founded {
                on: Day::from_db(founded_on?)?,
                union_org: union_org?,
            }),
            "stalled" => Some(Stage::Stalled { reason: reason? }),
            "dropped" => Some(Stage::Dropped { reason: reason? }),
            _ => None,
        }
    }
}

/// Something a cadre does to a pipeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Flag the enterprise (opens a pipeline; on a flagged one, records the new finding).
    Flag(Wish),
    /// Start preparing (from flagged) or resume (from stalled).
    Prepare,
    /// The union was founded on a date; `union_org` is the new grassroots union.
    Found { on: Day, union_org: OrgId },
    /// Preparation stalled.
    Stall { reason: String },
    /// Stop following the enterprise.
    Drop { reason: String },
}

impl Action {
    /// The stored event kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Flag(_) => "flagged",
            Action::Prepare => "preparing",
            Action::Found { .. } => "founded",
            Action::Stall { .. } => "stalled",
            Action::Drop { .. } => "dropped",
        }
    }

    /// The reason given, if the action takes one.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Action::Stall { reason } | Action::Drop { reason } => Some(reason),
            _ => None,
        }
    }
}

/// Why a transition is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    #[error("this action is not allowed at the pipeline's current stage")]
    NotAllowed,
    #[error("a reason is required")]
    ReasonRequired,
    #[error("the founding date cannot be in the future")]
    FutureDate,
}

/// The one transition function: the stage after `action` from `from` (`None`:
/// no open pipeline yet), or why not. `today` bounds the founding date.
pub fn transition(
    from: Option<&Stage>,
    action: &Action,
    today: Day,
) -> Result<Stage, LifecycleError> {
    use LifecycleError::*;
    if action.reason().is_some_and(|r| r.trim().is_empty()) {
        return Err(ReasonRequired);
    }
    match (from, action) {
        (None | Some(Stage::Flagged), Action::Flag(_)) => Ok(Stage::Flagged),
        (Some(Stage::Flagged | Stage::Stalled { .. }), Action::Prepare) => Ok(Stage::Preparing),
        (Some(Stage::Preparing), Action::Found { on, union_org }) => {
            if *on > today {
                Err(FutureDate)
            } else {
                Ok(Stage::Founded {
                    on: *on,
                    union_org: *union_org,
                })
            }
        }
        (Some(Stage::Preparing), Action::Stall { reason }) => Ok(Stage::Stalled {
            reason: reason.trim().to_string(),
        }),
        (
            Some(Stage::Flagged | Stage::Preparing | Stage::Stalled { .. }),
            Action::Drop { reason },
        ) => Ok(Stage::Dropped {
            reason: reason.trim().to_string(),
        }),
        _ => Err(NotAllowed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> Day {
        Day::from_ymd(2019, 11, d).unwrap()
    }
    const TODAY: u32 = 15;
    const UNION: OrgId = OrgId(77);

    fn stages() -> Vec<(&'static str, Option<Stage>)> {
        vec![
            ("none", None),
            ("flagged", Some(Stage::Flagged)),
            ("preparing", Some(Stage::Preparing)),
            (
                "founded",
                Some(Stage::Founded {
                    on: day(1),
                    union_org: UNION,
                }),
            ),
            (
                "stalled",
                Some(Stage::Stalled {
                    reason: "企业负责人出差".into(),
                }),
            ),
            (
                "dropped",
                Some(Stage::Dropped {
                    reason: "企业已迁出本区".into(),
                }),
            ),
        ]
    }

    fn actions() -> Vec<(&'static str, Action)> {
        vec![
            ("flag", Action::Flag(Wish::WantsUnion)),
            ("prepare", Action::Prepare),
            (
                "found",
                Action::Found {
                    on: day(10),
                    union_org: UNION,
                },
            ),
            (
                "stall",
                Action::Stall {
                    reason: "等待职工代表推选".into(),
                },
            ),
            (
                "drop",
                Action::Drop {
                    reason: "重复登记".into(),
                },
            ),
        ]
    }

    /// Every (stage, action) pair: the stage it leads to, or the refusal.
    #[test]
    fn every_legal_and_illegal_transition() {
        use LifecycleError::NotAllowed;
        type Expect = Result<&'static str, LifecycleError>;
        let no: Expect = Err(NotAllowed);
        #[rustfmt::skip]
        let table: Vec<(&str, [Expect; 5])> = vec![
            //              flag           prepare          found          stall          drop
            ("none",      [Ok("flagged"), no,              no,            no,            no]),
            ("flagged",   [Ok("flagged"), Ok("preparing"), no,            no,            Ok("dropped")]),
            ("preparing", [no,            no,              Ok("founded"), Ok("stalled"), Ok("dropped")]),
            ("founded",   [no,            no,              no,            no,            no]),
            ("stalled",   [no,            Ok("preparing"), no,            no,            Ok("dropped")]),
            ("dropped",   [no,            no,              no,            no,            no]),
        ];
        let stages = stages();
        let actions = actions();
        let mut checked = 0;
        for (label, expected) in &table {
            let from = &stages.iter().find(|(l, _)| l == label).unwrap().1;
            for ((action_label, action), want) in actions.iter().zip(expected) {
                let got = transition(from.as_ref(), action, day(TODAY)).map(|s| s.code());
                assert_eq!(&got, want, "{label} + {action_label}");
                checked += 1;
            }
        }
        assert_eq!(
            checked,
            stages.len() * actions.len(),
            "every pair is in the table"
        );
    }

    #[test]
    fn reasons_are_required_and_founding_dates_are_not_in_the_future() {
        let t = day(TODAY);
        for blank in [
            Action::Stall { reason: " ".into() },
            Action::Drop { reason: "".into() },
        ] {
            assert_eq!(
                transition(Some(&Stage::Preparing), &blank, t),
                Err(LifecycleError::ReasonRequired)
            );
        }
        let later = Action::Found {
            on: day(TODAY + 1),
            union_org: UNION,
        };
        assert_eq!(
            transition(Some(&Stage::Preparing), &later, t),
            Err(LifecycleError::FutureDate)
        );
        let today = Action::Found {
            on: t,
            union_org: UNION,
        };
        assert_eq!(
            transition(Some(&Stage::Preparing), &today, t),
            Ok(Stage::Founded {
                on: t,
                union_org: UNION
            })
        );
    }

    #[test]
    fn stages_round_trip_through_their_columns_and_open_means_not_closed() {
        for (_, s) in stages() {
            let Some(s) = s else { continue };
            let (stage, on, union, reason) = s.columns();
            assert_eq!(
                Stage::from_columns(stage, on.as_deref(), union, reason),
                Some(s.clone())
            );
            assert_eq!(
                s.is_open(),
                !matches!(s, Stage::Founded { .. } | Stage::Dropped { .. })
            );
        }
        assert_eq!(
            Stage::from_columns("founded", None, Some(UNION), None),
            None
        );
        assert_eq!(Stage::from_columns("stalled", None, None, None), None);
        assert_eq!(Stage::from_columns("odd", None, None, None), None);
        assert_eq!(Wish::parse("有建会意愿"), Some(Wish::WantsUnion));
        assert_eq!(Wish::parse("maybe"), None);
    }
}
