//! ISO 4217 currencies: numeric code (what SogeCommerce posts in `vads_currency`), alphabetic code (what
//! PrestaShop and OCPizza_DB store) and minor-unit exponent (amounts are always integers in minor units).

/// One ISO 4217 currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    /// ISO 4217 numeric code, e.g. 978.
    pub numeric: u16,
    /// ISO 4217 alphabetic code, e.g. `"EUR"`.
    pub alpha: &'static str,
    /// Number of decimals of the minor unit: 2 for EUR (cents), 0 for JPY, 3 for KWD.
    pub exponent: u8,
}

const fn c(numeric: u16, alpha: &'static str, exponent: u8) -> Currency {
    Currency {
        numeric,
        alpha,
        exponent,
    }
}

/// The currencies the Lyra platform (SogeCommerce, PayZen, Systempay) accepts, sorted by numeric code.
/// Exponents follow ISO 4217 (as the gateway does: `vads_amount` is in these minor units).
pub const CURRENCIES: &[Currency] = &[
    c(12, "DZD", 2),
    c(32, "ARS", 2),
    c(36, "AUD", 2),
    c(48, "BHD", 3),
    c(108, "BIF", 0),
    c(124, "CAD", 2),
    c(152, "CLP", 0),
    c(156, "CNY", 2),
    c(170, "COP", 2),
    c(174, "KMF", 0),
    c(203, "CZK", 2),
    c(208, "DKK", 2),
    c(262, "DJF", 0),
    c(324, "GNF", 0),
    c(344, "HKD", 2),
    c(348, "HUF", 2),
    c(352, "ISK", 0),
    c(356, "INR", 2),
    c(360, "IDR", 2),
    c(368, "IQD", 3),
    c(376, "ILS", 2),
    c(392, "JPY", 0),
    c(398, "KZT", 2),
    c(400, "JOD", 3),
    c(404, "KES", 2),
    c(410, "KRW", 0),
    c(414, "KWD", 3),
    c(422, "LBP", 2),
    c(434, "LYD", 3),
    c(458, "MYR", 2),
    c(480, "MUR", 2),
    c(484, "MXN", 2),
    c(498, "MDL", 2),
    c(504, "MAD", 2),
    c(512, "OMR", 3),
    c(548, "VUV", 0),
    c(554, "NZD", 2),
    c(566, "NGN", 2),
    c(578, "NOK", 2),
    c(586, "PKR", 2),
    c(600, "PYG", 0),
    c(604, "PEN", 2),
    c(608, "PHP", 2),
    c(634, "QAR", 2),
    c(643, "RUB", 2),
    c(646, "RWF", 0),
    c(682, "SAR", 2),
    c(702, "SGD", 2),
    c(704, "VND", 0),
    c(710, "ZAR", 2),
    c(752, "SEK", 2),
    c(756, "CHF", 2),
    c(764, "THB", 2),
    c(784, "AED", 2),
    c(788, "TND", 3),
    c(800, "UGX", 0),
    c(818, "EGP", 2),
    c(826, "GBP", 2),
    c(840, "USD", 2),
    c(858, "UYU", 2),
    c(901, "TWD", 2),
    c(941, "RSD", 2),
    c(946, "RON", 2),
    c(949, "TRY", 2),
    c(950, "XAF", 0),
    c(952, "XOF", 0),
    c(953, "XPF", 0),
    c(975, "BGN", 2),
    c(978, "EUR", 2),
    c(980, "UAH", 2),
    c(981, "GEL", 2),
    c(985, "PLN", 2),
    c(986, "BRL", 2),
];

impl Currency {
    /// The currency with this ISO 4217 numeric code.
    pub fn by_numeric(numeric: u16) -> Option<&'static Currency> {
        CURRENCIES
            .binary_search_by_key(&numeric, |c| c.numeric)
            .ok()
            .map(|i| &CURRENCIES[i])
    }

    /// The currency with this alphabetic code (exact, upper case: `"EUR"`, not `"eur"`).
    pub fn by_alpha(alpha: &str) -> Option<&'static Currency> {
        CURRENCIES.iter().find(|c| c.alpha == alpha)
    }

    /// Parses the numeric code as posted by the gateway: exactly three ASCII digits (`"978"`, `"036"`).
    pub fn parse_numeric(s: &str) -> Option<&'static Currency> {
        if s.len() != 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Currency::by_numeric(s.parse().ok()?)
    }

    /// The numeric code as the gateway writes it: three digits, zero-padded.
    pub fn numeric_str(&self) -> String {
        format!("{:03}", self.numeric)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        for w in CURRENCIES.windows(2) {
            assert!(w[0].numeric < w[1].numeric, "{:?} before {:?}", w[0], w[1]);
        }
        for (i, a) in CURRENCIES.iter().enumerate() {
            assert_eq!(a.alpha.len(), 3);
            assert!(a.alpha.bytes().all(|b| b.is_ascii_uppercase()));
            assert!(
                CURRENCIES[i + 1..].iter().all(|b| b.alpha != a.alpha),
                "duplicate {}",
                a.alpha
            );
        }
    }

    #[test]
    fn main_currencies() {
        for (n, a, e) in [
            (978, "EUR", 2),
            (840, "USD", 2),
            (826, "GBP", 2),
            (756, "CHF", 2),
            (392, "JPY", 0),
        ] {
            let cur = Currency::by_numeric(n).unwrap();
            assert_eq!((cur.alpha, cur.exponent), (a, e));
            assert_eq!(Currency::by_alpha(a).unwrap().numeric, n);
        }
        assert_eq!(Currency::by_alpha("KWD").unwrap().exponent, 3);
        assert_eq!(Currency::parse_numeric("036").unwrap().alpha, "AUD");
        assert_eq!(Currency::by_numeric(36).unwrap().numeric_str(), "036");
    }

    #[test]
    fn unknown_or_malformed() {
        assert!(Currency::by_numeric(999).is_none());
        assert!(Currency::by_alpha("eur").is_none());
        assert!(Currency::parse_numeric("97").is_none());
        assert!(Currency::parse_numeric("+78").is_none());
        assert!(Currency::parse_numeric("9780").is_none());
        assert!(Currency::parse_numeric("").is_none());
    }
}
