//! What `--db` names: a SQLite file (a path or `sqlite://PATH`) or a PostgreSQL database
//! (`postgres://` or `postgresql://`, completed by the usual `PG*` environment variables).
//!
//! The password is kept only inside `tokio_postgres::Config`; everything this module prints
//! (`Debug`, `Display`, errors) is built without it.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// The database a node runs on.
#[derive(Debug, Clone)]
pub enum DbTarget {
    Sqlite(PathBuf),
    Postgres(Box<PgOptions>),
}

/// A PostgreSQL database and how to use it.
#[derive(Clone)]
pub struct PgOptions {
    pub config: tokio_postgres::Config,
    /// Connections kept by this node (`--db-pool-size`).
    pub pool_size: usize,
    /// How long a request waits for a connection, and a connection for the server
    /// (`--db-timeout-ms`): past it the request answers 503 instead of hanging.
    pub timeout: Duration,
    /// `sslmode`: whether and how the connection is encrypted.
    pub tls: TlsMode,
    /// `sslrootcert`: the certificates `verify-ca` and `verify-full` trust (a PEM file, or
    /// `system` for the system's roots).
    pub root_cert: Option<PathBuf>,
}

/// libpq's `sslmode` values, with libpq's meaning: `prefer` (the default) and `require` encrypt
/// without checking the server's certificate, `verify-ca` checks it was issued by a trusted
/// authority, `verify-full` also that it names the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl TlsMode {
    fn parse(text: &str) -> Option<TlsMode> {
        Some(match text {
            "disable" => TlsMode::Disable,
            // libpq's `allow` tries without TLS first; trying TLS first reaches the same servers.
            "allow" | "prefer" => TlsMode::Prefer,
            "require" => TlsMode::Require,
            "verify-ca" => TlsMode::VerifyCa,
            "verify-full" => TlsMode::VerifyFull,
            _ => return None,
        })
    }

    /// Whether the server's certificate is checked against trusted roots.
    pub fn verifies(self) -> bool {
        matches!(self, TlsMode::VerifyCa | TlsMode::VerifyFull)
    }
}

/// URL parameters this module handles itself: the client library knows only some `sslmode`
/// values and no `sslrootcert`.
const OWN_PARAMETERS: [&str; 2] = ["sslmode", "sslrootcert"];

/// Client certificates are not supported: refused by name rather than as an unknown option.
const UNSUPPORTED_PARAMETERS: [&str; 3] = ["sslcert", "sslkey", "sslpassword"];

pub const DEFAULT_POOL_SIZE: usize = 16;
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why `--db` was refused. Never holds the password.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error(
        "--db: unsupported scheme `{0}://`; give a file path, sqlite://PATH, \
         postgres://USER@HOST:PORT/DBNAME or postgresql://..."
    )]
    Scheme(String),
    #[error("--db: invalid PostgreSQL URL: {0}")]
    Invalid(String),
}

