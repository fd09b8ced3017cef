//! Which staff hear about which event, and what the notification says (in French, the staff's language).
//!
//! | Event | Devices (roles) | Text |
//! |---|---|---|
//! | `order.created` | kitchen side: pizzaiolo, manager, cashier | « Nouvelle commande XKBKN » / « 2 pizzas, 1 boisson — livraison 69002 Lyon » |
//! | status → `ready`, delivery | driver | « Commande XKBKN prête » / « À livrer au 12 rue …, 69002 Lyon » + `navigation_url` |
//! | status → `ready`, takeaway | cashier | « Commande XKBKN prête » / « Prête pour le retrait au comptoir » |
//! | status → `cancelled` | kitchen side, and drivers when it was already ready or on its way | « Commande XKBKN annulée » |
//! | other statuses, other events | nobody: the staff made those changes themselves | — |

use ocpizza_core::events::{Event, LineKind, OrderCreated, StatusChanged};
use ocpizza_core::status::{Fulfilment, OrderStatus};

use crate::staff::view;

pub const KITCHEN: &[&str] = &["pizzaiolo", "manager", "cashier"];
pub const DRIVERS: &[&str] = &["driver"];
pub const COUNTER: &[&str] = &["cashier"];
pub const KITCHEN_AND_DRIVERS: &[&str] = &["pizzaiolo", "manager", "cashier", "driver"];

/// A delivery address as the driver reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct StreetAddress {
    pub line1: String,
    pub line2: String,
    pub postcode: String,
    pub city: String,
    pub country: String,
    /// `(lat, lng)` once geocoded (`OCPIZZA_GEOCODING_KEY`), stored on `customer_addresses`.
    pub coordinates: Option<(f64, f64)>,
}

impl StreetAddress {
    /// The same link as the deliveries view (`staff::view::navigation_url`): the coordinates once geocoded,
    /// else the address text, so the push opens the maps at the same place as the app.
    pub fn navigation_url(&self) -> String {
        let a = view::Address {
            line1: self.line1.clone(),
            line2: self.line2.clone(),
            postcode: self.postcode.clone(),
            city: self.city.clone(),
            country: self.country.clone(),
        };
        view::navigation_url(&a, self.coordinates)
    }

    fn one_line(&self) -> String {
        let mut s = self.line1.trim().to_owned();
        if !self.line2.trim().is_empty() {
            s.push_str(", ");
            s.push_str(self.line2.trim());
        }
        format!("{s}, {} {}", self.postcode.trim(), self.city.trim())
    }
}

/// One notification to fan out to the devices of one restaurant.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub restaurant: String,
    pub roles: &'static [&'static str],
    pub title: String,
    pub body: String,
    pub shop_order_id: i64,
    pub reference: String,
    pub status: OrderStatus,
    /// Drivers' « prête » push only: the navigation link, and the coordinates when the address is geocoded.
    pub navigation_url: Option<String>,
    pub coordinates: Option<(f64, f64)>,
}

impl Notice {
    /// Whether this event needs the order's delivery address from the database (status events do not carry it).
    pub fn needs_address(event: &Event) -> Option<i64> {
        match event {
            Event::OrderStatusChanged(s)
                if s.to == OrderStatus::Ready && s.fulfilment == Fulfilment::Delivery =>
            {
                Some(s.shop_order_id)
            }
            _ => None,
        }
    }

    /// The notice for an event, or `None` when nobody needs to hear about it.
    pub fn for_event(event: &Event, address: Option<&StreetAddress>) -> Option<Notice> {
        match event {
            Event::OrderCreated(o) => Some(new_order(o)),
            Event::OrderStatusChanged(s) => status_changed(s, address),
            _ => None,
        }
    }
}

fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n > 1 { many } else { one })
}

/// « 2 pizzas, 1 boisson, 1 dessert » from the product lines (by SKU family).
fn contents(o: &OrderCreated) -> String {
    let (mut pizzas, mut drinks, mut desserts, mut others) = (0, 0, 0, 0);
    for line in o.lines.iter().filter(|l| l.kind == LineKind::Product) {
        let sku = line.sku.as_deref().unwrap_or("");
        let n = line.quantity.max(0);
        match sku.split('-').next().unwrap_or("") {
            "PIZZA" => pizzas += n,
            "DRINK" => drinks += n,
            "DESSERT" => desserts += n,
            _ => others += n,
        }
    }
    let parts: Vec<String> = [
        (pizzas, "pizza", "pizzas"),
        (drinks, "boisson", "boissons"),
        (desserts, "dessert", "desserts"),
        (others, "autre article", "autres articles"),
    ]
    .into_iter()
    .filter(|(n, _, _)| *n > 0)
    .map(|(n, one, many)| plural(n, one, many))
    .collect();
    if parts.is_empty() {
        "aucun article".to_owned()
    } else {
        parts.join(", ")
    }
}

