//! Template objects built from the catalog, named like Shopify's Liquid objects (`product`,
//! `variant`, `collection`, `collections`, `all_products`, `shop`, `image`, `selling_plan_group`).
//!
//! The catalog is immutable, so every object is built once when the theme loads and shared by
//! `Arc`; a request only wraps them (a selected variant, a page of a sorted collection).
//! Reference: shopify.dev "Liquid objects".

use std::collections::HashMap;
use std::sync::Arc;

use indexmap::IndexMap;
use minijinja::Value;
use minijinja::value::{Enumerator, Object, ObjectRepr};

use crate::catalog::{Catalog, Collection, Image, PriceAdjustment, Product, SellingPlan, Variant};

/// Products per collection or search page, as Shopify's default `paginate by: 12`.
pub const PAGE_SIZE: usize = 12;

/// Values shared by every request, built from the catalog at load.
#[derive(Debug)]
pub struct CatalogValues {
    pub products: Vec<Arc<ProductObject>>,
    by_handle: HashMap<String, usize>,
    pub collections: Vec<Arc<CollectionBase>>,
    collections_by_handle: HashMap<String, usize>,
    /// The synthetic `all` collection.
    pub all: Arc<CollectionBase>,
    pub collections_value: Value,
    pub all_products_value: Value,
    pub shop: Value,
    pub money_format: String,
    pub money_with_currency_format: String,
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
        let collections_by_handle = collections
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
        CatalogValues {
            products,
            by_handle,
            collections,
            collections_by_handle,
            all,
            collections_value,
            all_products_value,
            shop,
            money_format,
            money_with_currency_format,
        }
    }

    pub fn product(&self, handle: &str) -> Option<&Arc<ProductObject>> {
        self.by_handle.get(handle).map(|&i| &self.products[i])
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

fn shop_value(catalog: &Catalog) -> (Value, String, String) {
    let Some(shop) = catalog.shop.as_ref() else {
        let money = "${{amount}}".to_string();
        return (
            Value::from_pairs([("name", Value::from("vitrine"))]),
            money.clone(),
            money,
        );
    };
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
    ]);
    (
        value,
        shop.money_format.clone(),
        shop.money_with_currency_format.clone(),
    )
}

/// An `image` object: `src` and `url` are the same path.
pub fn image_value(image: &Image) -> Value {
    Value::from_pairs([
        ("src", Value::from(image.src.as_str())),
        ("url", Value::from(image.src.as_str())),
        ("alt", Value::from(image.alt.as_str())),
        ("width", Value::from(image.width)),
        ("height", Value::from(image.height)),
        ("aspect_ratio", Value::from(image.aspect_ratio())),
    ])
}

fn opt_image(image: Option<&Image>) -> Value {
    image.map_or(Value::from(()), image_value)
}

fn strings(items: &[String]) -> Value {
    Value::from(
        items
            .iter()
            .map(|s| Value::from(s.as_str()))
            .collect::<Vec<_>>(),
    )
}

fn group_id(product: &Product) -> String {
    format!("group-{}", product.id)
}

fn adjustment_value(adjustment: PriceAdjustment) -> Value {
    let (kind, value) = match adjustment {
        PriceAdjustment::Percentage(v) => ("percentage", v),
        PriceAdjustment::FixedAmount(v) => ("fixed_amount", v),
        PriceAdjustment::Price(v) => ("price", v),
    };
    Value::from_pairs([
        ("position", Value::from(1)),
        ("order_count", Value::from(())),
        ("value_type", Value::from(kind)),
        ("value", Value::from(value)),
    ])
}

fn selling_plan_value(plan: &SellingPlan) -> Value {
    let options: Vec<Value> = plan
        .options
        .iter()
        .map(|o| {
            Value::from_pairs([
                ("name", Value::from(o.name.as_str())),
                ("position", Value::from(o.position)),
                ("value", Value::from(o.value.as_str())),
            ])
        })
        .collect();
    Value::from_pairs([
        ("id", Value::from(plan.id)),
        ("name", Value::from(plan.name.as_str())),
        ("description", Value::from(plan.description.as_str())),
        ("options", Value::from(options)),
        (
            "recurring_deliveries",
            Value::from(plan.recurring_deliveries),
        ),
        (
            "price_adjustments",
            Value::from(vec![adjustment_value(plan.price_adjustment)]),
        ),
        ("selected", Value::from(false)),
    ])
}

