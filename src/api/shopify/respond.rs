//! One mutation, three kinds of answer: JSON for `.js` and Ajax callers, htmx fragments for htmx,
//! and a redirect (with a flash message on error) for plain HTML forms. A refusal reads in the
//! locale the request came through (`/fr/cart/add` answers in French) in all three.

use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Redirect, Response};
use axum_htmx::HxRequest;
use serde_json::Map;
use tower_sessions::Session;

use super::cart_api::{MutationResult, json_response};
use super::error::{ShopifyError, error_response};
use super::sections::{cart_object, context_url, render_bundle};
use crate::state::AppState;
use crate::visitor::{self, Locale};

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

pub async fn respond_mutation(
    state: &AppState,
    session: &Session,
    locale: &Locale,
    format: Format,
    headers: &HeaderMap,
    result: Result<MutationResult, ShopifyError>,
) -> Response {
    match format {
        Format::Json => match result {
            Ok(mut result) => {
                let sections =
                    if result.sections.ids.is_empty() || result.sections.invalid.is_some() {
                        None
                    } else {
                        let url = context_url(result.sections.url.as_deref(), headers);
                        let cart = result
                            .theme_cart
                            .take()
                            .unwrap_or_else(|| cart_object(state, &result.cart));
                        Some(render_bundle(state, cart, &result.sections.ids, &url).await)
                    };
                json_response(result, sections, state.theme(), locale)
            }
            Err(e) => {
                let description = e.localized_description(state.theme(), locale);
                error_response(&e, description, Map::new())
            }
        },
        Format::Htmx => {
            crate::pages::htmx::cart_mutation(state, session, locale, headers, result).await
        }
        Format::Html => {
            let error = match &result {
                Ok(r) => r.error.as_ref(),
                Err(e) => Some(e),
            };
            if let Some(error) = error {
                error.log();
                let message = error.localized_description(state.theme(), locale);
                visitor::set_flash(session, &message).await;
            }
            let return_to = result.as_ref().ok().and_then(|r| r.return_to.as_deref());
            redirect_after_form(locale, return_to)
        }
    }
}

/// Where a plain form post goes next: a same-origin `return_to` (already checked by
/// `params::return_to`), else the cart page of the request's locale.
pub fn redirect_after_form(locale: &Locale, return_to: Option<&str>) -> Response {
    let target = match return_to {
        Some(path) => path.to_string(),
        None => locale.url("/cart"),
    };
    (StatusCode::SEE_OTHER, Redirect::to(&target)).into_response()
}
