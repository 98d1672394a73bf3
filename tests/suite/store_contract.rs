//! One contract for every store backend: each behaviour the cart store promises, checked on
//! SQLite and on PostgreSQL (a throwaway server, see `pg_support`). `contract!` turns each
//! `async fn(Backend)` below into a `sqlite::NAME` and a `postgres::NAME` test.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{Duration as ChronoDuration, Utc};
use tempfile::TempDir;
use vitrine::cart::{Cart, Line, LineItem, new_token};
use vitrine::store::{AfterCommand, IfMissing, MutateError, Store, StoreError};

use crate::pg_support::{self, PgServer};

/// One database, on which any number of nodes (stores) can be opened.
pub enum Backend {
    Sqlite(TempDir),
    Postgres(String),
}

impl Backend {
    pub fn sqlite() -> Backend {
        Backend::Sqlite(tempfile::tempdir().expect("temp dir"))
    }

    /// A fresh database on the shared server, or `None` (skipped) without PostgreSQL.
    pub fn postgres(test: &str) -> Option<Backend> {
        let server = PgServer::shared(test)?;
        Some(Backend::Postgres(server.new_database()))
    }

    /// A new node on this database: another connection pool, or another SQLite writer.
    pub async fn open(&self) -> Store {
        let store = match self {
            Backend::Sqlite(dir) => Store::open(&dir.path().join("store.db")).expect("open sqlite"),
            Backend::Postgres(url) => Store::open_postgres(&pg_support::options(url))
                .await
                .expect("open postgres"),
        };
        store.sync_catalog(&data_dir()).expect("catalog");
        store
    }
}

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")
}

macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backend::sqlite()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(backend) = super::Backend::postgres(stringify!($name)) {
                        super::$name(backend).await;
                    }
                }
            )*
        }
    };
}

contract!(
    a_mutation_is_read_back_as_saved,
    versions_start_at_one_and_move_by_one,
    a_refused_command_writes_nothing,
    a_panicking_command_does_not_stop_later_writes,
    a_missing_cart_is_not_created_when_asked_not_to,
    commands_can_delete_the_cart,
    delete_cart_says_whether_it_existed,
    the_sweep_removes_only_untouched_carts,
    concurrent_adds_to_one_cart_lose_nothing,
    concurrent_first_writes_of_one_id_make_one_cart,
    a_write_through_another_node_is_seen,
    lines_changed_by_another_node_are_never_answered_from_memory,
    sessions_are_stored_expire_and_are_swept,
    the_catalog_is_seeded_once_and_read_back,
    remembered_keys_are_seen_by_every_node_until_they_expire,
);

fn line(variant_id: i64, quantity: i64) -> Line {
    let item = LineItem::Variant {
        variant_id,
        selling_plan: None,
        parent_id: None,
    };
    Line::new(item, quantity, Utc::now())
}

fn save() -> Result<((), AfterCommand), ()> {
    Ok(((), AfterCommand::Save))
}

/// What a cart holds, without timestamps (stored to the microsecond).
fn content(cart: &Cart) -> (i64, Option<String>, Vec<(String, i64, String)>) {
    let lines = cart
        .lines
        .iter()
        .map(|l| {
            (
                l.id.to_string(),
                l.quantity,
                serde_json::to_string(&l.properties).unwrap_or_default(),
            )
        })
        .collect();
    (cart.version, cart.note.clone(), lines)
}

