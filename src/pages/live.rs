//! The live-reload channel for theme authors: Server-Sent Events of theme changes, and the
//! small client script that acts on them.

use std::convert::Infallible;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;

use crate::state::AppState;
use crate::theme::{LIVE_RELOAD_JS, change_event_json};

/// GET /__vitrine/events
pub async fn events(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let changes = BroadcastStream::new(state.theme().subscribe())
        .filter_map(|change| change.ok())
        .map(|change| Ok(Event::default().data(change_event_json(&change))));
    Sse::new(changes).keep_alive(KeepAlive::default())
}

/// GET /__vitrine/live.js
pub async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        LIVE_RELOAD_JS,
    )
}

/// GET /__vitrine/shopify/standard-events.js: our stand-in for Shopify's module (see
/// [`crate::theme::cdn`]).
pub async fn standard_events() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        crate::theme::cdn::STANDARD_EVENTS_JS,
    )
}

/// GET /__vitrine/compiled_assets/{file}: a bundle of the theme's `{% stylesheet %}` or
/// `{% javascript %}` tags, as Shopify serves them (linked from `content_for_header`).
pub async fn compiled_asset(
    State(state): State<AppState>,
    axum::extract::Path(file): axum::extract::Path<String>,
) -> axum::response::Response {
    match state.theme().asset_bundle(&file) {
        Some((content, is_script)) => (
            [
                (
                    header::CONTENT_TYPE,
                    if is_script {
                        "text/javascript; charset=utf-8"
                    } else {
                        "text/css; charset=utf-8"
                    },
                ),
                // The URL carries the bundle's digest; a changed stylesheet gets a new one.
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            content.to_string(),
        )
            .into_response(),
        None => axum::http::StatusCode::NOT_FOUND.into_response(),
    }
}
