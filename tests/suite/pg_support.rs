//! A throwaway PostgreSQL for the tests: `initdb` into a temporary directory, a free port on
//! 127.0.0.1 (and its socket in that directory), password authentication over TCP, removed
//! when the test run ends.
//!
//! The binaries are looked for in `VITRINE_PG_BIN`, then `/usr/lib/postgresql/*/bin`. When
//! none are found the PostgreSQL tests print why and pass without running, unless
//! `VITRINE_PG_TESTS=1` (set by `.ci/run`), which turns the skip into a failure. As root (CI
//! and these machines) the server runs as the `postgres` user through `runuser`.
//!
//! One shared server serves most tests, each in a database of its own; tests that stop or
//! restart the server start a dedicated one.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The superuser's password: random per run, so a test can look for it in logs and answers.
fn password() -> &'static str {
    static PASSWORD: OnceLock<String> = OnceLock::new();
    PASSWORD.get_or_init(|| format!("pw-{}", vitrine::cart::new_token().replace('-', "")))
}

pub struct PgServer {
    bin: PathBuf,
    /// The temporary directory: `data/` (the cluster), the socket, the log.
    root: PathBuf,
    pub port: u16,
    /// `runuser -u postgres --` when running as root.
    as_user: Option<String>,
    /// Server settings beyond the defaults (`-c name=value ...`).
    settings: String,
}

/// The certificates of a server started with TLS: `ca` signed its certificate, which names
/// `localhost` only (not `127.0.0.1`); `other_ca` signed nothing of it.
pub struct TlsFiles {
    pub ca: PathBuf,
    pub other_ca: PathBuf,
}

