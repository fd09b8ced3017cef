//! The APNs destination: turns an event into one notice, fans it out to the restaurant's devices over the one
//! HTTP/2 connection, records each device's answer, and tells the relay engine done / retry / fatal.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ocpizza_core::events::{ORDER_CREATED, ORDER_STATUS_CHANGED};
use sqlx::MySqlPool;
use tokio::task::JoinSet;

use super::client::{ApnsClient, Push, PushResult};
use super::clock::Clock;
use super::messages::Notice;
use super::payload;
use super::store;
use crate::destination::{DeliverFuture, Delivery, DeliveryError, Destination, Outcome};

/// How long APNs may keep a push for an offline device: an order notice older than this is noise.
const EXPIRATION: Duration = Duration::from_secs(3600);

/// What one device's answer means for the delivery.
#[derive(Debug, Clone, PartialEq)]
enum Verdict {
    Sent,
    /// The token is dead; the device was (or, when re-registered since, was not) marked unregistered.
    Unregistered,
    Retry {
        reason: String,
        retry_after: Option<Duration>,
    },
    Fatal {
        reason: String,
    },
}

pub struct ApnsDestination {
    /// One client (one HTTP/2 connection) per device environment served: `production`, `sandbox`.
    clients: Vec<(&'static str, Arc<ApnsClient>)>,
    pool: MySqlPool,
    clock: Arc<dyn Clock>,
}

impl ApnsDestination {
    pub fn from_parts(
        clients: Vec<(&'static str, Arc<ApnsClient>)>,
        pool: MySqlPool,
        clock: Arc<dyn Clock>,
    ) -> Self {
        ApnsDestination {
            clients,
            pool,
            clock,
        }
    }

    /// The client for devices of `environment`, if that environment is served.
    pub fn client(&self, environment: &str) -> Option<&Arc<ApnsClient>> {
        self.clients
            .iter()
            .find(|(env, _)| *env == environment)
            .map(|(_, c)| c)
    }

    fn environments(&self) -> Vec<&'static str> {
        self.clients.iter().map(|(env, _)| *env).collect()
    }

