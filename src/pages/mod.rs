//! Storefront pages and the Section Rendering API, on every page URL.
//! <https://shopify.dev/docs/api/ajax/section-rendering>
//!
//! A page, `?sections=a,b`, `?section_id=x`, a bundled section and an htmx swap all render through
//! the same `Theme::render_section`, in the context of the page's path and query.

pub mod forms;
pub mod htmx;
pub mod images;
pub mod live;
pub mod shop_forms;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use tower_sessions::Session;

use crate::state::AppState;
use crate::storefront::cart::{cart_object, visitor_cart};
use crate::storefront::json::{SectionHtml, Sections, json_bytes, sections_object};
use crate::storefront::sections::{MAX_SECTIONS, split_ids};
use crate::storefront::shipping::shipping_estimate;
use crate::storefront::visitor::{self, Locale};
use crate::theme::PageRequest;

/// The pages' own routes. `/cart` and `/products/{handle}`, which the Ajax API shares, are
/// added by `crate::routes`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(page))
        .route("/collections", get(page))
        .route("/collections/{handle}", get(page))
        .route("/collections/{handle}/{tag}", get(page))
        // A product seen through a collection (Shopify's `within` filter links there).
        .route("/collections/{handle}/products/{product}", get(page))
        .route("/search", get(page))
        .route("/search/suggest", get(page))
        .route("/recommendations/products", get(page))
        .route("/pages/{handle}", get(page))
        .route("/blogs/{blog}", get(page))
        .route("/blogs/{blog}/{article}", get(page))
        .route("/blogs/{blog}/tagged/{tag}", get(page))
        .route(
            "/blogs/{blog}/{article}/comments",
            post(shop_forms::comment),
        )
        .route("/password", get(page).post(shop_forms::password))
        .route("/gift_cards/{code}", get(page))
        .route("/variants/{id}", get(variant))
        .route("/contact", post(shop_forms::contact))
        .route("/localization", post(shop_forms::localization))
        .route(
            "/account",
            get(shop_forms::account).post(shop_forms::create_customer),
        )
        .route("/account/login", get(page).post(shop_forms::customer))
        .route("/account/logout", get(shop_forms::logout))
        .route(
            "/account/register",
            get(page).post(shop_forms::create_customer),
        )
        .route(
            "/account/{*rest}",
            get(shop_forms::account).post(shop_forms::customer),
        )
}

/// `http://host:port` as the visitor reached us (the `Host` header; `https` behind a proxy that
/// says so, or with secure cookies), for `shop.url`. `None` without a usable `Host`.
fn origin(state: &AppState, headers: &axum::http::HeaderMap) -> Option<String> {
    let host = headers
        .get(axum::http::header::HOST)?
        .to_str()
        .ok()
        // Only what a host and port are made of: the value is printed into pages unescaped.
        .filter(|h| {
            !h.is_empty()
                && h.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
                })
        })?;
    let forwarded_https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    let scheme = if forwarded_https || state.config().secure_cookies {
        "https"
    } else {
        "http"
    };
    Some(format!("{scheme}://{host}"))
}

/// Any storefront page: full HTML, or its sections through the Section Rendering API.
pub async fn page(
    State(state): State<AppState>,
    session: Session,
    locale: Locale,
    uri: Uri,
    headers: axum::http::HeaderMap,
) -> Response {
    let pairs: Vec<(String, String)> = uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let sections = requested_sections(&pairs);
    let section_id =
        crate::theme::objects::context::pair_value(&pairs, "section_id").map(str::to_owned);
    let flash = if sections.is_none() && section_id.is_none() {
        visitor::take_flash(&session).await
    } else {
        None
    };
    let cart = match visitor_cart(&state, &session).await {
        Ok(cart) => cart,
        Err(e) => {
            tracing::error!(error = %e, "cart read failed");
            return unavailable();
        }
    };
    let request = PageRequest {
        path: uri.path().to_string(),
        shipping_estimate: shipping_estimate(state.catalog(), &pairs),
        query: pairs,
        locale: locale.code.to_string(),
        flash,
        live_reload: state.config().watch,
        cart_error: None,
        origin: origin(&state, &headers),
    };
    let theme = state.theme();
    let ctx = theme.context(&request, cart_object(&state, &cart));

    if let Some(ids) = sections {
        let ids = match ids {
            Ok(ids) => ids,
            Err(message) => return section_api_error(StatusCode::BAD_REQUEST, &message),
        };
        let mut out = Sections::with_capacity(ids.len());
        for id in ids {
            let html = match theme.render_section_parts(&ctx, &id) {
                Ok(html) => html.map(|(html, printed)| SectionHtml { html, printed }),
                Err(e) => {
                    tracing::error!(section = %id, error = %e, "section failed to render");
                    None
                }
            };
            out.insert(id, html);
        }
        return no_store(json_bytes(StatusCode::OK, sections_object(&out)));
    }
    if let Some(id) = section_id {
        return match theme.render_section(&ctx, &id) {
            Ok(Some(html)) => no_store(Html(html).into_response()),
            Ok(None) => section_api_error(StatusCode::NOT_FOUND, "Section not found"),
            Err(e) => {
                tracing::error!(section = %id, error = %e, "section failed to render");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Html(theme.error_page(&e)),
                )
                    .into_response()
            }
        };
    }
    let status = StatusCode::from_u16(ctx.status()).unwrap_or(StatusCode::OK);
    match theme.render_page(&ctx) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(path = %uri.path(), error = %e, "page failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html(theme.error_page(&e)),
            )
                .into_response()
        }
    }
}

