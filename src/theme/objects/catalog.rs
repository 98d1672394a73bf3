//! Template objects built from the catalog, named like Shopify's Liquid objects (`product`,
//! `variant`, `collection`, `collections`, `all_products`, `shop`, `image`, `selling_plan_group`).
//!
//! The catalog is immutable, so every object is built once when the theme loads and shared by
//! `Arc`; a request only wraps them (a selected variant, a page of a sorted collection).
//! Reference: shopify.dev "Liquid objects".

use foldhash::HashMap;
use std::sync::Arc;

use minijinja::Value;

use super::collection::{AllProducts, CollectionBase, CollectionsObject};
use super::content::{ContentValues, same_tag};
use super::image::ImageIndex;
use super::product::{ProductBase, ProductObject};
use crate::catalog::Catalog;

/// Products per collection or search page, as Shopify's default `paginate by: 12`.
pub const PAGE_SIZE: usize = 12;

/// Values shared by every request, built from the catalog at load.
#[derive(Debug)]
pub struct CatalogValues {
    pub products: Vec<Arc<ProductObject>>,
    by_handle: HashMap<String, usize>,
    catalog: Arc<Catalog>,
    pub collections: Vec<Arc<CollectionBase>>,
    collections_by_handle: HashMap<String, usize>,
    /// The synthetic `all` collection.
    pub all: Arc<CollectionBase>,
    pub collections_value: Value,
    pub all_products_value: Value,
    pub shop: Value,
    pub money_format: String,
    pub money_with_currency_format: String,
    /// Every catalog image by URL, for `image_tag`.
    pub images: Arc<ImageIndex>,
    /// Menus, pages and blogs.
    pub content: Arc<ContentValues>,
    /// `country_option_tags` and `all_country_option_tags`, markup from the shipping zones.
    pub country_option_tags: Value,
    pub all_country_option_tags: Value,
}

impl CatalogValues {
    /// Builds every object; `root` (`""` or `"/fr"`) prefixes the URLs they carry.
    pub fn build(catalog: Arc<Catalog>, root: &str) -> CatalogValues {
        let products: Vec<Arc<ProductObject>> = catalog
            .products
            .iter()
            .map(|p| {
                Arc::new(ProductObject::new(Arc::new(ProductBase::build(
                    p, &catalog, root,
                ))))
            })
            .collect();
        let by_handle: HashMap<String, usize> = catalog
            .products
            .iter()
            .enumerate()
            .map(|(i, p)| (p.handle.clone(), i))
            .collect();
        let collections: Vec<Arc<CollectionBase>> = catalog
            .collections
            .iter()
            .map(|c| Arc::new(CollectionBase::build(c, &by_handle, &products, root)))
            .collect();
        let collections_by_handle: HashMap<String, usize> = collections
            .iter()
            .enumerate()
            .map(|(i, c)| (c.handle.clone(), i))
            .collect();
        let all = Arc::new(CollectionBase::all(&products, root));
        let collections_value = Value::from_object(CollectionsObject {
            list: collections.iter().map(|c| c.value()).collect(),
            all: all.value(),
            by_handle: collections
                .iter()
                .enumerate()
                .map(|(i, c)| (c.handle.clone(), i))
                .collect(),
        });
        let all_products_value = Value::from_object(AllProducts {
            products: products
                .iter()
                .map(|p| (p.base.handle.clone(), Value::from_dyn_object(p.clone())))
                .collect(),
        });
        let (shop, money_format, money_with_currency_format) = shop_value(&catalog);
        let images = Arc::new(ImageIndex::build(&catalog));
        let link_object = |kind: &str, handle: &str| match kind {
            "collection_link" | "catalog_link" => {
                let base = if handle == "all" {
                    Some(&all)
                } else {
                    collections_by_handle.get(handle).map(|&i| &collections[i])
                };
                base.map(|c| c.value())
            }
            "product_link" => by_handle
                .get(handle)
                .map(|&i| Value::from_dyn_object(products[i].clone())),
            _ => None,
        };
        let content = Arc::new(ContentValues::build(&catalog.content, root, &link_object));
        let option_tags = |all| {
            Value::from_safe_string(super::country::country_option_tags(
                &catalog.shipping_zones,
                all,
            ))
        };
        let country_option_tags = option_tags(false);
        let all_country_option_tags = option_tags(true);
        CatalogValues {
            products,
            by_handle,
            catalog,
            collections,
            collections_by_handle,
            all,
            collections_value,
            all_products_value,
            shop,
            money_format,
            money_with_currency_format,
            images,
            content,
            country_option_tags,
            all_country_option_tags,
        }
    }

