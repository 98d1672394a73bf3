//! Hash filters: <https://shopify.dev/docs/api/liquid/filters/string-filters> (`md5`, `sha1`,
//! `sha256`, `hmac_sha1`, `hmac_sha256`). Each returns the lowercase hex digest of the text.

use hmac::{Hmac, KeyInit, Mac};
use minijinja::{Environment, Value};

use super::text;

pub fn register(env: &mut Environment<'_>) {
    env.add_filter("md5", |v: Value| {
        use md5::Digest as _;
        hex(&md5::Md5::digest(text(&v).as_bytes()))
    });
    env.add_filter("sha1", |v: Value| {
        use sha1::Digest as _;
        hex(&sha1::Sha1::digest(text(&v).as_bytes()))
    });
    env.add_filter("sha256", |v: Value| {
        use sha2::Digest as _;
        hex(&sha2::Sha256::digest(text(&v).as_bytes()))
    });
    env.add_filter("hmac_sha1", |v: Value, secret: Value| {
        hmac_hex::<Hmac<sha1::Sha1>>(&text(&secret), &text(&v))
    });
    env.add_filter("hmac_sha256", |v: Value, secret: Value| {
        hmac_hex::<Hmac<sha2::Sha256>>(&text(&secret), &text(&v))
    });
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac_hex<M: Mac + KeyInit>(secret: &str, message: &str) -> String {
    // HMAC takes a key of any length, so this never fails; an empty string is the fallback
    // for the impossible case rather than a panic.
    match <M as KeyInit>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(message.as_bytes());
            hex(&mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::render;
    use minijinja::Value;

    #[test]
    fn digests_of_known_inputs() {
        for (source, expected) in [
            (
                "{{ 'hello world'|md5 }}",
                "5eb63bbbe01eeed093cb22bb8f5acdc3",
            ),
            (
                "{{ 'hello world'|sha1 }}",
                "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed",
            ),
            (
                "{{ 'hello world'|sha256 }}",
                "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9",
            ),
            // RFC 2202 and RFC 4231, test case 2.
            (
                "{{ 'what do ya want for nothing?'|hmac_sha1('Jefe') }}",
                "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
            ),
            (
                "{{ 'what do ya want for nothing?'|hmac_sha256('Jefe') }}",
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            ("{{ nothing|md5 }}", "d41d8cd98f00b204e9800998ecf8427e"),
        ] {
            assert_eq!(render(source, Value::UNDEFINED), expected, "{source}");
        }
    }
}