/// The page answered while the database cannot be reached (the caller logs the cause).
pub fn unavailable() -> Response {
    (StatusCode::SERVICE_UNAVAILABLE, Html(UNAVAILABLE)).into_response()
}

/// Shown when the cart cannot be read (the cause is logged, never shown).
const UNAVAILABLE: &str = "<!doctype html><title>Unavailable</title>\
    <p>The store cannot be reached right now. Please try again in a moment.</p>";

/// `sections=a,b` or `sections[]=a&sections[]=b`: None when absent, Err when more than five.
fn requested_sections(query: &[(String, String)]) -> Option<Result<Vec<String>, String>> {
    let mut asked = false;
    let mut ids = Vec::new();
    for (name, value) in query {
        if name == "sections" || name == "sections[]" {
            asked = true;
            ids.extend(split_ids(value));
        }
    }
    if !asked {
        return None;
    }
    if ids.len() > MAX_SECTIONS {
        return Some(Err(format!(
            "At most {MAX_SECTIONS} sections can be requested"
        )));
    }
    Some(Ok(ids))
}

fn section_api_error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({
        "status": status.as_u16(),
        "message": status.canonical_reason().unwrap_or("Error"),
        "description": message,
    });
    (status, axum::Json(body)).into_response()
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// GET /variants/{id}: Shopify's short URL of a variant, which goes to its product page with
/// that variant chosen, keeping the rest of the query (Impulse asks it for a section:
/// `/variants/1?section_id=store-availability`). An unknown variant is the 404 page.
async fn variant(
    state: State<AppState>,
    session: Session,
    locale: Locale,
    axum::extract::Path(id): axum::extract::Path<String>,
    uri: Uri,
    headers: axum::http::HeaderMap,
) -> Response {
    let Some(found) = id
        .parse::<i64>()
        .ok()
        .and_then(|id| state.catalog().variant(id))
    else {
        return not_found(state, session, uri, headers).await;
    };
    let mut to = locale.url(&format!(
        "/products/{}?variant={}",
        found.product.handle, found.variant.id
    ));
    for (key, value) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        if key != "variant" {
            to.push('&');
            to.push_str(
                &form_urlencoded::Serializer::new(String::new())
                    .append_pair(&key, &value)
                    .finish(),
            );
        }
    }
    redirect(StatusCode::SEE_OTHER, &to)
}

/// A redirect to `to`, a path of ours; one that could not be a header value is a 404 instead.
fn redirect(status: StatusCode, to: &str) -> Response {
    match HeaderValue::from_str(to) {
        Ok(location) => (status, [(header::LOCATION, location)]).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Paths no route knows: the theme's 404 page, under the locale the path starts with.
pub async fn not_found(
    state: State<AppState>,
    session: Session,
    uri: Uri,
    headers: axum::http::HeaderMap,
) -> Response {
    // `//variants/1` (a theme joining `shop.url`, `routes.root_url` and `/variants`): the same
    // path with single slashes, as Shopify answers it.
    if uri.path().contains("//") {
        let mut path = String::with_capacity(uri.path().len());
        for c in uri.path().chars() {
            if !(c == '/' && path.ends_with('/')) {
                path.push(c);
            }
        }
        if let Some(query) = uri.query() {
            path.push('?');
            path.push_str(query);
        }
        return redirect(StatusCode::PERMANENT_REDIRECT, &path);
    }
    let shop = state.catalog().shop();
    let first = uri
        .path()
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("");
    let locale = if first != shop.primary_locale && shop.locales.iter().any(|l| l == first) {
        Locale::prefixed(first)
    } else {
        Locale::primary(&shop.primary_locale)
    };
    let path = uri
        .path()
        .strip_prefix(&*locale.prefix)
        .unwrap_or(uri.path())
        .to_string();
    let uri = Uri::builder()
        .path_and_query(if path.is_empty() {
            "/".to_string()
        } else {
            path
        })
        .build()
        .unwrap_or_default();
    let mut response = page(state, session, locale, uri, headers).await;
    if response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::NOT_FOUND;
    }
    response
}
