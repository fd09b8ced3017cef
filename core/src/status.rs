//! The order status state machine: the one place where allowed transitions are written.
//!
//! ```text
//! received ──► accepted ──► in_preparation ──► ready ──► out_for_delivery ──► delivered   (delivery)
//!                                                  └──► picked_up                       (takeaway)
//! any non-final status ──► cancelled
//! ```
//! `delivered`, `picked_up` and `cancelled` are final. The database column accepts exactly these values
//! (`ck_orders_status`), so a status string is either one of them or refused.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How the customer gets the order; some transitions depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fulfilment {
    Delivery,
    Takeaway,
}

impl Fulfilment {
    pub const ALL: [Fulfilment; 2] = [Fulfilment::Delivery, Fulfilment::Takeaway];

    pub fn as_str(self) -> &'static str {
        match self {
            Fulfilment::Delivery => "delivery",
            Fulfilment::Takeaway => "takeaway",
        }
    }
}

impl FromStr for Fulfilment {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fulfilment::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| UnknownValue::new("fulfilment", s))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Received,
    Accepted,
    InPreparation,
    Ready,
    OutForDelivery,
    Delivered,
    PickedUp,
    Cancelled,
}

/// A string that is not one of the accepted values of a field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: unknown value {value:?}")]
pub struct UnknownValue {
    pub field: &'static str,
    pub value: String,
}

impl UnknownValue {
    pub fn new(field: &'static str, value: &str) -> Self {
        // Bounded so that a hostile input cannot blow up an error message or a log line.
        let value: String = value.chars().take(64).collect();
        UnknownValue { field, value }
    }
}

