//! The store writes only the lines that changed; whatever a command does to the lines, the cart
//! read back must be exactly the cart that was saved.

use chrono::Utc;
use proptest::prelude::*;
use vitrine::cart::{Cart, Line, LineItem, new_token};
use vitrine::store::{AfterCommand, IfMissing, Store};

#[derive(Debug, Clone)]
enum Op {
    Push(i64),
    Remove(usize),
    SetQuantity(usize, i64),
    Swap(usize, usize),
    SetProperty(usize, String),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1i64..50).prop_map(Op::Push),
        (0usize..8).prop_map(Op::Remove),
        (0usize..8, 1i64..99).prop_map(|(i, q)| Op::SetQuantity(i, q)),
        (0usize..8, 0usize..8).prop_map(|(a, b)| Op::Swap(a, b)),
        (0usize..8, "[a-z]{0,6}").prop_map(|(i, v)| Op::SetProperty(i, v)),
    ]
}

fn line(variant_id: i64) -> Line {
    let item = LineItem::Variant {
        variant_id,
        selling_plan: None,
        parent_id: None,
    };
    Line::new(item, 1, Utc::now())
}

fn apply(cart: &mut Cart, op: &Op) {
    let n = cart.lines.len();
    match op {
        Op::Push(v) => cart.lines.push(line(*v)),
        Op::Remove(i) if *i < n => {
            cart.lines.remove(*i);
        }
        Op::SetQuantity(i, q) if *i < n => cart.lines[*i].quantity = *q,
        Op::Swap(a, b) if *a < n && *b < n => cart.lines.swap(*a, *b),
        Op::SetProperty(i, v) if *i < n => {
            cart.lines[*i]
                .properties
                .insert("note".into(), serde_json::Value::String(v.clone()));
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(48)
    ))]
    #[test]
    fn what_is_read_back_is_what_was_saved(batches in prop::collection::vec(prop::collection::vec(op(), 0..6), 1..6)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async {
            let dir = tempfile::tempdir().expect("tempdir");
            let store = Store::open(&dir.path().join("store.db")).expect("store");
            let id = new_token();
            for ops in batches {
                let mutation = store
                    .mutate(&id, IfMissing::Create, move |cart| -> Result<((), AfterCommand), ()> {
                        for op in &ops {
                            apply(cart, op);
                        }
                        Ok(((), AfterCommand::Save))
                    })
                    .await
                    .expect("mutation");
                let saved = mutation.cart.expect("saved cart");
                let read = store.cart(&id).await.expect("read").expect("cart exists");
                // Timestamps round to microseconds in storage.
                assert_eq!(read.lines.len(), saved.lines.len());
                for (a, b) in read.lines.iter().zip(&saved.lines) {
                    assert_eq!((a.id, &a.item, a.quantity, &a.properties), (b.id, &b.item, b.quantity, &b.properties));
                }
                assert_eq!(read.version, saved.version);
            }
        });
    }
}
