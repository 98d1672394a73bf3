//! Files on Shopify's CDN that themes load by their full URL, served locally instead, so a
//! theme runs offline and under our Content-Security-Policy. Horizon, for one, maps
//! `@shopify/events` to Shopify's standard events module in its import map; without it every
//! module that imports it (the cart drawer, the cart icon, ...) fails to load.

use memchr::memmem;

/// Where the stand-in for Shopify's standard events module is served.
pub const STANDARD_EVENTS_PATH: &str = "/__vitrine/shopify/standard-events.js";

/// Our own implementation of the module's documented API (events, gids, view elements).
pub const STANDARD_EVENTS_JS: &str = include_str!("standard_events.js");

/// Shopify's URL, and ours.
const STAND_INS: [(&str, &str); 1] = [(
    "https://cdn.shopify.com/storefront/standard-events.js",
    STANDARD_EVENTS_PATH,
)];

/// `html` with each Shopify URL we stand in for pointing at our copy.
pub fn localize(html: String) -> String {
    if memmem::find(html.as_bytes(), b"cdn.shopify.com/storefront/").is_none() {
        return html;
    }
    STAND_INS
        .iter()
        .fold(html, |html, (theirs, ours)| html.replace(theirs, ours))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shopify_urls_point_at_the_local_stand_in() {
        let html =
            r#"{"@shopify/events": "https://cdn.shopify.com/storefront/standard-events.js"}"#;
        assert_eq!(
            localize(html.to_owned()),
            r#"{"@shopify/events": "/__vitrine/shopify/standard-events.js"}"#
        );
        let other = "<img src=\"https://cdn.shopify.com/s/files/x.png\">".to_owned();
        assert_eq!(localize(other.clone()), other);
    }
}