async fn a_mutation_is_read_back_as_saved(db: Backend) {
    let store = db.open().await;
    let id = new_token();
    // Adds, a change in place, a reorder, a removal: each write is read back exactly.
    type Step = Box<dyn FnOnce(&mut Cart) + Send>;
    let steps: Vec<Step> = vec![
        Box::new(|c| {
            c.lines.push(line(1, 1));
            c.lines.push(line(2, 2));
            c.note = Some("first".into());
            c.attributes.insert("gift".into(), "yes".into());
            c.discount_codes.push("WELCOME10".into());
        }),
        Box::new(|c| c.lines[0].quantity = 5),
        Box::new(|c| {
            c.lines.swap(0, 1);
            c.lines[1]
                .properties
                .insert("engraving".into(), serde_json::json!("A & B"));
        }),
        Box::new(|c| {
            c.lines.remove(0);
            c.lines.push(line(3, 7));
            c.email = Some("a@example.com".into());
        }),
    ];
    for step in steps {
        let mutation = store
            .mutate(&id, IfMissing::Create, move |cart| {
                step(cart);
                save()
            })
            .await
            .expect("mutation");
        let saved = mutation.cart.expect("saved");
        let read = store.cart(&id).await.expect("read").expect("exists");
        assert_eq!(content(&read), content(&saved));
        assert_eq!(read.attributes, saved.attributes);
        assert_eq!(read.discount_codes, saved.discount_codes);
        assert_eq!(read.email, saved.email);
        assert_eq!(read.currency, saved.currency);
        for (a, b) in read.lines.iter().zip(&saved.lines) {
            assert_eq!(a.item, b.item);
            assert_eq!(
                a.updated_at.timestamp_micros(),
                b.updated_at.timestamp_micros()
            );
        }
    }
    assert_eq!(store.count_carts().await.expect("count"), 1);
}

async fn versions_start_at_one_and_move_by_one(db: Backend) {
    let store = db.open().await;
    let id = new_token();
    for expected in 1..=3 {
        let m = store
            .mutate(&id, IfMissing::Create, |cart| {
                let before = cart.version;
                cart.lines.push(line(1, 1));
                Ok::<_, ()>((before, AfterCommand::Save))
            })
            .await
            .expect("write");
        assert_eq!(m.value, expected - 1, "the command saw the stored version");
        assert_eq!(m.cart.expect("cart").version, expected);
    }
}

async fn a_refused_command_writes_nothing(db: Backend) {
    let store = db.open().await;
    let id = new_token();
    store
        .mutate(&id, IfMissing::Create, |cart| {
            cart.note = Some("kept".into());
            save()
        })
        .await
        .expect("write");
    let refused = store
        .mutate(&id, IfMissing::Create, |cart| {
            cart.note = Some("refused".into());
            cart.lines.push(line(1, 1));
            Err::<((), AfterCommand), _>("no")
        })
        .await;
    assert!(matches!(refused, Err(MutateError::Command("no"))));
    let cart = store.cart(&id).await.expect("read").expect("exists");
    assert_eq!(cart.note.as_deref(), Some("kept"));
    assert!(cart.lines.is_empty());
    assert_eq!(cart.version, 1);
    // Refused on a new id: no cart appears.
    let fresh = new_token();
    let refused = store
        .mutate(&fresh, IfMissing::Create, |_| {
            Err::<((), AfterCommand), _>("no")
        })
        .await;
    assert!(matches!(refused, Err(MutateError::Command("no"))));
    assert!(store.cart(&fresh).await.expect("read").is_none());
    assert_eq!(store.count_carts().await.expect("count"), 1);
}

async fn a_panicking_command_does_not_stop_later_writes(db: Backend) {
    let store = db.open().await;
    let panicked = store
        .mutate(
            "cart",
            IfMissing::Create,
            |_cart| -> Result<((), AfterCommand), ()> { panic!("a bug in a command") },
        )
        .await;
    assert!(matches!(
        panicked,
        Err(MutateError::Store(StoreError::Task(_)))
    ));
    assert!(store.cart("cart").await.expect("read").is_none());
    store
        .mutate("cart", IfMissing::Create, |cart| {
            cart.note = Some("still writable".into());
            save()
        })
        .await
        .expect("write after a panic");
    let cart = store.cart("cart").await.expect("read").expect("saved");
    assert_eq!(cart.note.as_deref(), Some("still writable"));
    assert_eq!(cart.version, 1);
}

