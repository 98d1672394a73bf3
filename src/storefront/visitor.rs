//! The visitor: their cart (found through the session cookie), their locale, and one-shot flash
//! messages for plain form posts.

use std::sync::Arc;

use tower_sessions::Session;

const CART_KEY: &str = "cart";
const FLASH_KEY: &str = "flash";

/// The locale a request was routed under: `en` at `/`, `fr` at `/fr/...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locale {
    pub code: Arc<str>,
    /// `""` for the primary locale, `"/fr"` otherwise: prefix for every storefront URL.
    pub prefix: Arc<str>,
}

impl Locale {
    pub fn primary(code: &str) -> Locale {
        Locale {
            code: code.into(),
            prefix: "".into(),
        }
    }

    pub fn prefixed(code: &str) -> Locale {
        Locale {
            code: code.into(),
            prefix: format!("/{code}").into(),
        }
    }

    /// A storefront path under this locale, e.g. `/cart` → `/fr/cart`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.prefix, path)
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Locale {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Locale>()
            .cloned()
            .unwrap_or_else(|| Locale::primary("en")))
    }
}

/// The visitor's cart token, if they have one.
pub async fn cart_id(session: &Session) -> Option<String> {
    match session.get::<String>(CART_KEY).await {
        Ok(id) => id,
        Err(e) => {
            tracing::warn!(error = %e, "session read failed");
            None
        }
    }
}

/// The visitor's cart token, minting one (and the session) on first use. The cart row itself
/// is written by the first mutation.
///
/// A session that already exists but has no cart yet (one that only carried a flash message)
/// may send its first mutations from several tabs at once. Each request holds its own copy of
/// the session, so a random token per request would give each tab its own cart and keep only
/// the last one. Such a session's first token is therefore derived from its id: every
/// concurrent request mints the same one. A brand-new session (no id yet) cannot have
/// concurrent requests, and gets a random token.
pub async fn ensure_cart_id(session: &Session) -> Result<String, tower_sessions::session::Error> {
    if let Some(id) = session.get::<String>(CART_KEY).await? {
        return Ok(id);
    }
    let id = match session.id() {
        Some(session_id) => token_for_session(&session_id.to_string()),
        None => crate::cart::new_token(),
    };
    session.insert(CART_KEY, &id).await?;
    Ok(id)
}

/// The first cart token of an existing session: a digest of its id under a key drawn at
/// start-up, in the UUID layout of every token. Without the key (never stored or sent) a token
/// tells nothing about the session id, nor the session id about the token.
fn token_for_session(session_id: &str) -> String {
    use md5::{Digest, Md5};
    static KEY: std::sync::LazyLock<[u8; 32]> = std::sync::LazyLock::new(rand::random);
    let mut digest = Md5::new();
    digest.update(*KEY);
    digest.update(session_id.as_bytes());
    uuid::Uuid::from_bytes(digest.finalize().into())
        .hyphenated()
        .to_string()
}

/// Makes `id` the visitor's cart (BigCommerce `POST /carts`).
pub async fn set_cart_id(
    session: &Session,
    id: &str,
) -> Result<(), tower_sessions::session::Error> {
    session.insert(CART_KEY, id).await
}

pub async fn set_flash(session: &Session, message: &str) {
    if let Err(e) = session.insert(FLASH_KEY, message).await {
        tracing::warn!(error = %e, "could not store a flash message");
    }
}

/// The flash message, removed from the session. Only a session that had one is written back:
/// `remove` marks the session modified even when the key is absent, which would cost a session
/// write on every page view.
pub async fn take_flash(session: &Session) -> Option<String> {
    session.get::<String>(FLASH_KEY).await.ok().flatten()?;
    session.remove::<String>(FLASH_KEY).await.ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::token_for_session;

    #[test]
    fn session_tokens_are_stable_per_session_and_distinct_between_sessions() {
        let a = token_for_session("session-a");
        assert_eq!(a, token_for_session("session-a"));
        assert_ne!(a, token_for_session("session-b"));
        assert_eq!(a.len(), 36);
        assert!(uuid::Uuid::parse_str(&a).is_ok());
    }
}