impl DbTarget {
    /// Parses `--db`, taking missing PostgreSQL settings from `env` (`PGHOST`, `PGPORT`,
    /// `PGUSER`, `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`, `PGCONNECT_TIMEOUT`,
    /// `PGAPPNAME`).
    pub fn parse(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<Self, TargetError> {
        let Some((scheme, rest)) = split_scheme(text) else {
            return Ok(DbTarget::Sqlite(PathBuf::from(text)));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => Ok(DbTarget::Sqlite(PathBuf::from(rest))),
            "postgres" | "postgresql" => {
                PgOptions::from_url(text, env).map(|options| DbTarget::Postgres(Box::new(options)))
            }
            _ => Err(TargetError::Scheme(scheme.to_string())),
        }
    }

    /// Parses `--db` with the process's environment.
    pub fn from_arg(text: &str) -> Result<Self, TargetError> {
        DbTarget::parse(text, |name| std::env::var(name).ok())
    }
}

/// `scheme` and what follows `scheme://`, when `text` starts like a URL. A relative path such
/// as `data/store.db` or `./x:y` has no scheme.
fn split_scheme(text: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = text.split_once("://")?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some((scheme, rest))
}

impl PgOptions {
    fn from_url(url: &str, env: impl Fn(&str) -> Option<String>) -> Result<Self, TargetError> {
        if let Some(name) = UNSUPPORTED_PARAMETERS
            .iter()
            .find(|name| query_value(url, name).is_some())
        {
            return Err(TargetError::Invalid(format!(
                "{name}: client certificates are not supported; authenticate with a password"
            )));
        }
        let mut config = tokio_postgres::Config::from_str(&without_own_parameters(url))
            .map_err(|e| TargetError::Invalid(scrub(&e.to_string(), url)))?;
        if config.get_hosts().is_empty() {
            let hosts = env("PGHOST").unwrap_or_else(|| "localhost".into());
            for host in hosts.split(',') {
                config.host(host);
            }
        }
        if config.get_ports().is_empty()
            && let Some(port) = env("PGPORT")
        {
            let port = port
                .parse::<u16>()
                .map_err(|_| TargetError::Invalid("PGPORT is not a port number".into()))?;
            config.port(port);
        }
        if config.get_user().is_none() {
            let user = env("PGUSER")
                .or_else(|| env("USER"))
                .unwrap_or_else(|| "postgres".into());
            config.user(user);
        }
        if config.get_password().is_none()
            && let Some(password) = env("PGPASSWORD")
        {
            config.password(password);
        }
        if config.get_dbname().is_none()
            && let Some(dbname) = env("PGDATABASE")
        {
            config.dbname(dbname);
        }
        if config.get_application_name().is_none() {
            config.application_name(env("PGAPPNAME").as_deref().unwrap_or("vitrine"));
        }
        let sslmode = query_value(url, "sslmode").or_else(|| env("PGSSLMODE"));
        let tls = match sslmode.as_deref() {
            None => TlsMode::Prefer,
            Some(text) => TlsMode::parse(text).ok_or_else(|| {
                TargetError::Invalid(format!(
                    "sslmode `{text}` is not one of disable, allow, prefer, require, verify-ca, \
                     verify-full"
                ))
            })?,
        };
        config.ssl_mode(match tls {
            TlsMode::Disable => tokio_postgres::config::SslMode::Disable,
            TlsMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            TlsMode::Require | TlsMode::VerifyCa | TlsMode::VerifyFull => {
                tokio_postgres::config::SslMode::Require
            }
        });
        let root_cert = query_value(url, "sslrootcert")
            .or_else(|| env("PGSSLROOTCERT"))
            .filter(|path| !path.is_empty())
            .map(PathBuf::from);
        let timeout = match config.get_connect_timeout() {
            Some(t) => *t,
            None => match env("PGCONNECT_TIMEOUT").and_then(|s| s.parse::<u64>().ok()) {
                Some(secs) if secs > 0 => Duration::from_secs(secs),
                _ => DEFAULT_TIMEOUT,
            },
        };
        config.connect_timeout(timeout);
        Ok(PgOptions {
            config,
            pool_size: DEFAULT_POOL_SIZE,
            timeout,
            tls,
            root_cert,
        })
    }

    /// `postgres://user@host:port/dbname`: what logs may show of the target.
    pub fn redacted(&self) -> String {
        use tokio_postgres::config::Host;
        let user = self.config.get_user().unwrap_or("");
        let ports = self.config.get_ports();
        let hosts: Vec<String> = self
            .config
            .get_hosts()
            .iter()
            .enumerate()
            .map(|(i, host)| {
                let name = match host {
                    Host::Tcp(name) => name.clone(),
                    #[cfg(unix)]
                    Host::Unix(path) => path.display().to_string(),
                };
                match ports.get(i).or(ports.first()) {
                    Some(port) => format!("{name}:{port}"),
                    None => name,
                }
            })
            .collect();
        let dbname = self.config.get_dbname().unwrap_or(user);
        format!("postgres://{user}@{}/{dbname}", hosts.join(","))
    }
}

impl std::fmt::Debug for PgOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgOptions")
            .field("database", &self.redacted())
            .field("pool_size", &self.pool_size)
            .field("timeout", &self.timeout)
            .field("tls", &self.tls)
            .field("root_cert", &self.root_cert)
            .finish()
    }
}

/// The value of `name` in the URL's query string, if given.
fn query_value(url: &str, name: &str) -> Option<String> {
    let (_, query) = url.split_once('?')?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// `url` without the parameters this module reads itself.
fn without_own_parameters(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let kept: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| !OWN_PARAMETERS.contains(&key.as_ref()))
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    if kept.is_empty() {
        return base.to_string();
    }
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(kept)
        .finish();
    format!("{base}?{query}")
}