/// Why a transition is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("status: the order is already {0} (final)")]
    Final(OrderStatus),
    #[error("status: cannot go from {from} to {to}")]
    NotAllowed { from: OrderStatus, to: OrderStatus },
    #[error("status: {to} is only for {only} orders, this one is {actual}")]
    WrongFulfilment {
        to: OrderStatus,
        only: &'static str,
        actual: &'static str,
    },
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 8] = [
        OrderStatus::Received,
        OrderStatus::Accepted,
        OrderStatus::InPreparation,
        OrderStatus::Ready,
        OrderStatus::OutForDelivery,
        OrderStatus::Delivered,
        OrderStatus::PickedUp,
        OrderStatus::Cancelled,
    ];

    /// The initial status of every recorded order.
    pub const INITIAL: OrderStatus = OrderStatus::Received;

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Received => "received",
            OrderStatus::Accepted => "accepted",
            OrderStatus::InPreparation => "in_preparation",
            OrderStatus::Ready => "ready",
            OrderStatus::OutForDelivery => "out_for_delivery",
            OrderStatus::Delivered => "delivered",
            OrderStatus::PickedUp => "picked_up",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    /// French label, as shown to the restaurant staff (push notifications, admin pages).
    pub fn label_fr(self) -> &'static str {
        match self {
            OrderStatus::Received => "Reçue",
            OrderStatus::Accepted => "Acceptée",
            OrderStatus::InPreparation => "En préparation",
            OrderStatus::Ready => "Prête",
            OrderStatus::OutForDelivery => "En livraison",
            OrderStatus::Delivered => "Livrée",
            OrderStatus::PickedUp => "Retirée",
            OrderStatus::Cancelled => "Annulée",
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, OrderStatus::Delivered | OrderStatus::PickedUp | OrderStatus::Cancelled)
    }

    /// The statuses reachable in one step from `self` for an order of the given fulfilment.
    pub fn next(self, fulfilment: Fulfilment) -> &'static [OrderStatus] {
        use OrderStatus::*;
        match (self, fulfilment) {
            (Received, _) => &[Accepted, Cancelled],
            (Accepted, _) => &[InPreparation, Cancelled],
            (InPreparation, _) => &[Ready, Cancelled],
            (Ready, Fulfilment::Delivery) => &[OutForDelivery, Cancelled],
            (Ready, Fulfilment::Takeaway) => &[PickedUp, Cancelled],
            // A driver may come back with the order (customer absent): it is then cancelled.
            (OutForDelivery, Fulfilment::Delivery) => &[Delivered, Cancelled],
            (OutForDelivery, Fulfilment::Takeaway) => &[],
            (Delivered | PickedUp | Cancelled, _) => &[],
        }
    }

    /// Checks the move from `self` to `to`. `Ok(false)` means "already there, nothing to do" (idempotent
    /// replays), `Ok(true)` that the transition is allowed.
    pub fn check_transition(self, to: OrderStatus, fulfilment: Fulfilment) -> Result<bool, TransitionError> {
        if self == to {
            return Ok(false);
        }
        if self.is_final() {
            return Err(TransitionError::Final(self));
        }
        if self.next(fulfilment).contains(&to) {
            return Ok(true);
        }
        let only = match to {
            OrderStatus::OutForDelivery | OrderStatus::Delivered => Some(Fulfilment::Delivery),
            OrderStatus::PickedUp => Some(Fulfilment::Takeaway),
            _ => None,
        };
        match only {
            Some(only) if only != fulfilment => Err(TransitionError::WrongFulfilment {
                to,
                only: only.as_str(),
                actual: fulfilment.as_str(),
            }),
            _ => Err(TransitionError::NotAllowed { from: self, to }),
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrderStatus {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrderStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownValue::new("status", s))
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::*;
    use super::*;

    #[test]
    fn delivery_happy_path_is_allowed_step_by_step() {
        let path = [Received, Accepted, InPreparation, Ready, OutForDelivery, Delivered];
        for w in path.windows(2) {
            assert_eq!(w[0].check_transition(w[1], Fulfilment::Delivery), Ok(true), "{} -> {}", w[0], w[1]);
        }
    }

    #[test]
    fn takeaway_happy_path_is_allowed_step_by_step() {
        let path = [Received, Accepted, InPreparation, Ready, PickedUp];
        for w in path.windows(2) {
            assert_eq!(w[0].check_transition(w[1], Fulfilment::Takeaway), Ok(true), "{} -> {}", w[0], w[1]);
        }
    }

    #[test]
    fn every_non_final_status_can_be_cancelled() {
        for f in Fulfilment::ALL {
            for s in OrderStatus::ALL {
                let r = s.check_transition(Cancelled, f);
                match s {
                    Cancelled => assert_eq!(r, Ok(false)),
                    Delivered | PickedUp => assert_eq!(r, Err(TransitionError::Final(s))),
                    OutForDelivery if f == Fulfilment::Takeaway => assert!(r.is_err()),
                    _ => assert_eq!(r, Ok(true), "{s} -> cancelled ({f:?})"),
                }
            }
        }
    }

    #[test]
    fn same_status_is_a_no_op() {
        for f in Fulfilment::ALL {
            for s in OrderStatus::ALL {
                assert_eq!(s.check_transition(s, f), Ok(false));
            }
        }
    }

    #[test]
    fn final_statuses_refuse_everything_else() {
        for s in [Delivered, PickedUp, Cancelled] {
            for to in OrderStatus::ALL.into_iter().filter(|t| *t != s) {
                assert_eq!(s.check_transition(to, Fulfilment::Delivery), Err(TransitionError::Final(s)));
            }
        }
    }

    #[test]
    fn skipping_steps_and_going_back_are_refused() {
        assert_eq!(
            Received.check_transition(Ready, Fulfilment::Delivery),
            Err(TransitionError::NotAllowed { from: Received, to: Ready })
        );
        assert_eq!(
            Ready.check_transition(Accepted, Fulfilment::Delivery),
            Err(TransitionError::NotAllowed { from: Ready, to: Accepted })
        );
        assert_eq!(
            Accepted.check_transition(Received, Fulfilment::Takeaway),
            Err(TransitionError::NotAllowed { from: Accepted, to: Received })
        );
    }

    #[test]
    fn fulfilment_specific_statuses_are_refused_for_the_other_kind() {
        assert_eq!(
            Ready.check_transition(OutForDelivery, Fulfilment::Takeaway),
            Err(TransitionError::WrongFulfilment { to: OutForDelivery, only: "delivery", actual: "takeaway" })
        );
        assert_eq!(
            Ready.check_transition(PickedUp, Fulfilment::Delivery),
            Err(TransitionError::WrongFulfilment { to: PickedUp, only: "takeaway", actual: "delivery" })
        );
    }

    #[test]
    fn transition_table_is_exactly_the_documented_one() {
        // Count allowed pairs: guards against an accidental extra edge.
        let mut allowed = 0;
        for f in Fulfilment::ALL {
            for a in OrderStatus::ALL {
                for b in OrderStatus::ALL {
                    if a.check_transition(b, f) == Ok(true) {
                        allowed += 1;
                    }
                }
            }
        }
        // delivery: 2+2+2+2+2 = 10; takeaway: 2+2+2+2 = 8
        assert_eq!(allowed, 18);
    }

    #[test]
    fn parsing_round_trips_and_rejects_unknown_values() {
        for s in OrderStatus::ALL {
            assert_eq!(s.as_str().parse::<OrderStatus>(), Ok(s));
        }
        let err = "shipped".parse::<OrderStatus>().unwrap_err();
        assert_eq!(err.to_string(), "status: unknown value \"shipped\"");
        assert!("RECEIVED".parse::<OrderStatus>().is_err());
        assert_eq!("takeaway".parse::<Fulfilment>(), Ok(Fulfilment::Takeaway));
        assert!("drone".parse::<Fulfilment>().is_err());
    }
}
