//! The storefront's URLs for one locale, put together from the layers below: the Ajax API
//! (`api::shopify`), the pages (`pages`), and the cart endpoints that serve both. A cart
//! endpoint runs its mutation once and answers the way its caller wants: JSON for `.js` and
//! Ajax callers, htmx fragments for htmx, a redirect (with a flash message on error) for plain
//! HTML forms. Only this module sees both the dialect and the pages, so neither imports the
//! other.

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::{HeaderMap, Uri, header, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use axum_htmx::HxRequest;
use tower_sessions::Session;

use crate::api::shopify::cart_api::{self, Kind, MutationResult};
use crate::api::shopify::error::ShopifyError;
use crate::api::shopify::{self, products, respond};
use crate::pages;
use crate::state::AppState;
use crate::storefront::cart::{FormOutcome, Refusal};
use crate::storefront::visitor::Locale;

/// The routes of one locale (mounted at `/` and at `/fr`, ...): the `Locale` extension tells
/// the handlers which one a request came through.
pub fn for_locale(locale: Locale) -> Router<AppState> {
    let cart_endpoints = Router::new()
        .route("/cart/add.js", mutation(Kind::Add))
        .route("/cart/add", mutation(Kind::Add))
        .route("/cart/update.js", mutation(Kind::Update))
        .route("/cart/update", mutation(Kind::Update))
        .route("/cart/change.js", mutation(Kind::Change))
        .route("/cart/change", mutation(Kind::Change).get(change_link))
        .route("/cart/clear.js", mutation(Kind::Clear))
        .route("/cart/clear", mutation(Kind::Clear))
        // The cart page, and its form without JavaScript (an update).
        .route("/cart", mutation(Kind::Update).get(pages::page));
    shopify::router()
        .merge(shopify::with_ajax_error_shape(cart_endpoints))
        .merge(pages::router())
        .route("/products/{handle}", get(product))
        .layer(axum::Extension(locale))
}

/// How the caller wants the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Htmx,
    Html,
}

impl<S: Send + Sync> FromRequestParts<S> for Format {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let HxRequest(htmx) = HxRequest::from_request_parts(parts, state).await?;
        Ok(negotiate(parts.uri.path(), htmx, &parts.headers))
    }
}

/// `.js`/`.json` paths always answer JSON. Other forms answer JSON to Ajax callers
/// (`Accept: application/json` or `application/javascript`, or `X-Requested-With`), htmx
/// fragments to htmx, and a redirect to everyone else.
pub fn negotiate(path: &str, htmx: bool, headers: &HeaderMap) -> Format {
    if path.ends_with(".js") || path.ends_with(".json") {
        return Format::Json;
    }
    if htmx {
        return Format::Htmx;
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if accept.contains("application/json")
        || accept.contains("application/javascript")
        || accept.contains("text/javascript")
        || headers.contains_key("x-requested-with")
    {
        Format::Json
    } else {
        Format::Html
    }
}

/// The POST route of one cart endpoint: parse, one transaction, then the answer in `Format`.
fn mutation(kind: Kind) -> MethodRouter<AppState> {
    post(
        move |State(state): State<AppState>,
              session: Session,
              locale: Locale,
              format: Format,
              headers: HeaderMap,
              bytes: Result<Bytes, BytesRejection>| async move {
            // An unreadable body is answered like any other refusal.
            let result = cart_api::mutate_body(&state, &session, &headers, bytes, kind).await;
            answer(&state, &session, &locale, format, &headers, result).await
        },
    )
}

/// GET /cart/change?line=N&quantity=Q (or ?id=KEY): the links of a cart page without JavaScript.
async fn change_link(
    State(state): State<AppState>,
    session: Session,
    locale: Locale,
    format: Format,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let result = cart_api::mutate_query(&state, &session, &headers, query).await;
    answer(&state, &session, &locale, format, &headers, result).await
}

async fn answer(
    state: &AppState,
    session: &Session,
    locale: &Locale,
    format: Format,
    headers: &HeaderMap,
    result: Result<MutationResult, ShopifyError>,
) -> Response {
    if format == Format::Json {
        return respond::json_answer(state, locale, headers, result).await;
    }
    let theme = state.theme();
    let outcome: Result<FormOutcome, Refusal> = match result {
        Ok(result) => {
            if let Some(error) = &result.error {
                error.log();
            }
            Ok(result.form_outcome(theme, locale))
        }
        Err(error) => {
            error.log();
            Err(error.refusal(theme, locale))
        }
    };
    match format {
        Format::Htmx => pages::htmx::cart_mutation(state, session, headers, outcome).await,
        _ => pages::forms::after_post(session, locale, outcome).await,
    }
}

/// GET /products/{handle}: the product page, or the Product API for `.js`/`.json`.
async fn product(
    state: State<AppState>,
    session: Session,
    locale: Locale,
    Path(handle): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if handle.ends_with(".js") || handle.ends_with(".json") {
        return match products::product_response(&state, &handle) {
            Ok(response) => response,
            Err(e) => e.into_response(),
        };
    }
    pages::page(state, session, locale, uri, headers).await
}

/// tower-sessions answers a bare, empty 500 when it cannot save the session after the handler
/// answered (the database went away in between; the cause is in its log line). Such a request
/// is answered as the outage it is, a 503 in the shape its caller reads: Shopify's JSON error
/// for Ajax callers, the unavailable page for the rest. Nothing the visitor can reach changed:
/// without the cookie, a cart the handler created is an orphan the expiry sweep removes.
pub async fn answer_session_save_failure(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let format = negotiate(
        request.uri().path(),
        request.headers().contains_key("hx-request"),
        request.headers(),
    );
    let response = next.run(request).await;
    let bare_500 = response.status() == axum::http::StatusCode::INTERNAL_SERVER_ERROR
        && !response.headers().contains_key(header::CONTENT_TYPE)
        && axum::body::HttpBody::size_hint(response.body()).exact() == Some(0);
    if !bare_500 {
        return response;
    }
    match format {
        Format::Json => {
            ShopifyError::Unavailable("the session could not be saved".into()).into_response()
        }
        Format::Htmx | Format::Html => pages::unavailable(),
    }
}
