//! The `collection`, `collections` and `all_products` objects, and collection sorting.
//! Reference: shopify.dev "Liquid objects: collection, collections".

use foldhash::HashMap;
use std::sync::Arc;

use indexmap::IndexMap;
use minijinja::Value;
use minijinja::value::{Enumerator, Object, ObjectRepr};

use super::image::image_value;
use super::product::ProductObject;
use crate::catalog::Collection;

/// A collection with every product, in its manual order.
#[derive(Debug)]
pub struct CollectionBase {
    pub handle: String,
    pub title: String,
    fields: IndexMap<&'static str, Value>,
    /// Indices into [`CatalogValues::products`], manual order.
    pub members: Vec<usize>,
    all_products: Value,
}

impl CollectionBase {
    pub(super) fn build(
        collection: &Collection,
        by_handle: &HashMap<String, usize>,
        products: &[Arc<ProductObject>],
        root: &str,
    ) -> CollectionBase {
        let members: Vec<usize> = collection
            .products
            .iter()
            .filter_map(|h| by_handle.get(h).copied())
            .collect();
        let image = collection.image.as_ref().map(image_value).or_else(|| {
            members
                .first()
                .and_then(|&i| products[i].base.featured_image())
        });
        Self::assemble(
            &collection.handle,
            &collection.title,
            Value::from_safe_string(collection.description.clone()),
            image.unwrap_or(Value::from(())),
            members,
            products,
            root,
        )
    }

    pub(super) fn all(products: &[Arc<ProductObject>], root: &str) -> CollectionBase {
        Self::assemble(
            "all",
            "Products",
            Value::from(""),
            Value::from(()),
            (0..products.len()).collect(),
            products,
            root,
        )
    }

    fn assemble(
        handle: &str,
        title: &str,
        description: Value,
        image: Value,
        members: Vec<usize>,
        products: &[Arc<ProductObject>],
        root: &str,
    ) -> CollectionBase {
        let all_products = Value::from(
            members
                .iter()
                .map(|&i| Value::from_dyn_object(products[i].clone()))
                .collect::<Vec<_>>(),
        );
        let mut fields = IndexMap::new();
        fields.insert("handle", Value::from(handle));
        fields.insert("title", Value::from(title));
        fields.insert("description", description);
        fields.insert("url", Value::from(format!("{root}/collections/{handle}")));
        fields.insert("image", image.clone());
        fields.insert("featured_image", image);
        fields.insert("all_products_count", Value::from(members.len()));
        fields.insert("default_sort_by", Value::from("manual"));
        fields.insert("sort_options", sort_options());
        fields.insert("object_type", Value::from("collection"));
        CollectionBase {
            handle: handle.to_owned(),
            title: title.to_owned(),
            fields,
            members,
            all_products,
        }
    }

    /// The collection with all its products, as used by `collections` and settings.
    pub fn value(self: &Arc<Self>) -> Value {
        Value::from_object(CollectionObject {
            base: self.clone(),
            products: self.all_products.clone(),
            products_count: self.members.len(),
            sort_by: Value::from("manual"),
        })
    }
}

/// `collection.sort_by` values we understand, with their display names.
pub const SORT_OPTIONS: &[(&str, &str)] = &[
    ("manual", "Featured"),
    ("title-ascending", "Alphabetically, A-Z"),
    ("title-descending", "Alphabetically, Z-A"),
    ("price-ascending", "Price, low to high"),
    ("price-descending", "Price, high to low"),
    ("created-ascending", "Date, old to new"),
    ("created-descending", "Date, new to old"),
];

fn sort_options() -> Value {
    Value::from(
        SORT_OPTIONS
            .iter()
            .map(|(value, name)| {
                Value::from_pairs([("value", Value::from(*value)), ("name", Value::from(*name))])
            })
            .collect::<Vec<_>>(),
    )
}

/// A `collection` object as a page shows it: the current page of products, sorted.
#[derive(Debug)]
pub struct CollectionObject {
    pub base: Arc<CollectionBase>,
    pub products: Value,
    pub products_count: usize,
    pub sort_by: Value,
}

impl Object for CollectionObject {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        match key {
            "products" => Some(self.products.clone()),
            "products_count" => Some(Value::from(self.products_count)),
            "sort_by" => Some(self.sort_by.clone()),
            _ => self.base.fields.get(key).cloned(),
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let mut keys: Vec<Value> = self.base.fields.keys().map(|k| Value::from(*k)).collect();
        keys.extend(["products", "products_count", "sort_by"].map(Value::from));
        Enumerator::Values(keys)
    }
}

/// `collections`: iterable, and indexable by handle (`collections.frontpage`, `collections['all']`).
#[derive(Debug)]
pub(super) struct CollectionsObject {
    pub(super) list: Vec<Value>,
    pub(super) all: Value,
    pub(super) by_handle: HashMap<String, usize>,
}

impl Object for CollectionsObject {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        if let Some(handle) = key.as_str() {
            return self.get_value_by_str(handle);
        }
        self.list.get(key.as_usize()?).cloned()
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        match key {
            "all" => Some(self.all.clone()),
            "size" => Some(Value::from(self.list.len())),
            _ => self.by_handle.get(key).map(|&i| self.list[i].clone()),
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.list.len())
    }
}

/// `all_products['handle']`.
#[derive(Debug)]
pub(super) struct AllProducts {
    pub(super) products: IndexMap<String, Value>,
}

impl Object for AllProducts {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        self.products.get(key).cloned()
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(
            self.products
                .keys()
                .map(|k| Value::from(k.as_str()))
                .collect(),
        )
    }
}

/// Sorts product indices the way `?sort_by=` asks; unknown orders keep the manual order.
pub fn sort_members(members: &mut [usize], sort_by: &str, products: &[Arc<ProductObject>]) {
    let base = |i: usize| &products[i].base;
    match sort_by {
        "price-ascending" => members.sort_by_key(|&i| base(i).price),
        "price-descending" => members.sort_by_key(|&i| std::cmp::Reverse(base(i).price)),
        "title-ascending" => members.sort_by_key(|&i| base(i).title.to_lowercase()),
        "title-descending" => {
            members.sort_by_key(|&i| std::cmp::Reverse(base(i).title.to_lowercase()))
        }
        "created-ascending" => {
            members.sort_by(|&a, &b| base(a).created_at.cmp(&base(b).created_at))
        }
        "created-descending" => {
            members.sort_by(|&a, &b| base(b).created_at.cmp(&base(a).created_at))
        }
        _ => {}
    }
}
