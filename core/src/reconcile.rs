//! Never a doubled or lost check. PassFort's `POST .../checks` has no
//! idempotency key, so when its answer is lost after the request may have
//! reached PassFort, the client looks for the check the request may have
//! created and adopts it; it sends the request again only once a grace period
//! has passed without such a check appearing.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::{DateTime, SubsecRound, Utc};

use crate::client::{CheckRequest, Client, VariantSelector};
use crate::error::{Error, Result};
use crate::http::{Answer, ApiRequest};
use crate::models::Check;

/// How often the profile's checks are read while looking.
const LOOK_EVERY: Duration = Duration::from_millis(500);

impl Client {
    /// Sends a check creation so that it creates exactly one check, or fails
    /// with an error that says whether one may exist.
    pub(crate) async fn create_check(&self, profile_id: &str, check: &CheckRequest, request: &ApiRequest) -> Result<Check> {
        self.create_check_answered(profile_id, check, request).await.map(|(check, _)| check)
    }

    /// As [`Client::create_check`], with PassFort's answer when there was one
    /// (`None` when the check was adopted by reading back).
    pub(crate) async fn create_check_answered(
        &self,
        profile_id: &str,
        check: &CheckRequest,
        request: &ApiRequest,
    ) -> Result<(Check, Option<Answer>)> {
        let config = self.config();
        let max_resends = request.max_retries.unwrap_or(config.max_retries);
        let mut resends = 0;
        loop {
            let sent_at = Utc::now();
            let sent = match self.transport().send_answer(request).await {
                Ok(answer) => crate::http::decode::<Check>(request, answer.status, &answer.body, config.include_body_snippets)
                    .map(|created| (created, answer)),
                Err(error) => Err(error),
            };
            let error = match sent {
                Ok((created, answer)) if self.claim_check(&created.id) => return Ok((created, Some(answer))),
                Ok((created, _)) => {
                    // Another call of this client, whose own answer was lost,
                    // adopted the check this request created while the answer
                    // was on its way. That call's request may have created a
                    // check too: look for it as if this answer had been lost.
                    tracing::info!(
                        profile_id,
                        check_id = created.id.as_str(),
                        "created check already adopted by another call; reconciling"
                    );
                    Error::Connection {
                        method: "POST".into(),
                        path: request.path.clone(),
                        message: "the check created was adopted by another call".into(),
                        request_sent: true,
                        cause: crate::error::Cause::Other,
                    }
                }
                Err(error) if !error.may_have_reached_server() => return Err(error),
                Err(error) => error,
            };
            tracing::warn!(profile_id, check_type = check.check_type.as_str(), error = %error, "check creation answer lost; reconciling");
            // Boxed: a rare path, whose room every check creation would otherwise carry.
            match Box::pin(self.find_created_check(profile_id, check, sent_at)).await {
                Ok(Some(adopted)) => {
                    tracing::info!(profile_id, check_id = adopted.id.as_str(), "adopted the check the lost request created");
                    return Ok((adopted, None));
                }
                // Looked for the whole grace period: PassFort did not create it.
                Ok(None) if resends < max_resends => resends += 1,
                Ok(None) => return Err(error),
                Err(listing) => {
                    return Err(Error::AmbiguousCheckCreation {
                        profile_id: profile_id.to_owned(),
                        check_type: check.check_type.as_str().to_owned(),
                        task_ids: check.task_ids.clone(),
                        sent_at,
                        message: format!("{error}; then reading the profile's checks failed: {listing}"),
                    })
                }
            }
        }
    }

    /// Looks, for up to the grace period, for an unclaimed check that the
    /// request sent at `sent_at` may have created, and claims it.
    async fn find_created_check(&self, profile_id: &str, check: &CheckRequest, sent_at: DateTime<Utc>) -> Result<Option<Check>> {
        let config = self.config();
        let deadline = Instant::now() + config.reconcile_grace;
        let earliest = sent_at - chrono::Duration::from_std(config.clock_skew).unwrap_or_default();
        loop {
            let mut candidates: Vec<Check> =
                self.list_checks(profile_id).await?.into_iter().filter(|candidate| matches_request(candidate, check, earliest)).collect();
            // Earliest first: of two identical requests, the earlier lost
            // answer adopts the earlier check, and a later call never finds
            // its own window emptied by an earlier one.
            candidates.sort_by_key(|candidate| candidate.instructed_on);
            let found = candidates.into_iter().find(|candidate| self.claim_check(&candidate.id));
            if found.is_some() {
                return Ok(found);
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(LOOK_EVERY.min(deadline - now)).await;
        }
    }
}

/// Could `candidate` be the check `request` created, if sent no earlier than `earliest`?
fn matches_request(candidate: &Check, request: &CheckRequest, earliest: DateTime<Utc>) -> bool {
    let same_tasks = candidate.task_ids.iter().collect::<HashSet<_>>() == request.task_ids.iter().collect::<HashSet<_>>();
    let same_variant = match &request.variant {
        None => true,
        Some(VariantSelector::Alias(alias)) => candidate.variant.as_ref().and_then(|v| v.alias.as_ref()) == Some(alias),
        Some(VariantSelector::Id(id)) => candidate.variant.as_ref().and_then(|v| v.id.as_ref()) == Some(id),
    };
    // A type-specific field (`document_id`, ...) that the check echoes must
    // have the same value: a check for another document is not this
    // request's check. One PassFort does not echo cannot tell either way.
    let same_fields = request.fields.iter().all(|(name, value)| candidate.field(name).map_or(true, |echoed| &echoed == value));
    // instructed_on has whole seconds: compare against the second we sent in.
    let recent = candidate.instructed_on.is_some_and(|instructed| instructed >= earliest.trunc_subsecs(0));
    candidate.check_type == request.check_type && same_tasks && same_variant && same_fields && recent
}