/// Where the PostgreSQL binaries are, or why the tests cannot run.
fn find_bin() -> Result<PathBuf, String> {
    if let Ok(dir) = std::env::var("VITRINE_PG_BIN") {
        let dir = PathBuf::from(dir);
        return if dir.join("initdb").is_file() {
            Ok(dir)
        } else {
            Err(format!("VITRINE_PG_BIN={} holds no initdb", dir.display()))
        };
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| "no /usr/lib/postgresql (install the postgresql package)".to_string())?
        .filter_map(|entry| entry.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").is_file())
        .collect();
    found.sort();
    found
        .pop()
        .ok_or_else(|| "no /usr/lib/postgresql/*/bin/initdb".to_string())
}

/// Whether PostgreSQL tests must run (CI), so that missing binaries fail instead of skip.
fn required() -> bool {
    std::env::var("VITRINE_PG_TESTS").is_ok_and(|v| v == "1")
}

/// The binaries, or `None` after printing why the test is skipped.
fn bin_or_skip(test: &str) -> Option<PathBuf> {
    match find_bin() {
        Ok(bin) => Some(bin),
        Err(why) if required() => panic!("VITRINE_PG_TESTS=1 but PostgreSQL is missing: {why}"),
        Err(why) => {
            eprintln!(
                "SKIPPED {test}: PostgreSQL not found ({why}); set VITRINE_PG_TESTS=1 to fail"
            );
            None
        }
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl PgServer {
    /// The server shared by the whole run, started on first use.
    pub fn shared(test: &str) -> Option<&'static PgServer> {
        static SHARED: OnceLock<Option<PgServer>> = OnceLock::new();
        let bin = bin_or_skip(test)?;
        SHARED
            .get_or_init(|| {
                let server = PgServer::start_with(bin, false);
                server.watch_parent();
                Some(server)
            })
            .as_ref()
    }

    /// A server of its own, for a test that stops or restarts it; removed on drop.
    pub fn dedicated(test: &str) -> Option<PgServer> {
        let bin = bin_or_skip(test)?;
        let server = PgServer::start_with(bin, false);
        server.watch_parent();
        Some(server)
    }

    /// A server of its own that accepts TCP connections only over TLS (`hostssl`).
    pub fn dedicated_tls(test: &str) -> Option<(PgServer, TlsFiles)> {
        let bin = bin_or_skip(test)?;
        let server = PgServer::start_with(bin, true);
        server.watch_parent();
        let tls = server.root.join("tls");
        Some((
            server,
            TlsFiles {
                ca: tls.join("ca.pem"),
                other_ca: tls.join("other-ca.pem"),
            },
        ))
    }

    fn start_with(bin: PathBuf, tls: bool) -> PgServer {
        let root = std::env::temp_dir().join(format!("vitrine-pg-{}", vitrine::cart::new_token()));
        std::fs::create_dir_all(&root).expect("pg temp dir");
        let as_user = running_as_root().then(|| "postgres".to_string());
        if as_user.is_some() {
            let status = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&root)
                .status()
                .expect("chown");
            assert!(status.success(), "chown the pg temp dir to postgres");
        }
        let pwfile = root.join("pwfile");
        std::fs::write(&pwfile, password()).expect("password file");
        if as_user.is_some() {
            let _ = Command::new("chown")
                .arg("postgres:postgres")
                .arg(&pwfile)
                .status();
        }
        let mut server = PgServer {
            bin,
            root,
            port: free_port(),
            as_user,
            settings: String::new(),
        };
        let data = server.root.join("data");
        server.run(
            "initdb",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "--auth-local=trust".as_ref(),
                "--auth-host=scram-sha-256".as_ref(),
                "--pwfile".as_ref(),
                pwfile.as_os_str(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--no-sync".as_ref(),
            ],
        );
        let _ = std::fs::remove_file(&pwfile);
        if tls {
            server.settings = server.make_certificates();
            let hba = data.join("pg_hba.conf");
            let rules = std::fs::read_to_string(&hba).expect("pg_hba.conf");
            let ssl_only: String = rules
                .lines()
                .map(|line| match line.strip_prefix("host ") {
                    Some(rest) => format!("hostssl {rest}\n"),
                    None => format!("{line}\n"),
                })
                .collect();
            std::fs::write(&hba, ssl_only).expect("pg_hba.conf");
        }
        server.start();
        server
    }

    /// A test CA, a server certificate it signs for `localhost`, and an unrelated CA, made with
    /// the `openssl` command. Returns the server settings that use them.
    fn make_certificates(&self) -> String {
        let dir = self.root.join("tls");
        std::fs::create_dir_all(&dir).expect("tls dir");
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(&dir)
                .stdin(Stdio::null())
                .output()
                .expect("openssl runs");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        for (name, subject) in [("ca", "/CN=vitrine test CA"), ("other-ca", "/CN=other CA")] {
            let (key, pem) = (format!("{name}.key"), format!("{name}.pem"));
            let mut args = vec!["req", "-x509", "-days", "2", "-subj", subject];
            args.extend(ec);
            args.extend(["-keyout", &key, "-out", &pem]);
            args.extend(["-addext", "basicConstraints=critical,CA:TRUE"]);
            args.extend(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
            openssl(&args);
        }
        let mut args = vec!["req", "-subj", "/CN=localhost", "-keyout", "server.key"];
        args.extend(ec);
        args.extend(["-out", "server.csr"]);
        openssl(&args);
        std::fs::write(
            dir.join("server.ext"),
            "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n\
             extendedKeyUsage=serverAuth\n",
        )
        .expect("server.ext");
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.pem",
        ]);
        // PostgreSQL wants its key readable by its own user only.
        let key = dir.join("server.key");
        if self.as_user.is_some() {
            let _ = Command::new("chown")
                .arg("-R")
                .arg("postgres:postgres")
                .arg(&dir)
                .status();
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        format!(
            " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
            dir.join("server.pem").display(),
            key.display()
        )
    }

    fn command(&self, tool: &str) -> Command {
        let program = self.bin.join(tool);
        match &self.as_user {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(program);
                c
            }
            None => Command::new(program),
        }
    }

    fn run(&self, tool: &str, args: &[&std::ffi::OsStr]) {
        let out = self
            .command(tool)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{tool} does not start: {e}"));
        assert!(
            out.status.success(),
            "{tool} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn data(&self) -> PathBuf {
        self.root.join("data")
    }

    /// Starts (or starts again) the server and waits until it accepts connections.
    pub fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300{}",
            self.port,
            self.root.display(),
            self.settings
        );
        let log = self.root.join("server.log");
        self.run(
            "pg_ctl",
            &[
                "-D".as_ref(),
                self.data().as_os_str(),
                "-o".as_ref(),
                options.as_ref(),
                "-l".as_ref(),
                log.as_os_str(),
                "-w".as_ref(),
                "-t".as_ref(),
                "60".as_ref(),
                "start".as_ref(),
            ],
        );
    }

    /// Stops the server at once (`immediate`: connections are cut as by a crash).
    pub fn stop(&self) {
        self.run(
            "pg_ctl",
            &[
                "-D".as_ref(),
                self.data().as_os_str(),
                "-m".as_ref(),
                "immediate".as_ref(),
                "-w".as_ref(),
                "stop".as_ref(),
            ],
        );
    }

    /// Stops the server and removes its directory once this test process has exited,
    /// however it ends (a static is never dropped; a panic may skip drops).
    fn watch_parent(&self) {
        // The loop runs as this process's user: `kill -0` on a root process fails for others.
        let runuser = match &self.as_user {
            Some(user) => format!("runuser -u {user} -- "),
            None => String::new(),
        };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
             {runuser}{ctl} -D '{data}' -m immediate stop >/dev/null 2>&1; rm -rf '{root}'",
            pid = std::process::id(),
            ctl = self.bin.join("pg_ctl").display(),
            data = self.data().display(),
            root = self.root.display(),
        );
        let _ = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
    }

    pub fn password(&self) -> &'static str {
        password()
    }

    /// A URL for `dbname`, with the password.
    pub fn url(&self, dbname: &str) -> String {
        format!(
            "postgres://postgres:{}@127.0.0.1:{}/{dbname}",
            password(),
            self.port
        )
    }

    /// A new, empty database of its own for one test. Returns its URL.
    pub fn new_database(&self) -> String {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "t{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let socket = self.root.display().to_string();
        let port = self.port.to_string();
        // Over the socket (trust): the password stays out of the process list.
        self.run(
            "createdb",
            &[
                "-h".as_ref(),
                socket.as_ref(),
                "-p".as_ref(),
                port.as_ref(),
                "-U".as_ref(),
                "postgres".as_ref(),
                name.as_ref(),
            ],
        );
        self.url(&name)
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Options for a store on `url`, as `--db` would parse them.
pub fn options(url: &str) -> vitrine::store::PgOptions {
    match vitrine::store::DbTarget::parse(url, |_| None) {
        Ok(vitrine::store::DbTarget::Postgres(options)) => *options,
        other => panic!("not a PostgreSQL URL: {other:?}"),
    }
}