    async fn run(&self, d: &Delivery) -> Result<Outcome, DeliveryError> {
        let db = |e: sqlx::Error| DeliveryError::Retry {
            reason: format!("apns: database: {e}"),
            retry_after: None,
        };
        let address = match Notice::needs_address(&d.event) {
            Some(order) => store::delivery_address(&self.pool, order)
                .await
                .map_err(db)?,
            None => None,
        };
        let Some(notice) = Notice::for_event(&d.event, address.as_ref()) else {
            return Ok(Outcome::Skipped("no push for this event".into()));
        };
        let Some(restaurant_id) = store::restaurant_id(&self.pool, &notice.restaurant)
            .await
            .map_err(db)?
        else {
            return Ok(Outcome::Skipped(format!(
                "unknown restaurant {:?}",
                notice.restaurant
            )));
        };
        let body =
            payload::build(&notice, payload::MAX_PAYLOAD).ok_or_else(|| DeliveryError::Fatal {
                reason: "apns: the notice cannot fit in 4096 bytes".into(),
            })?;
        // APNs allows at most 64 bytes; references are ≤ 32 in OCPizza_DB, the fallback keeps it per order anyway.
        let collapse_id = if notice.reference.len() <= 64 {
            notice.reference.clone()
        } else {
            format!("order-{}", notice.shop_order_id)
        };

        store::enrol(
            &self.pool,
            d.delivery_id,
            restaurant_id,
            notice.roles,
            &self.environments(),
        )
        .await
        .map_err(db)?;
        let pending = store::pending(&self.pool, d.delivery_id)
            .await
            .map_err(db)?;
        let expiration = self.clock.unix_secs() + EXPIRATION.as_secs();

        let body: Arc<[u8]> = body.into();
        let collapse_id: Arc<str> = collapse_id.into();
        let mut tasks = JoinSet::new();
        for target in pending {
            let Some(client) = self.client(&target.environment).cloned() else {
                continue;
            };
            let (pool, body, collapse_id) = (self.pool.clone(), body.clone(), collapse_id.clone());
            let clock = self.clock.clone();
            tasks.spawn(async move {
                let push = Push {
                    device_token: &target.token,
                    collapse_id: &collapse_id,
                    payload: &body,
                    expiration,
                };
                let result = client.send(&push).await;
                record(&pool, &target, result, clock.as_ref()).await
            });
        }
        let mut retry: Option<(String, Option<Duration>)> = None;
        let mut fatal: Option<String> = None;
        while let Some(joined) = tasks.join_next().await {
            let verdict = joined.unwrap_or_else(|e| Verdict::Retry {
                reason: format!("apns: send task failed: {e}"),
                retry_after: None,
            });
            match verdict {
                Verdict::Sent | Verdict::Unregistered => {}
                Verdict::Retry {
                    reason,
                    retry_after,
                } => {
                    let later = retry.as_ref().and_then(|r| r.1).max(retry_after);
                    retry = Some((retry.map(|r| r.0).unwrap_or(reason), later));
                }
                Verdict::Fatal { reason } => {
                    fatal.get_or_insert(reason);
                }
            }
        }
        let rows = store::rows(&self.pool, d.delivery_id).await.map_err(db)?;
        let count = |s: &str| rows.iter().filter(|r| r.status == s).count();
        let summary = format!(
            "{} sent, {} unregistered, {} skipped, {} pending",
            count("sent"),
            count("unregistered"),
            count("skipped"),
            count("pending")
        );
        if let Some(reason) = fatal {
            return Err(DeliveryError::Fatal {
                reason: format!("{reason} ({summary})"),
            });
        }
        if let Some((reason, retry_after)) = retry {
            return Err(DeliveryError::Retry {
                reason: format!("{reason} ({summary})"),
                retry_after,
            });
        }
        if rows.is_empty() {
            return Ok(Outcome::Skipped(format!(
                "no active {} device with role {} at {}",
                self.environments().join("/"),
                notice.roles.join("/"),
                notice.restaurant
            )));
        }
        Ok(Outcome::Done(serde_json::json!({
            "collapse_id": &*collapse_id,
            "title": notice.title,
            "body": notice.body,
            "sent": count("sent"),
            "unregistered": count("unregistered"),
            "skipped": count("skipped"),
            "devices": rows,
        })))
    }
}

/// Classifies one answer as the APNs reference says, and writes it to the device's row.
async fn record(
    pool: &MySqlPool,
    target: &store::PendingSend,
    result: Result<PushResult, super::ApnsError>,
    clock: &dyn Clock,
) -> Verdict {
    let verdict = classify(&result);
    let now: DateTime<Utc> = clock.now().into();
    let written = match (&result, &verdict) {
        (Ok(PushResult::Accepted { apns_id }), _) => {
            store::mark_sent(pool, target.send_id, apns_id).await
        }
        (
            Ok(PushResult::Rejected {
                status,
                reason,
                timestamp_ms,
                ..
            }),
            Verdict::Unregistered,
        ) => {
            let since = timestamp_ms
                .and_then(DateTime::<Utc>::from_timestamp_millis)
                .unwrap_or(now);
            store::mark_unregistered(
                pool,
                target.send_id,
                target.device_id,
                *status,
                reason,
                since,
            )
            .await
            .map(|marked| {
                if !marked {
                    tracing::info!(
                        device_id = target.device_id,
                        "apns: token refused but the device re-registered since; kept"
                    );
                }
            })
        }
        (Ok(PushResult::Rejected { status, reason, .. }), _) => {
            store::mark_attempt(pool, target.send_id, Some(*status), reason).await
        }
        (Ok(PushResult::Transport { error }), _) => {
            store::mark_attempt(pool, target.send_id, None, error).await
        }
        (Err(e), _) => store::mark_attempt(pool, target.send_id, None, &e.to_string()).await,
    };
    match written {
        Ok(()) => verdict,
        // The answer is lost with the row: the push will be sent again (APNs collapses it by collapse-id).
        Err(e) => Verdict::Retry {
            reason: format!("apns: database: {e}"),
            retry_after: None,
        },
    }
}

fn classify(result: &Result<PushResult, super::ApnsError>) -> Verdict {
    let (status, reason, retry_after) = match result {
        // The provider token is kept in the database (shared by every process): a database that cannot be reached
        // while the token is renewed passes; a key that cannot sign needs a person.
        Err(e @ super::ApnsError::Db(_)) => {
            return Verdict::Retry {
                reason: e.to_string(),
                retry_after: None,
            };
        }
        Err(e) => {
            return Verdict::Fatal {
                reason: e.to_string(),
            };
        }
        Ok(PushResult::Accepted { .. }) => return Verdict::Sent,
        Ok(PushResult::Transport { error }) => {
            return Verdict::Retry {
                reason: format!("apns: no answer: {error}"),
                retry_after: None,
            };
        }
        Ok(PushResult::Rejected {
            status,
            reason,
            retry_after,
            ..
        }) => (*status, reason.as_str(), *retry_after),
    };
    let said = format!("apns: {status} {reason}");
    match (status, reason) {
        (410, _) | (400, "BadDeviceToken" | "DeviceTokenNotForTopic") => Verdict::Unregistered,
        // Anything else APNs refuses with 400/403/404/405/413 is a relay or configuration bug: retrying the same
        // request cannot help (403 Expired/Invalid was already retried once with a new token by the client).
        (400 | 403 | 404 | 405 | 413, _) => Verdict::Fatal { reason: said },
        (429 | 500..=599, _) => Verdict::Retry {
            reason: said,
            retry_after,
        },
        _ if (400..500).contains(&status) => Verdict::Fatal { reason: said },
        _ => Verdict::Retry {
            reason: said,
            retry_after,
        },
    }
}

impl Destination for ApnsDestination {
    fn name(&self) -> &'static str {
        "apns"
    }