    pub fn product(&self, handle: &str) -> Option<&Arc<ProductObject>> {
        self.by_handle.get(handle).map(|&i| &self.products[i])
    }

    /// The index of the product with id `id` in `products`.
    pub fn product_index(&self, id: i64) -> Option<usize> {
        self.catalog.product_index(id)
    }

    /// The products related to `products[index]` (see `Catalog::related`).
    pub fn related(&self, index: usize, limit: usize) -> Vec<Value> {
        self.catalog
            .related(index, limit)
            .into_iter()
            .filter_map(|i| self.products.get(i))
            .map(|p| Value::from_dyn_object(p.clone()))
            .collect()
    }

    /// Whether `products[index]` has `tag` (compared as Shopify's tag URLs are).
    pub fn product_has_tag(&self, index: usize, tag: &str) -> bool {
        self.catalog
            .products
            .get(index)
            .is_some_and(|p| p.tags.iter().any(|t| same_tag(t, tag)))
    }

    /// The catalog's first gift card product.
    pub fn gift_card_product(&self) -> Option<Value> {
        let index = self.catalog.products.iter().position(|p| p.gift_card)?;
        self.products
            .get(index)
            .map(|p| Value::from_dyn_object(p.clone()))
    }

    pub fn collection(&self, handle: &str) -> Option<&Arc<CollectionBase>> {
        if handle == "all" {
            return Some(&self.all);
        }
        self.collections_by_handle
            .get(handle)
            .map(|&i| &self.collections[i])
    }

    pub fn product_value(&self, handle: &str) -> Option<Value> {
        self.product(handle)
            .map(|p| Value::from_dyn_object(p.clone()))
    }

    pub fn collection_value(&self, handle: &str) -> Option<Value> {
        self.collection(handle).map(|c| c.value())
    }
}

/// Each non-empty text once, sorted, as Shopify lists `shop.types` and `shop.vendors`.
fn strings<'a>(texts: impl Iterator<Item = &'a str>) -> Value {
    let set: std::collections::BTreeSet<&str> = texts.filter(|t| !t.is_empty()).collect();
    Value::from(set.into_iter().map(Value::from).collect::<Vec<_>>())
}

fn shop_value(catalog: &Catalog) -> (Value, String, String) {
    let shop = catalog.shop();
    let value = Value::from_pairs([
        ("name", Value::from(shop.name.as_str())),
        ("description", Value::from(shop.description.as_str())),
        ("currency", Value::from(shop.currency.as_str())),
        (
            "currency_symbol",
            Value::from(shop.currency_symbol.as_str()),
        ),
        ("money_format", Value::from(shop.money_format.as_str())),
        (
            "money_with_currency_format",
            Value::from(shop.money_with_currency_format.as_str()),
        ),
        ("locale", Value::from(shop.primary_locale.as_str())),
        (
            "enabled_locales",
            Value::from(
                shop.locales
                    .iter()
                    .map(|l| Value::from(l.as_str()))
                    .collect::<Vec<_>>(),
            ),
        ),
        ("url", Value::from("/")),
        // The account pages that work without an account (login, register) exist, so themes
        // show their account links.
        ("customer_accounts_enabled", Value::from(true)),
        ("customer_accounts_optional", Value::from(true)),
        (
            "types",
            strings(catalog.products.iter().map(|p| p.product_type.as_str())),
        ),
        (
            "vendors",
            strings(catalog.products.iter().map(|p| p.vendor.as_str())),
        ),
    ]);
    (
        value,
        shop.money_format.clone(),
        shop.money_with_currency_format.clone(),
    )
}