fn plans_of<'a>(product: &Product, catalog: &'a Catalog) -> Vec<&'a SellingPlan> {
    product
        .selling_plan_ids
        .iter()
        .filter_map(|id| catalog.selling_plan(*id))
        .collect()
}

/// One `selling_plan_group` holding every plan of the product (the catalog has no groups).
fn selling_plan_groups(product: &Product, plans: &[&SellingPlan]) -> Value {
    if plans.is_empty() {
        return Value::from(Vec::<Value>::new());
    }
    let mut options: IndexMap<&str, (u32, Vec<&str>)> = IndexMap::new();
    for plan in plans {
        for option in &plan.options {
            let entry = options
                .entry(option.name.as_str())
                .or_insert((option.position, Vec::new()));
            if !entry.1.contains(&option.value.as_str()) {
                entry.1.push(option.value.as_str());
            }
        }
    }
    let options: Vec<Value> = options
        .into_iter()
        .map(|(name, (position, values))| {
            Value::from_pairs([
                ("name", Value::from(name)),
                ("position", Value::from(position)),
                (
                    "values",
                    Value::from(values.into_iter().map(Value::from).collect::<Vec<_>>()),
                ),
            ])
        })
        .collect();
    let group = Value::from_pairs([
        ("id", Value::from(group_id(product))),
        ("name", Value::from("Subscriptions")),
        ("app_id", Value::from(())),
        ("options", Value::from(options)),
        (
            "selling_plans",
            Value::from(
                plans
                    .iter()
                    .map(|p| selling_plan_value(p))
                    .collect::<Vec<_>>(),
            ),
        ),
    ]);
    Value::from(vec![group])
}

fn variant_value(
    product: &Product,
    variant: &Variant,
    plans: &[&SellingPlan],
    root: &str,
) -> Value {
    let default_only = product.has_only_default_variant();
    let option = |i: usize| {
        variant
            .options
            .get(i)
            .map_or(Value::from(()), |o| Value::from(o.as_str()))
    };
    let allocations: Vec<Value> = plans
        .iter()
        .map(|plan| {
            let price = plan.price_adjustment.apply(variant.price);
            Value::from_pairs([
                ("selling_plan_id", Value::from(plan.id)),
                ("selling_plan_group_id", Value::from(group_id(product))),
                ("price", Value::from(price)),
                ("compare_at_price", Value::from(variant.price)),
                ("per_delivery_price", Value::from(price)),
                (
                    "price_adjustments",
                    Value::from(vec![Value::from_pairs([
                        ("position", Value::from(1)),
                        ("price", Value::from(price)),
                    ])]),
                ),
            ])
        })
        .collect();
    Value::from_pairs([
        ("id", Value::from(variant.id)),
        ("product_id", Value::from(product.id)),
        ("title", Value::from(variant.title.as_str())),
        ("name", Value::from(product.line_title(variant))),
        (
            "public_title",
            if default_only {
                Value::from(())
            } else {
                Value::from(variant.title.as_str())
            },
        ),
        ("price", Value::from(variant.price)),
        ("compare_at_price", Value::from(variant.compare_at_price)),
        ("available", Value::from(variant.available())),
        ("sku", Value::from(variant.sku.as_str())),
        ("barcode", Value::from(variant.barcode.as_str())),
        ("options", strings(&variant.options)),
        ("option1", option(0)),
        ("option2", option(1)),
        ("option3", option(2)),
        (
            "url",
            Value::from(format!("{root}{}?variant={}", product.url(), variant.id)),
        ),
        (
            "featured_image",
            opt_image(variant.image.and_then(|i| product.images.get(i))),
        ),
        (
            "image",
            opt_image(variant.image.and_then(|i| product.images.get(i))),
        ),
        ("inventory_quantity", Value::from(variant.inventory)),
        (
            "inventory_management",
            if variant.inventory.is_some() {
                Value::from("shopify")
            } else {
                Value::from(())
            },
        ),
        ("inventory_policy", Value::from("deny")),
        ("requires_shipping", Value::from(variant.requires_shipping)),
        ("taxable", Value::from(variant.taxable)),
        ("weight", Value::from(variant.grams)),
        ("selling_plan_allocations", Value::from(allocations)),
    ])
}

