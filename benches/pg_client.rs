//! The PostgreSQL client, chosen on this bench: tokio-postgres (with deadpool-postgres, as the
//! store uses it) against sqlx, each running the store's two hot transactions on a throwaway
//! server, in the fastest way each driver offers.
//!
//! - read: a cart row and its ten lines.
//! - write: `BEGIN`, the row locked `FOR UPDATE` and the lines read, the row and one line
//!   updated, `COMMIT` (the shape of an add to a ten-line cart).
//!
//! tokio-postgres sends statements polled together in one go (pipelining), so the write is two
//! round trips; sqlx runs one statement at a time on a connection, so it is six. Both decode
//! every column. Each is measured one request at a time (latency) and with 16 at once
//! (throughput), interleaved, best of five rounds.
//!
//! Run: `cargo bench --bench pg_client` (skips with a message without PostgreSQL binaries).

#[path = "../tests/suite/pg_support.rs"]
#[allow(dead_code)]
mod pg_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use sqlx::Row;

const CARTS: usize = 64;
const LINES: i64 = 10;
const ROUNDS: usize = 5;
const ROUND: Duration = Duration::from_millis(1500);
const CONCURRENT: usize = 16;

const LOCK: &str = "SELECT version, note, attributes, discount_codes, currency, locale, name, \
     description, email, created_at, updated_at FROM carts WHERE id = $1 FOR UPDATE";
const SELECT: &str = "SELECT version, note, attributes, discount_codes, currency, locale, name, \
     description, email, created_at, updated_at FROM carts WHERE id = $1";
const LINES_SQL: &str = "SELECT id, item, quantity, properties, price_override, extras, \
     created_at, updated_at FROM cart_lines WHERE cart_id = $1 ORDER BY position";
const BUMP: &str = "UPDATE carts SET version = version + 1, updated_at = $2 WHERE id = $1";
const SET_LINE: &str = "UPDATE cart_lines SET quantity = quantity + 1, updated_at = $2 WHERE cart_id = $1 AND position = 0";

fn main() {
    let Some(server) = pg_support::PgServer::dedicated("pg_client bench") else {
        return;
    };
    let url = server.new_database();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start a runtime: {e}");
            return;
        }
    };
    runtime.block_on(run(&url));
}

async fn run(url: &str) {
    let options = pg_support::options(url);
    // The store's own migrations make the tables; its writes seed the carts.
    let store = vitrine::store::Store::open_postgres(&options)
        .await
        .expect("the store opens");
    let ids: Vec<String> = (0..CARTS).map(|_| vitrine::cart::new_token()).collect();
    for id in &ids {
        store
            .mutate(id, vitrine::store::IfMissing::Create, |cart| {
                for n in 0..LINES {
                    let item = vitrine::cart::LineItem::Variant {
                        variant_id: 1000 + n,
                        selling_plan: None,
                        parent_id: None,
                    };
                    cart.lines
                        .push(vitrine::cart::Line::new(item, 1, Utc::now()));
                }
                Ok::<_, ()>(((), vitrine::store::AfterCommand::Save))
            })
            .await
            .expect("a seeded cart");
    }
    let ids = Arc::new(ids);

    let manager = Manager::from_config(
        options.config.clone(),
        tokio_postgres::NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    let deadpool = Pool::builder(manager)
        .max_size(CONCURRENT)
        .runtime(Runtime::Tokio1)
        .build()
        .expect("a pool");
    let sqlx_pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(CONCURRENT as u32)
        .connect(url)
        .await
        .expect("sqlx connects");

    println!("PostgreSQL client, {CARTS} carts of {LINES} lines, best of {ROUNDS} rounds");
    println!(
        "{:<28} {:>14} {:>14} {:>16} {:>16}",
        "driver", "read µs", "write µs", "reads/s x16", "writes/s x16"
    );
    let mut best: [[f64; 4]; 2] = [[f64::MAX, f64::MAX, 0.0, 0.0]; 2];
    for _ in 0..ROUNDS {
        for (driver, row) in best.iter_mut().enumerate() {
            for (column, op) in [Op::Read, Op::Write].into_iter().enumerate() {
                let one = measure(driver, op, 1, &deadpool, &sqlx_pool, &ids).await;
                row[column] = row[column].min(1e6 / one);
                let many = measure(driver, op, CONCURRENT, &deadpool, &sqlx_pool, &ids).await;
                row[column + 2] = row[column + 2].max(many);
            }
        }
    }
    for (name, row) in ["tokio-postgres + deadpool", "sqlx 0.9"].iter().zip(best) {
        println!(
            "{:<28} {:>14.1} {:>14.1} {:>16.0} {:>16.0}",
            name, row[0], row[1], row[2], row[3]
        );
    }
}

#[derive(Clone, Copy)]
enum Op {
    Read,
    Write,
}

/// Operations per second with `tasks` running at once for one round.
async fn measure(
    driver: usize,
    op: Op,
    tasks: usize,
    deadpool: &Pool,
    sqlx_pool: &sqlx::PgPool,
    ids: &Arc<Vec<String>>,
) -> f64 {
    let deadline = Instant::now() + ROUND;
    let started = Instant::now();
    let mut handles = Vec::new();
    for task in 0..tasks {
        let (deadpool, sqlx_pool, ids) = (deadpool.clone(), sqlx_pool.clone(), ids.clone());
        handles.push(tokio::spawn(async move {
            let mut done = 0_u64;
            let mut n = task;
            while Instant::now() < deadline {
                // Each task keeps to its own carts: the bench measures the client, not waits
                // on one row's lock.
                let id = &ids[n % ids.len()];
                n += tasks;
                match (driver, op) {
                    (0, Op::Read) => tokio_postgres_read(&deadpool, id).await,
                    (0, Op::Write) => tokio_postgres_write(&deadpool, id).await,
                    (_, Op::Read) => sqlx_read(&sqlx_pool, id).await,
                    (_, Op::Write) => sqlx_write(&sqlx_pool, id).await,
                }
                done += 1;
            }
            done
        }));
    }
    let mut total = 0;
    for handle in handles {
        total += handle.await.expect("a bench task");
    }
    total as f64 / started.elapsed().as_secs_f64()
}

/// Every column of the cart row and its lines, decoded as the store decodes them.
fn decode_tokio_postgres(row: &tokio_postgres::Row, lines: &[tokio_postgres::Row]) -> usize {
    let version: i64 = row.get(0);
    let attributes: &str = row.get(2);
    let updated_at: DateTime<Utc> = row.get(10);
    let mut sum = version as usize + attributes.len() + updated_at.timestamp() as usize;
    for line in lines {
        let id: &str = line.get(0);
        let item: &str = line.get(1);
        let quantity: i64 = line.get(2);
        let updated_at: DateTime<Utc> = line.get(7);
        sum += id.len() + item.len() + quantity as usize + updated_at.timestamp() as usize;
    }
    sum
}

async fn tokio_postgres_read(pool: &Pool, id: &str) {
    let client = pool.get().await.expect("a connection");
    let (row, lines) = {
        let (cart, lines) = tokio::try_join!(
            client.prepare_cached(SELECT),
            client.prepare_cached(LINES_SQL)
        )
        .expect("prepared");
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&id];
        tokio::try_join!(
            client.query_one(&cart, &params),
            client.query(&lines, &params)
        )
        .expect("read")
    };
    std::hint::black_box(decode_tokio_postgres(&row, &lines));
}

