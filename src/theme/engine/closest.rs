//! Shopify's `closest` drop: the nearest product, collection, article, blog, page or metaobject
//! to a theme block. <https://shopify.dev/docs/api/liquid/objects/closest>
//!
//! Nearest means, in order: one assigned by `{% content_for 'block', closest.product: p %}`
//! (here or on an ancestor block), else the page's own (`product` on a product page).

use std::sync::Arc;

use minijinja::Value;
use minijinja::value::{Enumerator, Object};

use crate::theme::objects::context::Page;

/// The resource types `closest` holds.
const KINDS: [&str; 6] = [
    "product",
    "collection",
    "article",
    "blog",
    "page",
    "metaobject",
];

#[derive(Debug)]
pub struct Closest {
    /// What the `content_for` tag that rendered this block assigned, by type.
    assigned: Vec<(String, Value)>,
    /// The enclosing block's `closest`, if this block is nested in one.
    parent: Option<Value>,
    page: Arc<Page>,
}

impl Closest {
    pub fn value(assigned: Vec<(String, Value)>, parent: Option<Value>, page: Arc<Page>) -> Value {
        Value::from_object(Closest {
            assigned,
            parent,
            page,
        })
    }

    /// The `closest.*` keyword arguments of a `content_for` tag, by type.
    pub fn assigned_in(args: &Value) -> Vec<(String, Value)> {
        let Ok(keys) = args.try_iter() else {
            return Vec::new();
        };
        keys.filter_map(|key| {
            let kind = key.as_str()?.strip_prefix("closest.")?.to_owned();
            let value = args.get_item(&key).ok()?;
            Some((kind, value))
        })
        .collect()
    }
}

impl Object for Closest {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let kind = key.as_str()?;
        if let Some((_, v)) = self.assigned.iter().find(|(k, _)| k == kind) {
            return Some(v.clone());
        }
        if let Some(parent) = &self.parent
            && let Ok(v) = parent.get_attr(kind)
            && !v.is_undefined()
        {
            return Some(v);
        }
        KINDS.contains(&kind).then(|| self.page.get(kind)).flatten()
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(&KINDS)
    }
}
