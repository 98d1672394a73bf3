//! Elastic Path's implicit grant: `POST /oauth/access_token` hands a shopper a bearer token
//! that every `/v2` and `/catalog` call must carry. Tokens live in memory (`TokenBook`):
//! random, bounded in number, pruned when expired; a restart signs every shopper out, and
//! their clients simply ask for a new token. On a shared database (several nodes on
//! PostgreSQL) each token's digest and expiry are also stored there, and that is what every
//! node checks, so a token from one node works on all.
//! <https://elasticpath.dev/docs/authentication/Tokens/implicit-token>

use std::collections::HashMap;
use std::sync::Mutex;

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use serde::Serialize;
use serde_json::Value;
use subtle::ConstantTimeEq;

use super::error::EpError;
use crate::state::AppState;

/// Seconds a token stays valid, as Elastic Path issues them.
pub const TOKEN_TTL_SECS: i64 = 3600;
/// At most this many live tokens; past it the one closest to expiry goes.
pub const MAX_TOKENS: usize = 10_000;

/// The kind of the database's remembered keys that are access tokens (on a shared database).
const TOKEN_KIND: &str = "ep_token";

/// The body of a token response, in the documented field order.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct IssuedToken {
    /// Unix seconds when the token stops working.
    pub expires: i64,
    pub identifier: &'static str,
    pub expires_in: i64,
    pub access_token: String,
    pub token_type: &'static str,
}

/// Issued implicit-grant access tokens and when each expires (Unix seconds).
/// The clock is a parameter of `issue_at` / `is_valid_at`, so tests can mint a token in the past.
pub struct TokenBook {
    ttl_secs: i64,
    capacity: usize,
    tokens: Mutex<HashMap<String, i64>>,
}

impl Default for TokenBook {
    fn default() -> Self {
        TokenBook::new(TOKEN_TTL_SECS, MAX_TOKENS)
    }
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

impl TokenBook {
    pub fn new(ttl_secs: i64, capacity: usize) -> TokenBook {
        TokenBook {
            ttl_secs,
            capacity: capacity.max(1),
            tokens: Mutex::new(HashMap::new()),
        }
    }

    fn tokens(&self) -> std::sync::MutexGuard<'_, HashMap<String, i64>> {
        // A panic while holding the lock cannot leave the map half-written: use it as is.
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new token, valid for the TTL from now.
    pub fn issue(&self) -> IssuedToken {
        self.issue_at(now_secs())
    }

    /// A new token as if issued at `now` (Unix seconds).
    pub fn issue_at(&self, now: i64) -> IssuedToken {
        let token = new_token();
        let expires = now + self.ttl_secs;
        let mut tokens = self.tokens();
        tokens.retain(|_, exp| *exp > now);
        while tokens.len() >= self.capacity {
            let oldest = tokens
                .iter()
                .min_by_key(|(_, exp)| **exp)
                .map(|(t, _)| t.clone());
            match oldest {
                Some(t) => tokens.remove(&t),
                None => break,
            };
        }
        tokens.insert(token.clone(), expires);
        IssuedToken {
            expires,
            identifier: "implicit",
            expires_in: self.ttl_secs,
            access_token: token,
            token_type: "Bearer",
        }
    }

    pub fn is_valid(&self, token: &str) -> bool {
        self.is_valid_at(token, now_secs())
    }

    pub fn is_valid_at(&self, token: &str, now: i64) -> bool {
        let mut tokens = self.tokens();
        match tokens.get(token) {
            Some(expires) if *expires > now => true,
            Some(_) => {
                tokens.remove(token);
                false
            }
            None => false,
        }
    }

    /// Live and expired-but-not-yet-pruned tokens.
    pub fn len(&self) -> usize {
        self.tokens().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// 160 random bits as 40 hex digits.
fn new_token() -> String {
    let bytes: [u8; 20] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A request carrying a valid, unexpired bearer token.
pub struct Shopper;

impl FromRequestParts<AppState> for Shopper {
    type Rejection = EpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, EpError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .ok_or(EpError::Unauthorized)?;
        // On a shared database any node may have issued it (see `access_token`).
        let valid = if state.store().is_shared() {
            let now = now_secs();
            state
                .store()
                .is_remembered(TOKEN_KIND, crate::store::secret_key(token), now)
                .await?
        } else {
            state.node_local::<TokenBook>().is_valid(token)
        };
        if valid {
            Ok(Shopper)
        } else {
            Err(EpError::Unauthorized)
        }
    }
}

/// The form (or JSON) fields of a token request.
fn token_fields(headers: &HeaderMap, body: &[u8]) -> Result<HashMap<String, String>, EpError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.contains("json"));
    if is_json {
        let value: Value = serde_json::from_slice(body)
            .map_err(|_| EpError::BadRequest("The request body is not valid JSON.".into()))?;
        let Value::Object(map) = value else {
            return Err(EpError::BadRequest(
                "The request body must be an object.".into(),
            ));
        };
        return Ok(map
            .into_iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
            .collect());
    }
    Ok(form_urlencoded::parse(body).into_owned().collect())
}

/// POST /oauth/access_token with `grant_type=implicit&client_id=...`
/// <https://elasticpath.dev/docs/authentication/Tokens/implicit-token>
pub async fn access_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    super::params::RawBody(body): super::params::RawBody,
) -> Result<Json<IssuedToken>, EpError> {
    let fields = token_fields(&headers, &body)?;
    match fields.get("grant_type").map(String::as_str) {
        Some("implicit") => {}
        Some(_) => return Err(EpError::UnsupportedGrant),
        None => return Err(EpError::validation("grant_type", "grant_type is required.")),
    }
    let client_id = fields.get("client_id").map(String::as_str).unwrap_or("");
    let expected = state.config().ep_client_id.as_bytes();
    if client_id.is_empty() || !bool::from(client_id.as_bytes().ct_eq(expected)) {
        return Err(EpError::InvalidClient);
    }
    let issued = state.node_local::<TokenBook>().issue();
    if state.store().is_shared() {
        // Every node must accept it: it goes into the database, as a digest, not the token.
        let key = crate::store::secret_key(&issued.access_token);
        state
            .store()
            .remember_until(TOKEN_KIND, key, issued.expires)
            .await?;
    }
    Ok(Json(issued))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_expire() {
        let book = TokenBook::new(3600, 10);
        let token = book.issue_at(1_000);
        assert_eq!(token.expires, 4_600);
        assert_eq!(token.access_token.len(), 40);
        assert!(book.is_valid_at(&token.access_token, 4_599));
        assert!(!book.is_valid_at(&token.access_token, 4_600));
        assert!(!book.is_valid_at("nope", 1_000));
    }

    #[test]
    fn the_book_is_bounded_and_pruned() {
        let book = TokenBook::new(10, 3);
        let first = book.issue_at(0);
        book.issue_at(1);
        book.issue_at(2);
        let fourth = book.issue_at(3);
        assert_eq!(book.len(), 3);
        assert!(!book.is_valid_at(&first.access_token, 3));
        assert!(book.is_valid_at(&fourth.access_token, 3));
        // Everything issued before t=10 has expired by t=20 and is pruned on the next issue.
        book.issue_at(20);
        assert_eq!(book.len(), 1);
    }
}