/// `message` without anything of the URL's password in it (a parser may quote its input).
fn scrub(message: &str, url: &str) -> String {
    let password = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split(['/', '?']).next())
        .and_then(|authority| authority.rsplit_once('@'))
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
        .map(|(_, password)| password)
        .filter(|p| !p.is_empty());
    match password {
        Some(p) => message.replace(p, "***"),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn a_path_or_sqlite_url_is_sqlite() {
        for (text, path) in [
            ("data/store.db", "data/store.db"),
            ("/var/lib/vitrine/store.db", "/var/lib/vitrine/store.db"),
            ("sqlite://data/store.db", "data/store.db"),
            ("sqlite:///abs/store.db", "/abs/store.db"),
            ("./odd:name.db", "./odd:name.db"),
        ] {
            match DbTarget::parse(text, no_env) {
                Ok(DbTarget::Sqlite(p)) => assert_eq!(p, PathBuf::from(path), "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_postgres_url_is_postgres_with_every_part() {
        let url = "postgresql://shop:s3cret@db.example:6543/carts?sslmode=require";
        let Ok(DbTarget::Postgres(pg)) = DbTarget::parse(url, no_env) else {
            panic!("not postgres");
        };
        assert_eq!(pg.config.get_user(), Some("shop"));
        assert_eq!(pg.config.get_password(), Some(&b"s3cret"[..]));
        assert_eq!(pg.config.get_dbname(), Some("carts"));
        assert_eq!(pg.config.get_ports(), &[6543]);
        assert_eq!(pg.tls, TlsMode::Require);
        assert_eq!(pg.redacted(), "postgres://shop@db.example:6543/carts");
        assert!(!format!("{pg:?}").contains("s3cret"));
    }

    #[test]
    fn sslmode_takes_libpq_values_and_sslrootcert_a_path() {
        for (mode, expected) in [
            ("disable", TlsMode::Disable),
            ("allow", TlsMode::Prefer),
            ("prefer", TlsMode::Prefer),
            ("require", TlsMode::Require),
            ("verify-ca", TlsMode::VerifyCa),
            ("verify-full", TlsMode::VerifyFull),
        ] {
            let url = format!(
                "postgres://u@h/d?sslmode={mode}&sslrootcert=%2Fetc%2Fca.pem&application_name=x"
            );
            let Ok(DbTarget::Postgres(pg)) = DbTarget::parse(&url, no_env) else {
                panic!("{url} is not postgres");
            };
            assert_eq!(pg.tls, expected, "{mode}");
            assert_eq!(pg.root_cert, Some(PathBuf::from("/etc/ca.pem")));
            // The client library's own parameters still reach it.
            assert_eq!(pg.config.get_application_name(), Some("x"));
        }
        let Ok(DbTarget::Postgres(pg)) = DbTarget::parse("postgres://u@h/d", no_env) else {
            panic!("not postgres");
        };
        assert_eq!(pg.tls, TlsMode::Prefer, "libpq's default");
        assert_eq!(pg.root_cert, None);
    }

    #[test]
    fn client_certificates_are_refused_by_name() {
        let Err(e) = DbTarget::parse("postgres://u@h/d?sslcert=/c.pem&sslkey=/k.pem", no_env)
        else {
            panic!("accepted a client certificate");
        };
        assert!(e.to_string().contains("sslcert"), "{e}");
    }

    #[test]
    fn missing_parts_come_from_pg_variables() {
        let env = |name: &str| match name {
            "PGHOST" => Some("10.0.0.5".to_string()),
            "PGPORT" => Some("5433".to_string()),
            "PGUSER" => Some("app".to_string()),
            "PGPASSWORD" => Some("from-env".to_string()),
            "PGDATABASE" => Some("shop".to_string()),
            "PGSSLMODE" => Some("require".to_string()),
            _ => None,
        };
        let Ok(DbTarget::Postgres(pg)) = DbTarget::parse("postgres://", env) else {
            panic!("not postgres");
        };
        assert_eq!(pg.redacted(), "postgres://app@10.0.0.5:5433/shop");
        assert_eq!(pg.config.get_password(), Some(&b"from-env"[..]));
        assert_eq!(pg.tls, TlsMode::Require);
        // The URL wins over the environment.
        let Ok(DbTarget::Postgres(pg)) = DbTarget::parse("postgres://me@h:1/d", env) else {
            panic!("not postgres");
        };
        assert_eq!(pg.redacted(), "postgres://me@h:1/d");
    }

    #[test]
    fn another_scheme_is_refused_with_the_accepted_forms() {
        for text in ["mysql://root@localhost/shop", "HTTP://x", "redis://h:6379"] {
            let err = DbTarget::parse(text, no_env).expect_err(text);
            let message = err.to_string();
            assert!(message.contains("postgres://"), "{message}");
            assert!(message.contains("sqlite://"), "{message}");
        }
    }

    #[test]
    fn a_bad_url_error_does_not_show_the_password() {
        for url in [
            "postgres://u:hunter2@h:notaport/d",
            "postgres://u:hunter2@h/d?sslmode=sometimes",
            "postgres://u:hunter2@h/d?bogus_option=1",
        ] {
            let err = DbTarget::parse(url, no_env).expect_err(url);
            assert!(!err.to_string().contains("hunter2"), "{err}");
        }
    }
}
