//! TLS to PostgreSQL, against a real server that refuses TCP connections without it: each
//! `sslmode` as libpq defines it, and a cart written over an encrypted connection.

use vitrine::store::{AfterCommand, IfMissing, Store};

use crate::pg_support::{self, PgServer};

/// `url` (from `new_database`, no query string) with `query` added and the host replaced.
fn with(url: &str, host: &str, query: &str) -> String {
    format!("{}?{query}", url.replacen("127.0.0.1", host, 1))
}

async fn opens(url: &str) -> Result<Store, String> {
    Store::open_postgres(&pg_support::options(url))
        .await
        .map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_sslmode_connects_or_refuses_as_libpq_does() {
    let Some((server, tls)) =
        PgServer::dedicated_tls("each_sslmode_connects_or_refuses_as_libpq_does")
    else {
        return;
    };
    let url = server.new_database();
    let ca = tls.ca.display().to_string();
    let other_ca = tls.other_ca.display().to_string();

    // The server takes TCP connections only over TLS.
    let refused = opens(&with(&url, "127.0.0.1", "sslmode=disable")).await;
    assert!(refused.is_err(), "a plain connection was accepted");
    assert!(
        !refused.unwrap_err().contains(server.password()),
        "the error shows the password"
    );

    // `require` encrypts without checking the certificate; `prefer` (the default) too.
    let store = opens(&with(&url, "127.0.0.1", "sslmode=require"))
        .await
        .expect("sslmode=require connects");
    let written = store
        .mutate("tls-cart", IfMissing::Create, |cart| {
            cart.note = Some("over TLS".into());
            Ok::<_, ()>(((), AfterCommand::Save))
        })
        .await;
    assert!(written.is_ok(), "a cart write over TLS failed");
    let read = store.cart("tls-cart").await.expect("read").expect("stored");
    assert_eq!(read.note.as_deref(), Some("over TLS"));
    opens(&url)
        .await
        .expect("the default, prefer, connects over TLS");

    // `verify-full` checks the chain and the name: the certificate names localhost only.
    opens(&with(
        &url,
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    ))
    .await
    .expect("verify-full to localhost with the right CA");
    let wrong_name = opens(&with(
        &url,
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    ))
    .await;
    assert!(
        wrong_name.is_err(),
        "verify-full accepted a certificate for another name"
    );
    // `verify-ca` checks the chain only.
    opens(&with(
        &url,
        "127.0.0.1",
        &format!("sslmode=verify-ca&sslrootcert={ca}"),
    ))
    .await
    .expect("verify-ca ignores the name");
    let wrong_ca = opens(&with(
        &url,
        "localhost",
        &format!("sslmode=verify-ca&sslrootcert={other_ca}"),
    ))
    .await;
    assert!(
        wrong_ca.is_err(),
        "verify-ca accepted a certificate of an unknown CA"
    );
}
