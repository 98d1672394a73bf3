//! The `product` object (with its variants and selling plan groups), built once per catalog
//! product; a request with `?variant=` wraps it with a selection.
//! Reference: shopify.dev "Liquid objects: product, variant, selling_plan_group".

use std::sync::Arc;

use indexmap::IndexMap;
use minijinja::Value;
use minijinja::value::{Enumerator, Object};

use super::image::{image_media, image_value, opt_image, strings};
use crate::catalog::{Catalog, PriceAdjustment, Product, SellingPlan, Variant};

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
        (
            "featured_media",
            variant
                .image
                .and_then(|i| {
                    product
                        .images
                        .get(i)
                        .map(|image| image_media(product.id, i, image))
                })
                .unwrap_or(Value::from(())),
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
    pub(super) fn build(product: &Product, catalog: &Catalog, root: &str) -> ProductBase {
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
        let media: Vec<Value> = product
            .images
            .iter()
            .enumerate()
            .map(|(i, image)| image_media(product.id, i, image))
            .collect();
        put(
            "featured_media",
            media.first().cloned().unwrap_or(Value::from(())),
        );
        put("media", Value::from(media));
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

    /// The `featured_image` value (an image object or nil).
    pub fn featured_image(&self) -> Option<Value> {
        self.fields.get("featured_image").cloned()
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
    pub(super) fn new(base: Arc<ProductBase>) -> ProductObject {
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
