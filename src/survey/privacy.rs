//! Personal numbers (phones, ID and bank card numbers) that respondents type
//! into answers: shown masked to readers of a survey whose role at its org
//! does not need them, in full to cadres and admins there — and then every
//! page, API answer or export that shows one is audited, one row per view.
//! Every place that hands answer text to a caller goes through [`AnswerView`].

use std::collections::BTreeMap;

use crate::{
    audit::{self, Action, Entry},
    auth::Caller,
    db::{Db, DbError, OrgId, ResponseId, SurveyId},
    privacy::{self, Disclosure},
};

use super::{
    Survey,
    analysis::store::StoredResponse,
    validity::{Reason, ResponseItem},
};

/// How one caller sees the answers of one survey.
#[derive(Clone, Copy, Debug)]
pub struct AnswerView {
    survey: SurveyId,
    org: OrgId,
    /// Full for cadres and admins over the survey's org, else masked.
    pub disclosure: Disclosure,
}

/// Response ids named in one audit row at most (pages show 50).
const AUDITED_IDS: usize = 50;

impl AnswerView {
    /// The view of `caller` on the answers of `s`.
    pub async fn of(db: &Db, caller: &Caller, s: &Survey) -> Result<AnswerView, DbError> {
        Ok(AnswerView {
            survey: s.id,
            org: s.org_id,
            disclosure: Disclosure::of(db, caller, s.org_id).await?,
        })
    }

    /// A view that masks, whoever asks (for texts that leave the survey, like a problem made from an answer).
    pub fn masked(s: &Survey) -> AnswerView {
        AnswerView {
            survey: s.id,
            org: s.org_id,
            disclosure: Disclosure::Masked,
        }
    }

    /// Masks one text for a reader without the need; says whether it held a personal number.
    pub fn text(&self, text: &mut String) -> bool {
        if !privacy::contains(text) {
            return false;
        }
        if !self.disclosure.is_full() {
            *text = privacy::mask(text).into_owned();
        }
        true
    }

    /// Masks every answer of a response (free text, "other" texts, numbers
    /// typed as text) for a reader without the need; says whether any held a
    /// personal number.
    pub fn answers(&self, answers: &mut BTreeMap<String, String>) -> bool {
        let mut any = false;
        for v in answers.values_mut() {
            any |= self.text(v);
        }
        any
    }

    /// [`AnswerView::answers`] for a response in the review list, whose
    /// reasons may quote an answer (a failed attention check).
    pub fn response(&self, r: &mut ResponseItem) -> bool {
        let mut any = self.answers(&mut r.answers);
        for e in &mut r.reasons {
            if let Reason::AttentionCheck { answer, .. } = &mut e.reason {
                any |= self.text(answer);
                self.text(&mut e.message);
            }
        }
        any
    }

    /// [`AnswerView::answers`] for a stored response, whose verdict's reasons
    /// (JSON) may quote an answer.
    pub fn stored(&self, r: &mut StoredResponse) -> bool {
        let any = self.answers(&mut r.answers);
        self.text(&mut r.invalid_reasons) || any
    }

    /// Appends one audit row when personal numbers of `responses` were shown
    /// in full (`place` says where: a page, an API, an export); nothing for a
    /// masked view or when none was shown.
    pub async fn audit(
        &self,
        db: &Db,
        caller: &Caller,
        place: &str,
        responses: &[ResponseId],
    ) -> Result<(), DbError> {
        if !self.disclosure.is_full() || responses.is_empty() {
            return Ok(());
        }
        let target = match responses {
            [one] => format!("survey:{}/response:{one}", self.survey),
            _ => format!("survey:{}", self.survey),
        };
        let mut ids: Vec<String> = responses
            .iter()
            .take(AUDITED_IDS)
            .map(|r| r.to_string())
            .collect();
        if responses.len() > AUDITED_IDS {
            ids.push(format!("… ({} in all)", responses.len()));
        }
        let e = Entry::by(caller, self.org, Action::PersonalDataViewed)
            .target(target)
            .detail(format!("{place}: responses {}", ids.join(", ")));
        audit::store::record(db.pool(), &e).await
    }
}