/// The per-product data that does not depend on the request.
#[derive(Debug)]
pub struct ProductBase {
    pub handle: String,
    fields: IndexMap<&'static str, Value>,
    variants: Vec<Value>,
    variant_ids: Vec<i64>,
    variant_options: Vec<Vec<String>>,
    option_names: Vec<String>,
    first_available: Option<usize>,
    /// For sorting and search without going back to the catalog.
    pub price: i64,
    pub title: String,
    pub created_at: String,
    search_text: Vec<String>,
}

impl ProductBase {
    fn build(product: &Product, catalog: &Catalog, root: &str) -> ProductBase {
        let plans = plans_of(product, catalog);
        let variants: Vec<Value> = product
            .variants
            .iter()
            .map(|v| variant_value(product, v, &plans, root))
            .collect();
        let prices: Vec<i64> = product.variants.iter().map(|v| v.price).collect();
        let price_min = prices.iter().copied().min().unwrap_or(0);
        let price_max = prices.iter().copied().max().unwrap_or(0);
        let compare: Vec<i64> = product
            .variants
            .iter()
            .filter_map(|v| v.compare_at_price)
            .collect();
        let compare_min = compare.iter().copied().min();
        let compare_max = compare.iter().copied().max();
        let first_available = product.variants.iter().position(Variant::available);
        let available = first_available.is_some();
        let description = Value::from_safe_string(product.description.clone());
        let mut fields = IndexMap::new();
        let mut put = |k: &'static str, v: Value| {
            fields.insert(k, v);
        };
        put("id", Value::from(product.id));
        put("handle", Value::from(product.handle.as_str()));
        put("title", Value::from(product.title.as_str()));
        // Merchant-written HTML, rendered as-is the way Shopify does.
        put("description", description.clone());
        put("content", description);
        put("vendor", Value::from(product.vendor.as_str()));
        put("type", Value::from(product.product_type.as_str()));
        put("product_type", Value::from(product.product_type.as_str()));
        put("tags", strings(&product.tags));
        put("price", Value::from(price_min));
        put("price_min", Value::from(price_min));
        put("price_max", Value::from(price_max));
        put("price_varies", Value::from(price_min != price_max));
        put("compare_at_price", Value::from(compare_min));
        put("compare_at_price_min", Value::from(compare_min));
        put("compare_at_price_max", Value::from(compare_max));
        put(
            "compare_at_price_varies",
            Value::from(compare_min != compare_max),
        );
        put("available", Value::from(available));
        put("url", Value::from(format!("{root}{}", product.url())));
        put("featured_image", opt_image(product.images.first()));
        put(
            "images",
            Value::from(product.images.iter().map(image_value).collect::<Vec<_>>()),
        );
        put("options", strings(&product.options));
        put("variants", Value::from(variants.clone()));
        put(
            "first_available_variant",
            first_available
                .and_then(|i| variants.get(i).cloned())
                .unwrap_or(Value::from(())),
        );
        put(
            "has_only_default_variant",
            Value::from(product.has_only_default_variant()),
        );
        put("selling_plan_groups", selling_plan_groups(product, &plans));
        put("requires_selling_plan", Value::from(false));
        put("gift_card?", Value::from(product.gift_card));
        put("gift_card", Value::from(product.gift_card));
        put("created_at", Value::from(product.created_at.as_str()));
        put("published_at", Value::from(product.published_at.as_str()));
        put("object_type", Value::from("product"));
        let mut search_text = vec![
            product.title.to_lowercase(),
            product.vendor.to_lowercase(),
            product.product_type.to_lowercase(),
        ];
        search_text.extend(product.tags.iter().map(|t| t.to_lowercase()));
        ProductBase {
            handle: product.handle.clone(),
            fields,
            variant_ids: product.variants.iter().map(|v| v.id).collect(),
            variant_options: product.variants.iter().map(|v| v.options.clone()).collect(),
            option_names: product.options.clone(),
            variants,
            first_available,
            price: price_min,
            title: product.title.clone(),
            created_at: product.created_at.clone(),
            search_text,
        }
    }

    /// Case-insensitive: every word of `terms` occurs in the title, vendor, type or a tag.
    pub fn matches(&self, terms: &[String]) -> bool {
        !terms.is_empty()
            && terms
                .iter()
                .all(|term| self.search_text.iter().any(|field| field.contains(term)))
    }
}

