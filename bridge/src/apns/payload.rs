//! The JSON body of a push: `{"aps": {alert, sound, thread-id}, shop_order_id, reference, status}` (+ a driver's
//! `navigation_url` and, once geocoded, `coordinates {lat, lng}`), kept within
//! APNs' 4096-byte limit by shortening the text on a character boundary (never by dropping the order data).

use serde_json::json;

use super::messages::Notice;

pub const MAX_PAYLOAD: usize = 4096;
const ELLIPSIS: char = '…';

/// Cuts `s` to at most `max_bytes`, on a character boundary, marking the cut with « … ».
pub fn shorten(s: &str, max_bytes: usize) -> String {
    if s.len() <= max_bytes {
        return s.to_owned();
    }
    let room = max_bytes.saturating_sub(ELLIPSIS.len_utf8());
    let mut end = room.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = s[..end].to_owned();
    out.push(ELLIPSIS);
    out
}

fn render(n: &Notice, title: &str, body: &str) -> Vec<u8> {
    let mut v = json!({
        "aps": {
            "alert": { "title": title, "body": body },
            "sound": "default",
            "thread-id": n.reference,
        },
        "shop_order_id": n.shop_order_id,
        "reference": n.reference,
        "status": n.status.as_str(),
    });
    // Order data like the reference: never shortened (a link cut short would lead the driver astray).
    if let Some(url) = &n.navigation_url {
        v["navigation_url"] = json!(url);
    }
    if let Some((lat, lng)) = n.coordinates {
        v["coordinates"] = json!({ "lat": lat, "lng": lng });
    }
    v.to_string().into_bytes()
}

/// The largest `k` in `0..=max` with `fits(k)`, for a `fits` that holds up to some point and not after.
fn largest_fitting(max: usize, fits: impl Fn(usize) -> bool) -> Option<usize> {
    if !fits(0) {
        return None;
    }
    let (mut lo, mut hi) = (0, max);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if fits(mid) { lo = mid } else { hi = mid - 1 }
    }
    Some(lo)
}

/// The payload for a notice, at most `limit` bytes. `None` only if even an empty text cannot fit (a reference
/// of kilobytes: the event is then refused as a relay bug).
pub fn build(n: &Notice, limit: usize) -> Option<Vec<u8>> {
    let title = shorten(&n.title, 200);
    let full = render(n, &title, &n.body);
    if full.len() <= limit {
        return Some(full);
    }
    // JSON escaping makes a byte of text cost one to six bytes of payload: search the longest body that fits.
    if let Some(k) = largest_fitting(n.body.len(), |k| {
        render(n, &title, &shorten(&n.body, k)).len() <= limit
    }) {
        return Some(render(n, &title, &shorten(&n.body, k)));
    }
    let k = largest_fitting(title.len(), |k| {
        render(n, &shorten(&title, k), "").len() <= limit
    })?;
    Some(render(n, &shorten(&title, k), ""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocpizza_core::status::OrderStatus;

    fn notice(body: String) -> Notice {
        Notice {
            restaurant: "BELLECOUR".into(),
            roles: super::super::messages::KITCHEN,
            title: "Nouvelle commande XKBKN".into(),
            body,
            shop_order_id: 42,
            reference: "XKBKN".into(),
            status: OrderStatus::Received,
            navigation_url: None,
            coordinates: None,
        }
    }

    #[test]
    fn payload_carries_alert_and_order_data() {
        let p = build(&notice("2 pizzas — à emporter".into()), MAX_PAYLOAD).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&p).unwrap();
        assert_eq!(v["aps"]["alert"]["title"], "Nouvelle commande XKBKN");
        assert_eq!(v["aps"]["alert"]["body"], "2 pizzas — à emporter");
        assert_eq!(v["shop_order_id"], 42);
        assert_eq!(v["reference"], "XKBKN");
        assert_eq!(v["status"], "received");
    }

    #[test]
    fn drivers_payload_carries_the_link_and_coordinates_whole() {
        let mut n = notice("é".repeat(3000));
        n.navigation_url =
            Some("https://www.google.com/maps/dir/?api=1&destination=45.757814%2C4.832011".into());
        n.coordinates = Some((45.757814, 4.832011));
        let p = build(&n, MAX_PAYLOAD).unwrap();
        assert!(p.len() <= MAX_PAYLOAD);
        let v: serde_json::Value = serde_json::from_slice(&p).unwrap();
        assert_eq!(v["navigation_url"], n.navigation_url.unwrap().as_str());
        assert_eq!(v["coordinates"]["lat"], 45.757814);
        assert_eq!(v["coordinates"]["lng"], 4.832011);
        let plain = build(&notice("x".into()), MAX_PAYLOAD).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&plain).unwrap();
        assert!(v.get("navigation_url").is_none() && v.get("coordinates").is_none());
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary_to_fit() {
        // Multi-byte characters and characters JSON must escape, far beyond the limit.
        for unit in ["é", "\"", "€x", "\u{1F355}"] {
            let body = unit.repeat(3000);
            let p = build(&notice(body.clone()), MAX_PAYLOAD).unwrap();
            assert!(p.len() <= MAX_PAYLOAD, "{unit}: {} bytes", p.len());
            assert!(
                p.len() > MAX_PAYLOAD - 16,
                "{unit}: cut too much ({} bytes)",
                p.len()
            );
            let v: serde_json::Value =
                serde_json::from_slice(&p).expect("still valid JSON, valid UTF-8");
            let got = v["aps"]["alert"]["body"].as_str().unwrap();
            assert!(got.ends_with('…'));
            assert!(body.starts_with(got.trim_end_matches('…')));
        }
    }

    #[test]
    fn shorten_never_splits_a_character() {
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(shorten("ééé", 5), "é…");
        assert_eq!(shorten("ééé", 4), "…");
    }
}