async fn a_missing_cart_is_not_created_when_asked_not_to(db: Backend) {
    let store = db.open().await;
    let missing = store
        .mutate("missing", IfMissing::Fail, |cart| {
            cart.note = Some("never".into());
            save()
        })
        .await;
    assert!(matches!(missing, Err(MutateError::NotFound)));
    assert!(store.cart("missing").await.expect("read").is_none());
    assert_eq!(store.count_carts().await.expect("count"), 0);
}

async fn commands_can_delete_the_cart(db: Backend) {
    let store = db.open().await;
    let id = new_token();
    store
        .mutate(&id, IfMissing::Create, |cart| {
            cart.lines.push(line(1, 1));
            save()
        })
        .await
        .expect("write");
    // DeleteIfEmpty keeps a cart that still has lines...
    let kept = store
        .mutate(&id, IfMissing::Fail, |cart| {
            cart.lines.push(line(2, 1));
            Ok::<_, ()>(((), AfterCommand::DeleteIfEmpty))
        })
        .await
        .expect("write");
    assert_eq!(kept.cart.expect("kept").lines.len(), 2);
    // ...and deletes one that has none.
    let gone = store
        .mutate(&id, IfMissing::Fail, |cart| {
            cart.lines.clear();
            Ok::<_, ()>(((), AfterCommand::DeleteIfEmpty))
        })
        .await
        .expect("write");
    assert!(gone.cart.is_none());
    assert!(store.cart(&id).await.expect("read").is_none());
    let other = new_token();
    store
        .mutate(&other, IfMissing::Create, |cart| {
            cart.lines.push(line(1, 1));
            save()
        })
        .await
        .expect("write");
    let deleted = store
        .mutate(&other, IfMissing::Fail, |_| {
            Ok::<_, ()>(((), AfterCommand::Delete))
        })
        .await
        .expect("delete");
    assert!(deleted.cart.is_none());
    assert_eq!(store.count_carts().await.expect("count"), 0);
}

async fn delete_cart_says_whether_it_existed(db: Backend) {
    let store = db.open().await;
    let id = new_token();
    store
        .mutate(&id, IfMissing::Create, |cart| {
            cart.lines.push(line(1, 1));
            save()
        })
        .await
        .expect("write");
    assert!(store.delete_cart(&id).await.expect("delete"));
    assert!(!store.delete_cart(&id).await.expect("delete again"));
    assert!(store.cart(&id).await.expect("read").is_none());
    // The id can be used again, from version 1.
    let again = store
        .mutate(&id, IfMissing::Create, |_| save())
        .await
        .expect("recreate");
    assert_eq!(again.cart.expect("cart").version, 1);
}

async fn the_sweep_removes_only_untouched_carts(db: Backend) {
    let store = db.open().await;
    let now = Utc::now();
    let mut old = Cart::new(new_token(), "USD", now - ChronoDuration::days(40));
    old.version = 3;
    old.lines.push(line(1, 2));
    let mut fresh = Cart::new(new_token(), "USD", now - ChronoDuration::days(2));
    fresh.version = 1;
    fresh.lines.push(line(2, 1));
    store
        .insert_carts(&[old.clone(), fresh.clone()])
        .expect("fixtures");
    let removed = store
        .delete_carts_untouched_since(now - ChronoDuration::days(30))
        .await
        .expect("sweep");
    assert_eq!(removed, 1);
    assert!(store.cart(&old.id).await.expect("read").is_none());
    let kept = store.cart(&fresh.id).await.expect("read").expect("kept");
    assert_eq!(content(&kept), content(&fresh));
}

