//! Base64 filters, with Ruby's strictness: `base64_decode` refuses anything that
//! `Base64.strict_decode64` refuses; the URL-safe decoder also takes unpadded input.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use minijinja::{Error, Value};

use super::coerce::to_s;
use super::liquid_error;

pub(super) fn base64_encode(input: &Value, _args: &[Value]) -> Result<Value, Error> {
    Ok(Value::from(STANDARD.encode(to_s(input).as_bytes())))
}

pub(super) fn base64_url_safe_encode(input: &Value, _args: &[Value]) -> Result<Value, Error> {
    Ok(Value::from(URL_SAFE.encode(to_s(input).as_bytes())))
}

pub(super) fn base64_decode(input: &Value, _args: &[Value]) -> Result<Value, Error> {
    let bytes = STANDARD
        .decode(to_s(input).as_bytes())
        .map_err(|_| liquid_error("invalid base64 provided to base64_decode"))?;
    Ok(Value::from(String::from_utf8_lossy(&bytes).into_owned()))
}

/// Ruby's `Base64.urlsafe_decode64`: pads unpadded input, maps `-_` to `+/`, then decodes
/// strictly (so `+` and `/` are taken as well).
pub(super) fn base64_url_safe_decode(input: &Value, _args: &[Value]) -> Result<Value, Error> {
    let mut text: String = to_s(input)
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            other => other,
        })
        .collect();
    if !text.ends_with('=') && text.len() % 4 != 0 {
        let padded = text.len().div_ceil(4) * 4;
        text.extend(std::iter::repeat_n('=', padded - text.len()));
    }
    let bytes = STANDARD
        .decode(text.as_bytes())
        .map_err(|_| liquid_error("invalid base64 provided to base64_url_safe_decode"))?;
    Ok(Value::from(String::from_utf8_lossy(&bytes).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(f: super::super::FilterFn, input: impl Into<Value>) -> Result<String, Error> {
        f(&input.into(), &[]).map(|value| value.to_string())
    }

    #[test]
    fn round_trips() {
        assert_eq!(run(base64_encode, "_#/.").ok().as_deref(), Some("XyMvLg=="));
        assert_eq!(run(base64_encode, 5).ok().as_deref(), Some("NQ=="));
        assert_eq!(run(base64_decode, "XyMvLg==").ok().as_deref(), Some("_#/."));
        assert_eq!(
            run(base64_url_safe_encode, "?>").ok().as_deref(),
            Some("Pz4=")
        );
        assert_eq!(
            run(base64_url_safe_encode, "??>").ok().as_deref(),
            Some("Pz8-")
        );
        assert_eq!(
            run(base64_url_safe_decode, "Pz8-").ok().as_deref(),
            Some("??>")
        );
        assert_eq!(
            run(base64_url_safe_decode, "Pz4").ok().as_deref(),
            Some("?>")
        );
        assert_eq!(
            run(base64_decode, Value::UNDEFINED).ok().as_deref(),
            Some("")
        );
    }

    #[test]
    fn strict_decoding_refuses_bad_input() {
        assert!(run(base64_decode, 5).is_err());
        assert!(run(base64_decode, "XyMvLg").is_err());
        assert!(run(base64_decode, "Pz8-").is_err());
        assert!(run(base64_url_safe_decode, "5").is_err());
    }
}
