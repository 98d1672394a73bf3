//! The answer to a cart form posted without JavaScript (or htmx): a redirect, with the refusal
//! as a one-shot flash message that the next page shows, in the locale the form posted to.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use crate::storefront::cart::{FormOutcome, Refusal};
use crate::storefront::visitor::{self, Locale};

/// Goes to the form's `return_to` (a same-origin path, already checked), else to the cart page
/// of the request's locale.
pub async fn after_post(
    session: &Session,
    locale: &Locale,
    outcome: Result<FormOutcome, Refusal>,
) -> Response {
    let (refusal, return_to) = match &outcome {
        Ok(outcome) => (outcome.refusal.as_ref(), outcome.return_to.as_deref()),
        Err(refusal) => (Some(refusal), None),
    };
    if let Some(refusal) = refusal {
        visitor::set_flash(session, &refusal.message).await;
    }
    let target = match return_to {
        Some(path) => path.to_string(),
        None => locale.url("/cart"),
    };
    (StatusCode::SEE_OTHER, Redirect::to(&target)).into_response()
}