/// Adds `clients` × `adds` lines to one cart from several tasks (and, with `nodes` > 1, through
/// several stores on the same database): every acknowledged add is there.
async fn storm(db: &Backend, nodes: usize, clients: usize, adds: usize) {
    let mut stores = Vec::new();
    for _ in 0..nodes {
        stores.push(db.open().await);
    }
    let id = new_token();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let store = stores[client % nodes].clone();
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for n in 0..adds {
                let variant = (client * 1000 + n) as i64;
                let done = store
                    .mutate(&id, IfMissing::Create, move |cart| {
                        cart.lines.push(line(variant, 1));
                        save()
                    })
                    .await;
                match done {
                    Ok(_) => acknowledged.push(variant),
                    Err(e) => panic!("add {variant} failed: {e}"),
                }
            }
            acknowledged
        }));
    }
    let mut expected = BTreeMap::new();
    for task in tasks {
        for variant in task.await.expect("join") {
            expected.insert(variant, 1);
        }
    }
    let cart = stores[0].cart(&id).await.expect("read").expect("exists");
    let stored: BTreeMap<i64, i64> = cart
        .lines
        .iter()
        .map(|l| match l.item {
            LineItem::Variant { variant_id, .. } => (variant_id, l.quantity),
            _ => (-1, l.quantity),
        })
        .collect();
    assert_eq!(stored, expected);
    assert_eq!(cart.version, (clients * adds) as i64);
}

async fn concurrent_adds_to_one_cart_lose_nothing(db: Backend) {
    storm(&db, 1, 16, 5).await;
}

async fn concurrent_first_writes_of_one_id_make_one_cart(db: Backend) {
    // Every writer starts at once on an id nobody has written yet, through two nodes.
    let stores = [db.open().await, db.open().await];
    let id = new_token();
    let barrier = Arc::new(tokio::sync::Barrier::new(12));
    let mut tasks = Vec::new();
    for n in 0..12i64 {
        let store = stores[n as usize % 2].clone();
        let id = id.clone();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            store
                .mutate(&id, IfMissing::Create, move |cart| {
                    cart.lines.push(line(n, 1));
                    save()
                })
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }));
    }
    for task in tasks {
        task.await.expect("join").expect("first write");
    }
    let cart = stores[1].cart(&id).await.expect("read").expect("one cart");
    assert_eq!(cart.lines.len(), 12);
    assert_eq!(cart.version, 12);
    assert_eq!(stores[0].count_carts().await.expect("count"), 1);
}

async fn a_write_through_another_node_is_seen(db: Backend) {
    // Node A writes (and, on SQLite, remembers the cart); node B changes it; A's next write
    // starts from B's version, not from A's memory.
    let a = db.open().await;
    let b = db.open().await;
    let id = new_token();
    let set_note = |text: &'static str| {
        move |cart: &mut Cart| {
            let before = cart.note.replace(text.into());
            Ok::<_, ()>((before, AfterCommand::Save))
        }
    };
    a.mutate(&id, IfMissing::Create, set_note("a"))
        .await
        .expect("a");
    let seen = b
        .mutate(&id, IfMissing::Fail, set_note("b"))
        .await
        .expect("b");
    assert_eq!(seen.value.as_deref(), Some("a"));
    let seen = a
        .mutate(&id, IfMissing::Fail, set_note("a again"))
        .await
        .expect("a again");
    assert_eq!(seen.value.as_deref(), Some("b"));
    let cart = b.cart(&id).await.expect("read").expect("exists");
    assert_eq!(cart.version, 3);
}

async fn lines_changed_by_another_node_are_never_answered_from_memory(db: Backend) {
    // Node A reads and writes a cart (and remembers it); node B changes its lines, then deletes
    // it and creates it again, at version 1 once more. Each time, A's reads and writes see B's
    // lines, not the ones A remembers.
    let a = db.open().await;
    let b = db.open().await;
    let id = new_token();
    let variants =
        |cart: &Cart| -> Vec<Option<i64>> { cart.lines.iter().map(|l| l.variant_id()).collect() };
    let add = |variant_id: i64| {
        move |cart: &mut Cart| {
            cart.lines.push(line(variant_id, 1));
            save()
        }
    };
    a.mutate(&id, IfMissing::Create, add(1))
        .await
        .expect("a adds 1");
    let read = a.cart(&id).await.expect("read").expect("exists");
    assert_eq!((read.version, variants(&read)), (1, vec![Some(1)]));

    assert!(b.delete_cart(&id).await.expect("delete"));
    let again = b
        .mutate(&id, IfMissing::Create, add(3))
        .await
        .expect("b adds 3");
    assert_eq!(again.cart.expect("saved").version, 1);
    let read = a.cart(&id).await.expect("read").expect("exists");
    assert_eq!(
        variants(&read),
        [Some(3)],
        "a took the new cart for its old copy"
    );

    b.mutate(&id, IfMissing::Fail, add(2))
        .await
        .expect("b adds 2");
    let read = a.cart(&id).await.expect("read").expect("exists");
    assert_eq!(variants(&read), [Some(3), Some(2)], "a read from memory");
    let written = a
        .mutate(&id, IfMissing::Fail, add(4))
        .await
        .expect("a adds 4");
    assert_eq!(
        variants(&written.cart.expect("saved")),
        [Some(3), Some(2), Some(4)],
        "a wrote over b's lines from memory"
    );
    let read = b.cart(&id).await.expect("read").expect("exists");
    assert_eq!(variants(&read), [Some(3), Some(2), Some(4)]);
}