async fn tokio_postgres_write(pool: &Pool, id: &str) {
    let client = pool.get().await.expect("a connection");
    let (lock, lines, bump, set_line) = tokio::try_join!(
        client.prepare_cached(LOCK),
        client.prepare_cached(LINES_SQL),
        client.prepare_cached(BUMP),
        client.prepare_cached(SET_LINE)
    )
    .expect("prepared");
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&id];
    let (begun, row, lines) = tokio::join!(
        client.batch_execute("BEGIN"),
        client.query_one(&lock, &params),
        client.query(&lines, &params)
    );
    begun.expect("begin");
    let (row, lines) = (row.expect("lock"), lines.expect("lines"));
    std::hint::black_box(decode_tokio_postgres(&row, &lines));
    let now = Utc::now();
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&id, &now];
    let (bumped, set, committed) = tokio::join!(
        client.execute(&bump, &params),
        client.execute(&set_line, &params),
        client.batch_execute("COMMIT")
    );
    bumped.expect("bump");
    set.expect("line");
    committed.expect("commit");
}

fn decode_sqlx(row: &sqlx::postgres::PgRow, lines: &[sqlx::postgres::PgRow]) -> usize {
    let version: i64 = row.get(0);
    let attributes: &str = row.get(2);
    let updated_at: DateTime<Utc> = row.get(10);
    let mut sum = version as usize + attributes.len() + updated_at.timestamp() as usize;
    for line in lines {
        let id: &str = line.get(0);
        let item: &str = line.get(1);
        let quantity: i64 = line.get(2);
        let updated_at: DateTime<Utc> = line.get(7);
        sum += id.len() + item.len() + quantity as usize + updated_at.timestamp() as usize;
    }
    sum
}

async fn sqlx_read(pool: &sqlx::PgPool, id: &str) {
    let mut conn = pool.acquire().await.expect("a connection");
    let row = sqlx::query(SELECT)
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .expect("read");
    let lines = sqlx::query(LINES_SQL)
        .bind(id)
        .fetch_all(&mut *conn)
        .await
        .expect("lines");
    std::hint::black_box(decode_sqlx(&row, &lines));
}

async fn sqlx_write(pool: &sqlx::PgPool, id: &str) {
    let mut tx = pool.begin().await.expect("begin");
    let row = sqlx::query(LOCK)
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .expect("lock");
    let lines = sqlx::query(LINES_SQL)
        .bind(id)
        .fetch_all(&mut *tx)
        .await
        .expect("lines");
    std::hint::black_box(decode_sqlx(&row, &lines));
    let now = Utc::now();
    sqlx::query(BUMP)
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .expect("bump");
    sqlx::query(SET_LINE)
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .expect("line");
    tx.commit().await.expect("commit");
}