/// A `product` object, optionally with a variant selected by `?variant=`.
#[derive(Debug)]
pub struct ProductObject {
    pub base: Arc<ProductBase>,
    selected: Option<usize>,
    options_with_values: Value,
}

impl ProductObject {
    fn new(base: Arc<ProductBase>) -> ProductObject {
        let options_with_values = options_with_values(&base, None);
        ProductObject {
            base,
            selected: None,
            options_with_values,
        }
    }

    /// The same product with `variant_id` selected; an id of another product selects nothing.
    pub fn with_variant(&self, variant_id: Option<i64>) -> ProductObject {
        let selected =
            variant_id.and_then(|id| self.base.variant_ids.iter().position(|&v| v == id));
        ProductObject {
            base: self.base.clone(),
            selected,
            options_with_values: options_with_values(&self.base, selected),
        }
    }

    fn selected_or_first(&self) -> Option<usize> {
        self.selected
            .or(self.base.first_available)
            .or((!self.base.variants.is_empty()).then_some(0))
    }

    fn variant(&self, index: Option<usize>) -> Value {
        index
            .and_then(|i| self.base.variants.get(i).cloned())
            .unwrap_or(Value::from(()))
    }
}

fn options_with_values(base: &ProductBase, selected: Option<usize>) -> Value {
    let current = selected
        .or(base.first_available)
        .and_then(|i| base.variant_options.get(i));
    let list: Vec<Value> = base
        .option_names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut values: Vec<&str> = Vec::new();
            for options in &base.variant_options {
                if let Some(v) = options.get(i)
                    && !values.contains(&v.as_str())
                {
                    values.push(v);
                }
            }
            let selected_value = current
                .and_then(|o| o.get(i))
                .map_or(Value::from(()), |v| Value::from(v.as_str()));
            Value::from_pairs([
                ("name", Value::from(name.as_str())),
                ("position", Value::from(i + 1)),
                (
                    "values",
                    Value::from(values.into_iter().map(Value::from).collect::<Vec<_>>()),
                ),
                ("selected_value", selected_value),
            ])
        })
        .collect();
    Value::from(list)
}

const PRODUCT_EXTRA_KEYS: &[&str] = &[
    "selected_variant",
    "selected_or_first_available_variant",
    "options_with_values",
];

impl Object for ProductObject {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        match key {
            "selected_variant" => Some(self.variant(self.selected)),
            "selected_or_first_available_variant" => Some(self.variant(self.selected_or_first())),
            "options_with_values" => Some(self.options_with_values.clone()),
            _ => self.base.fields.get(key).cloned(),
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let mut keys: Vec<Value> = self.base.fields.keys().map(|k| Value::from(*k)).collect();
        keys.extend(PRODUCT_EXTRA_KEYS.iter().map(|k| Value::from(*k)));
        Enumerator::Values(keys)
    }
}

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
    fn build(
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
                .and_then(|&i| products[i].base.fields.get("featured_image").cloned())
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

    fn all(products: &[Arc<ProductObject>], root: &str) -> CollectionBase {
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
struct CollectionsObject {
    list: Vec<Value>,
    all: Value,
    by_handle: HashMap<String, usize>,
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
struct AllProducts {
    products: IndexMap<String, Value>,
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