async fn sessions_are_stored_expire_and_are_swept(db: Backend) {
    let store = db.open().await;
    let now = Utc::now().timestamp();
    assert!(
        store
            .insert_new_session("s1".into(), b"one".to_vec(), now + 3600)
            .await
            .expect("insert")
    );
    assert!(
        !store
            .insert_new_session("s1".into(), b"taken".to_vec(), now + 3600)
            .await
            .expect("insert taken"),
        "a taken id is refused"
    );
    assert_eq!(
        store.session("s1".into(), now).await.expect("load"),
        Some(b"one".to_vec())
    );
    store
        .save_session("s1".into(), b"two".to_vec(), now + 3600)
        .await
        .expect("save");
    assert_eq!(
        store.session("s1".into(), now).await.expect("load"),
        Some(b"two".to_vec())
    );
    store
        .save_session("old".into(), b"old".to_vec(), now - 10)
        .await
        .expect("save expired");
    assert_eq!(store.session("old".into(), now).await.expect("load"), None);
    assert_eq!(store.delete_expired_sessions(now).await.expect("sweep"), 1);
    store.delete_session("s1".into()).await.expect("delete");
    assert_eq!(store.session("s1".into(), now).await.expect("load"), None);
}

async fn the_catalog_is_seeded_once_and_read_back(db: Backend) {
    let store = db.open().await;
    // `open` seeded it; a second node syncs the same files and reads the same catalog.
    let again = db.open().await;
    let first = store.sync_catalog(&data_dir()).expect("sync");
    let second = again.sync_catalog(&data_dir()).expect("sync again");
    let handles = |c: &vitrine::catalog::Catalog| {
        c.products
            .iter()
            .map(|p| p.handle.clone())
            .collect::<Vec<_>>()
    };
    assert!(!handles(&first).is_empty());
    assert_eq!(handles(&first), handles(&second));
    assert_eq!(first.shop().currency, second.shop().currency);
}

async fn remembered_keys_are_seen_by_every_node_until_they_expire(db: Backend) {
    let a = db.open().await;
    let b = db.open().await;
    let now = Utc::now().timestamp();
    let token = vitrine::store::secret_key("a bearer token");
    assert!(!token.contains("bearer"));
    a.remember_until("ep_token", token.clone(), now + 60)
        .await
        .expect("remember");
    assert!(
        b.is_remembered("ep_token", token.clone(), now)
            .await
            .expect("read")
    );
    assert!(
        !b.is_remembered("ep_token", token.clone(), now + 60)
            .await
            .expect("read")
    );
    assert!(
        !b.is_remembered("other_kind", token.clone(), now)
            .await
            .expect("read")
    );
    // Remembering again moves the expiry; the sweep takes only what has expired.
    b.remember_until("shipping", "cart|ca".into(), now - 1)
        .await
        .expect("remember expired");
    a.delete_expired_sessions(now).await.expect("sweep");
    assert!(a.is_remembered("ep_token", token, now).await.expect("read"));
    assert!(
        !a.is_remembered("shipping", "cart|ca".into(), now - 5)
            .await
            .expect("read")
    );
}