    fn accepts(&self, event_type: &str) -> bool {
        event_type == ORDER_CREATED || event_type == ORDER_STATUS_CHANGED
    }

    fn deliver<'a>(&'a self, delivery: &'a Delivery) -> DeliverFuture<'a> {
        Box::pin(self.run(delivery))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(status: u16, reason: &str) -> Result<PushResult, super::super::ApnsError> {
        Ok(PushResult::Rejected {
            status,
            reason: reason.into(),
            timestamp_ms: None,
            retry_after: None,
        })
    }

    #[test]
    fn answers_map_to_what_the_reference_says() {
        assert_eq!(
            classify(&Ok(PushResult::Accepted {
                apns_id: "x".into()
            })),
            Verdict::Sent
        );
        assert_eq!(
            classify(&rejected(410, "Unregistered")),
            Verdict::Unregistered
        );
        assert_eq!(
            classify(&rejected(400, "BadDeviceToken")),
            Verdict::Unregistered
        );
        assert_eq!(
            classify(&rejected(400, "DeviceTokenNotForTopic")),
            Verdict::Unregistered
        );
        for (s, r) in [
            (400, "BadTopic"),
            (400, "BadCollapseId"),
            (403, "ExpiredProviderToken"),
            (403, "Forbidden"),
            (413, "PayloadTooLarge"),
            (404, "BadPath"),
        ] {
            assert!(
                matches!(classify(&rejected(s, r)), Verdict::Fatal { .. }),
                "{s} {r}"
            );
        }
        for (s, r) in [
            (429, "TooManyRequests"),
            (500, "InternalServerError"),
            (503, "ServiceUnavailable"),
            (502, ""),
        ] {
            assert!(
                matches!(classify(&rejected(s, r)), Verdict::Retry { .. }),
                "{s} {r}"
            );
        }
        assert!(matches!(
            classify(&Ok(PushResult::Transport {
                error: "GOAWAY".into()
            })),
            Verdict::Retry { .. }
        ));
    }

    #[test]
    fn a_token_that_cannot_be_renewed_for_want_of_the_database_is_retried_not_dead() {
        let db = super::super::ApnsError::Db(sqlx::Error::PoolTimedOut);
        assert!(matches!(classify(&Err(db)), Verdict::Retry { .. }));
        assert!(matches!(
            classify(&Err(super::super::ApnsError::Sign)),
            Verdict::Fatal { .. }
        ));
    }
}