fn new_order(o: &OrderCreated) -> Notice {
    let how = match (o.fulfilment, &o.delivery_address) {
        (Fulfilment::Delivery, Some(a)) => {
            format!("livraison {} {}", a.postcode.trim(), a.city.trim())
        }
        (Fulfilment::Delivery, None) => "livraison".to_owned(),
        (Fulfilment::Takeaway, _) => "à emporter".to_owned(),
    };
    Notice {
        restaurant: o.restaurant.clone(),
        roles: KITCHEN,
        title: format!("Nouvelle commande {}", o.reference),
        body: format!("{} — {how}", contents(o)),
        shop_order_id: o.shop_order_id,
        reference: o.reference.clone(),
        status: o.status,
        navigation_url: None,
        coordinates: None,
    }
}

fn status_changed(s: &StatusChanged, address: Option<&StreetAddress>) -> Option<Notice> {
    // Only the drivers' « prête » push leads somewhere.
    let (navigation_url, coordinates) = match address {
        Some(a) if (s.to, s.fulfilment) == (OrderStatus::Ready, Fulfilment::Delivery) => {
            (Some(a.navigation_url()), a.coordinates)
        }
        _ => (None, None),
    };
    let (roles, title, body) = match (s.to, s.fulfilment) {
        (OrderStatus::Ready, Fulfilment::Delivery) => (
            DRIVERS,
            format!("Commande {} prête", s.reference),
            match address {
                Some(a) => format!("À livrer au {}", a.one_line()),
                None => "À livrer (adresse dans l'application)".to_owned(),
            },
        ),
        (OrderStatus::Ready, Fulfilment::Takeaway) => (
            COUNTER,
            format!("Commande {} prête", s.reference),
            "Prête pour le retrait au comptoir".to_owned(),
        ),
        (OrderStatus::Cancelled, _) => {
            let on_the_road = s.fulfilment == Fulfilment::Delivery
                && matches!(s.from, OrderStatus::Ready | OrderStatus::OutForDelivery);
            let mut body = format!("Annulée (elle était « {} »)", s.from.label_fr());
            if let Some(note) = s.note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                body.push_str(" — motif : ");
                body.push_str(note);
            }
            (
                if on_the_road {
                    KITCHEN_AND_DRIVERS
                } else {
                    KITCHEN
                },
                format!("Commande {} annulée", s.reference),
                body,
            )
        }
        _ => return None,
    };
    Some(Notice {
        restaurant: s.restaurant.clone(),
        roles,
        title,
        body,
        shop_order_id: s.shop_order_id,
        reference: s.reference.clone(),
        status: s.to,
        navigation_url,
        coordinates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocpizza_core::events::{Address, Customer, Line};

    fn line(sku: &str, q: i64) -> Line {
        Line {
            kind: LineKind::Product,
            sku: Some(sku.into()),
            name: sku.into(),
            quantity: q,
            unit_price_cents: 1000,
            vat_rate: "10.00".into(),
        }
    }

    fn created(fulfilment: Fulfilment) -> OrderCreated {
        OrderCreated {
            shop_order_id: 42,
            reference: "XKBKN".into(),
            restaurant: "BELLECOUR".into(),
            placed_at: "2026-11-29T18:00:00Z".into(),
            fulfilment,
            payment_method: "card_online".into(),
            currency: "EUR".into(),
            total_cents: 3000,
            status: OrderStatus::Received,
            customer: Customer {
                shop_customer_id: 1,
                email: "a@b.fr".into(),
                first_name: "Léa".into(),
                last_name: "Martin".into(),
                phone: None,
            },
            delivery_address: (fulfilment == Fulfilment::Delivery).then(|| Address {
                line1: "12 rue de la République".into(),
                line2: String::new(),
                postcode: "69002".into(),
                city: "Lyon".into(),
                country: "FR".into(),
            }),
            lines: vec![
                line("PIZZA-MARGHERITA", 1),
                line("PIZZA-REINE", 1),
                line("DRINK-COLA-33", 1),
                Line {
                    kind: LineKind::Delivery,
                    sku: None,
                    name: "Livraison".into(),
                    quantity: 1,
                    unit_price_cents: 300,
                    vat_rate: "10.00".into(),
                },
            ],
        }
    }

    #[test]
    fn new_order_tells_the_kitchen_what_and_where_in_french() {
        let n =
            Notice::for_event(&Event::OrderCreated(created(Fulfilment::Delivery)), None).unwrap();
        assert_eq!(n.roles, KITCHEN);
        assert_eq!(n.title, "Nouvelle commande XKBKN");
        assert_eq!(n.body, "2 pizzas, 1 boisson — livraison 69002 Lyon");
        let t =
            Notice::for_event(&Event::OrderCreated(created(Fulfilment::Takeaway)), None).unwrap();
        assert_eq!(t.body, "2 pizzas, 1 boisson — à emporter");
    }

    fn changed(from: OrderStatus, to: OrderStatus, f: Fulfilment) -> Event {
        Event::OrderStatusChanged(StatusChanged {
            shop_order_id: 42,
            reference: "XKBKN".into(),
            restaurant: "BELLECOUR".into(),
            fulfilment: f,
            from,
            to,
            note: Some("client absent".into()),
            changed_at: "2026-11-29T18:30:00Z".into(),
            source: None,
            changed_by: None,
        })
    }

    #[test]
    fn ready_goes_to_drivers_with_the_address_or_to_the_counter() {
        let ev = changed(
            OrderStatus::InPreparation,
            OrderStatus::Ready,
            Fulfilment::Delivery,
        );
        assert_eq!(Notice::needs_address(&ev), Some(42));
        let addr = StreetAddress {
            line1: "12 rue de la République".into(),
            line2: "3e étage".into(),
            postcode: "69002".into(),
            city: "Lyon".into(),
            country: "FR".into(),
            coordinates: None,
        };
        let n = Notice::for_event(&ev, Some(&addr)).unwrap();
        assert_eq!(n.roles, DRIVERS);
        assert_eq!(n.title, "Commande XKBKN prête");
        assert_eq!(
            n.body,
            "À livrer au 12 rue de la République, 3e étage, 69002 Lyon"
        );
        assert_eq!(n.status, OrderStatus::Ready);
        // Not geocoded (no key, or no answer yet): the link carries the address text, as in the deliveries view.
        assert_eq!(n.coordinates, None);
        assert_eq!(
            n.navigation_url.as_deref(),
            Some(
                "https://www.google.com/maps/dir/?api=1&destination=12%20rue%20de%20la%20R%C3%A9publique%2C%203e%20%C3%A9tage%2C%2069002%20Lyon%2C%20FR"
            )
        );

        let ev = changed(
            OrderStatus::InPreparation,
            OrderStatus::Ready,
            Fulfilment::Takeaway,
        );
        assert_eq!(Notice::needs_address(&ev), None);
        let n = Notice::for_event(&ev, None).unwrap();
        assert_eq!(n.roles, COUNTER);
        assert_eq!(n.body, "Prête pour le retrait au comptoir");
        assert_eq!(n.navigation_url, None);
    }

    #[test]
    fn drivers_push_uses_the_geocoded_coordinates() {
        let ev = changed(
            OrderStatus::InPreparation,
            OrderStatus::Ready,
            Fulfilment::Delivery,
        );
        let addr = StreetAddress {
            line1: "12 rue de la République".into(),
            line2: String::new(),
            postcode: "69002".into(),
            city: "Lyon".into(),
            country: "FR".into(),
            coordinates: Some((45.757814, 4.832011)),
        };
        let n = Notice::for_event(&ev, Some(&addr)).unwrap();
        assert_eq!(n.coordinates, Some((45.757814, 4.832011)));
        assert_eq!(
            n.navigation_url.as_deref(),
            Some("https://www.google.com/maps/dir/?api=1&destination=45.757814%2C4.832011")
        );
        // The driver still reads the address.
        assert_eq!(n.body, "À livrer au 12 rue de la République, 69002 Lyon");
        // No address found: no link rather than a wrong one.
        let n = Notice::for_event(&ev, None).unwrap();
        assert_eq!((n.navigation_url, n.coordinates), (None, None));
    }

    #[test]
    fn cancelled_reaches_drivers_only_once_the_order_left_the_kitchen() {
        let n = Notice::for_event(
            &changed(
                OrderStatus::Accepted,
                OrderStatus::Cancelled,
                Fulfilment::Delivery,
            ),
            None,
        )
        .unwrap();
        assert_eq!(n.roles, KITCHEN);
        assert_eq!(
            n.body,
            "Annulée (elle était « Acceptée ») — motif : client absent"
        );
        let n = Notice::for_event(
            &changed(
                OrderStatus::OutForDelivery,
                OrderStatus::Cancelled,
                Fulfilment::Delivery,
            ),
            None,
        )
        .unwrap();
        assert_eq!(n.roles, KITCHEN_AND_DRIVERS);
    }

    #[test]
    fn other_statuses_notify_nobody() {
        for (from, to) in [
            (OrderStatus::Received, OrderStatus::Accepted),
            (OrderStatus::Accepted, OrderStatus::InPreparation),
            (OrderStatus::Ready, OrderStatus::OutForDelivery),
            (OrderStatus::OutForDelivery, OrderStatus::Delivered),
        ] {
            assert_eq!(
                Notice::for_event(&changed(from, to, Fulfilment::Delivery), None),
                None
            );
        }
    }
}
