//! The storefront forms besides the cart's, answered as Shopify answers them as far as that
//! works offline: the contact form, customer accounts (nobody can log in: there are no
//! accounts), the storefront password, blog comments and the localization form.
//! <https://shopify.dev/docs/api/liquid/tags/form>

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use crate::state::AppState;
use crate::storefront::sections::{context_url, is_local_path};
use crate::storefront::visitor::{self, Locale};

/// The fields of a form post (`application/x-www-form-urlencoded`; anything else reads as no
/// fields, which every handler here accepts).
fn fields(body: &Bytes) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    crate::theme::objects::context::pair_value(fields, name)
}

/// `return_to` when it is a path on this store, else the page the form was sent from.
fn back(fields: &[(String, String)], headers: &HeaderMap) -> String {
    match field(fields, "return_to") {
        Some(path) if is_local_path(path) => path.to_owned(),
        _ => context_url(None, headers),
    }
}

/// `url` with `name=value` added to its query (before any fragment).
fn with_param(url: &str, name: &str, value: &str) -> String {
    let (url, fragment) = match url.split_once('#') {
        Some((url, fragment)) => (url, Some(fragment)),
        None => (url, None),
    };
    let kept: Vec<&str> = url
        .split_once('?')
        .map(|(_, q)| {
            q.split('&')
                .filter(|p| !p.is_empty() && !p.starts_with(&format!("{name}=")))
                .collect()
        })
        .unwrap_or_default();
    let path = url.split('?').next().unwrap_or(url);
    let mut query = kept.join("&");
    if !query.is_empty() {
        query.push('&');
    }
    query.push_str(name);
    query.push('=');
    query.push_str(value);
    match fragment {
        Some(fragment) => format!("{path}?{query}#{fragment}"),
        None => format!("{path}?{query}"),
    }
}

/// A redirect to a path on this store. Bytes a `Location` header cannot hold (spaces,
/// non-ASCII letters in a handle or `return_to`) are percent-encoded: axum would panic on them.
fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, Redirect::to(&header_safe(to))).into_response()
}

fn header_safe(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for byte in url.bytes() {
        if byte.is_ascii_graphic() {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// POST /contact: Shopify sends the message to the merchant and brings the visitor back to the
/// form's page with `?contact_posted=true#contact_form`, where `form.posted_successfully?` is
/// true. Here the message goes to the log.
pub async fn contact(headers: HeaderMap, body: Bytes) -> Response {
    let fields = fields(&body);
    let email = field(&fields, "contact[email]").unwrap_or("");
    tracing::info!(
        email,
        "contact form sent (not delivered: vitrine runs offline)"
    );
    let target = with_param(&back(&fields, &headers), "contact_posted", "true");
    let target = if target.contains('#') {
        target
    } else {
        format!("{target}#contact_form")
    };
    see_other(&target)
}

/// Shown after a customer form: accounts live on Shopify's servers.
const NO_ACCOUNTS: &str =
    "Customer accounts are not available in vitrine: nobody can log in offline.";

/// POST /account/login, /account/recover, ...: back to the login page, with a flash message
/// saying why.
pub async fn customer(session: Session, locale: Locale) -> Response {
    visitor::set_flash(&session, NO_ACCOUNTS).await;
    see_other(&locale.url("/account/login"))
}

/// POST /account: Shopify's `create_customer` form, back to the register page.
pub async fn create_customer(session: Session, locale: Locale) -> Response {
    visitor::set_flash(&session, NO_ACCOUNTS).await;
    see_other(&locale.url("/account/register"))
}

/// GET /account and the pages below it: without a customer, Shopify sends the visitor to the
/// login page.
pub async fn account(locale: Locale) -> Response {
    (
        StatusCode::FOUND,
        Redirect::to(&locale.url("/account/login")),
    )
        .into_response()
}

/// GET /account/logout: nobody is logged in; Shopify goes to the home page.
pub async fn logout(locale: Locale) -> Response {
    let home = if locale.prefix.is_empty() {
        "/".to_owned()
    } else {
        locale.prefix.to_string()
    };
    (StatusCode::FOUND, Redirect::to(&home)).into_response()
}

/// POST /password: the storefront is never locked offline, so any password opens it.
pub async fn password(locale: Locale) -> Response {
    see_other(&locale.url("/"))
}

/// POST /blogs/{blog}/{article}/comments: comments need Shopify (they are not kept); back to
/// the article's comments.
pub async fn comment(locale: Locale, Path((blog, article)): Path<(String, String)>) -> Response {
    see_other(&locale.url(&format!("/blogs/{blog}/{article}#comments")))
}

/// POST /localization: the `localization` form. `locale_code` picks the language (its URL
/// prefix); the shop has one currency, so `country_code` changes nothing. Goes to `return_to`
/// in the chosen language.
pub async fn localization(
    State(state): State<AppState>,
    locale: Locale,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = fields(&body);
    let shop = state.catalog().shop();
    let target = back(&fields, &headers);
    // The page without the prefix of the locale it was shown in.
    let unprefixed = strip_locale(&target, &locale.prefix);
    let chosen = field(&fields, "locale_code")
        .and_then(|code| {
            shop.locales
                .iter()
                .find(|l| l.eq_ignore_ascii_case(code.trim()))
        })
        .map_or_else(
            || locale.clone(),
            |code| {
                if *code == shop.primary_locale {
                    Locale::primary(code)
                } else {
                    Locale::prefixed(code)
                }
            },
        );
    let to = if unprefixed == "/" && !chosen.prefix.is_empty() {
        chosen.prefix.to_string()
    } else {
        chosen.url(&unprefixed)
    };
    see_other(&to)
}

fn strip_locale(path: &str, prefix: &str) -> String {
    if prefix.is_empty() {
        return path.to_owned();
    }
    match path.strip_prefix(prefix) {
        Some("") => "/".to_owned(),
        Some(rest) if rest.starts_with('/') || rest.starts_with('?') => {
            if rest.starts_with('?') {
                format!("/{rest}")
            } else {
                rest.to_owned()
            }
        }
        _ => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_posted_joins_the_query_before_the_fragment() {
        assert_eq!(
            with_param("/pages/contact", "contact_posted", "true"),
            "/pages/contact?contact_posted=true"
        );
        assert_eq!(
            with_param(
                "/pages/contact?a=1&contact_posted=false#x",
                "contact_posted",
                "true"
            ),
            "/pages/contact?a=1&contact_posted=true#x"
        );
    }

    #[test]
    fn redirect_targets_are_header_safe() {
        assert_eq!(
            header_safe("/pages/café au lait"),
            "/pages/caf%C3%A9%20au%20lait"
        );
        assert_eq!(header_safe("/a?b=1#c"), "/a?b=1#c");
    }

    #[test]
    fn the_locale_prefix_comes_off_before_another_goes_on() {
        assert_eq!(strip_locale("/fr/pages/about", "/fr"), "/pages/about");
        assert_eq!(strip_locale("/fr", "/fr"), "/");
        assert_eq!(strip_locale("/fresh", "/fr"), "/fresh");
        assert_eq!(strip_locale("/pages/about", ""), "/pages/about");
    }
}
