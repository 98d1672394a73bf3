//! The catalog: shop settings, products, variants, selling plans, collections, discount codes,
//! the shipping rate table, and the shop's content (menus, pages, blogs: see `content`). It is
//! read from the JSON files in `data/` (seeded into SQLite on first run, see `store::seed`) and
//! held in memory, immutable, for the life of the process.
//! It knows nothing of HTTP or templates.

mod content;

pub use content::{Article, Blog, Content, Menu, MenuLink, Page};

use foldhash::{HashMap, HashMapExt};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Shop-wide settings (`data/shop.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Shop {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub currency: String,
    #[serde(default = "default_currency_symbol")]
    pub currency_symbol: String,
    pub money_format: String,
    pub money_with_currency_format: String,
    pub primary_locale: String,
    pub locales: Vec<String>,
    /// The shop's country (ISO 3166 alpha-2); without one, the country of its currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
}

impl Shop {
    /// The shop's country: `country_code`, else the first two letters of the currency's ISO
    /// 4217 code, which name its country (`CAD` -> `CA`) for every currency but the euro.
    pub fn country(&self) -> String {
        if let Some(code) = self.country_code.as_deref().filter(|c| c.len() == 2) {
            return code.to_ascii_uppercase();
        }
        match self.currency.get(..2) {
            Some("EU") | None => "DE".into(),
            Some(code) => code.to_ascii_uppercase(),
        }
    }
}

fn default_currency_symbol() -> String {
    "$".into()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Image {
    pub src: String,
    #[serde(default)]
    pub alt: String,
    pub width: u32,
    pub height: u32,
}

impl Image {
    pub fn aspect_ratio(&self) -> f64 {
        if self.height == 0 {
            1.0
        } else {
            ((self.width as f64 / self.height as f64) * 1000.0).round() / 1000.0
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SellingPlanOption {
    pub name: String,
    pub position: u32,
    pub value: String,
}

/// How a selling plan changes the variant's price.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum PriceAdjustment {
    /// Percent off, e.g. 20 for "save 20%".
    Percentage(i64),
    /// Minor units off each unit.
    FixedAmount(i64),
    /// A fixed unit price in minor units.
    Price(i64),
}

impl PriceAdjustment {
    pub fn apply(self, price: i64) -> i64 {
        match self {
            // Half rounds up, the way Shopify rounds percentage adjustments.
            PriceAdjustment::Percentage(p) => price - (price * p + 50) / 100,
            PriceAdjustment::FixedAmount(a) => (price - a).max(0),
            PriceAdjustment::Price(p) => p,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SellingPlan {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub options: Vec<SellingPlanOption>,
    #[serde(default = "yes")]
    pub recurring_deliveries: bool,
    pub price_adjustment: PriceAdjustment,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Variant {
    pub id: i64,
    /// Stable UUID: what Elastic Path calls a product id.
    pub uuid: Uuid,
    pub title: String,
    pub options: Vec<String>,
    pub sku: String,
    pub price: i64,
    #[serde(default)]
    pub compare_at_price: Option<i64>,
    #[serde(default)]
    pub grams: i64,
    /// Units in stock; `None` means inventory is not tracked (unlimited).
    #[serde(default)]
    pub inventory: Option<i64>,
    #[serde(default = "yes")]
    pub requires_shipping: bool,
    #[serde(default = "yes")]
    pub taxable: bool,
    #[serde(default)]
    pub barcode: String,
    /// Index into the product's `images`.
    #[serde(default)]
    pub image: Option<usize>,
}

impl Variant {
    pub fn available(&self) -> bool {
        self.inventory.is_none_or(|n| n > 0)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Product {
    pub id: i64,
    pub handle: String,
    pub title: String,
    /// HTML, as merchants write it.
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub vendor: String,
    #[serde(default)]
    pub product_type: String,
    #[serde(default)]
    pub tags: Vec<String>,
    pub published_at: String,
    pub created_at: String,
    /// Option names, e.g. `["Size", "Strength"]`; `["Title"]` for a default-only product.
    pub options: Vec<String>,
    #[serde(default)]
    pub images: Vec<Image>,
    #[serde(default)]
    pub selling_plan_ids: Vec<i64>,
    #[serde(default)]
    pub gift_card: bool,
    pub variants: Vec<Variant>,
}

impl Product {
    pub fn has_only_default_variant(&self) -> bool {
        self.variants.len() == 1 && self.variants[0].title == "Default Title"
    }

    pub fn variant_image(&self, variant: &Variant) -> Option<&Image> {
        variant
            .image
            .and_then(|i| self.images.get(i))
            .or_else(|| self.images.first())
    }

    pub fn url(&self) -> String {
        format!("/products/{}", self.handle)
    }

    /// "Product - Variant", or the product title alone for a default variant.
    pub fn line_title(&self, variant: &Variant) -> String {
        if self.has_only_default_variant() {
            self.title.clone()
        } else {
            format!("{} - {}", self.title, variant.title)
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Collection {
    pub handle: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub image: Option<Image>,
    /// Product handles, in the collection's manual order.
    pub products: Vec<String>,
}

/// A discount code (`data/discounts.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DiscountCode {
    pub code: String,
    #[serde(default)]
    pub description: String,
    #[serde(flatten)]
    pub value: DiscountValue,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum DiscountValue {
    /// Percent off the order subtotal.
    Percentage(i64),
    /// Minor units off the order subtotal.
    FixedAmount(i64),
}

/// One row of the shipping rate table (`data/shipping_rates.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShippingZone {
    pub name: String,
    /// Country names and ISO codes this zone serves, e.g. `["Canada", "CA"]`.
    pub countries: Vec<String>,
    /// Province names and codes; empty means the whole country.
    #[serde(default)]
    pub provinces: Vec<String>,
    /// A regex-free postal-code shape: `A` letter, `9` digit, space optional. Empty: any zip.
    #[serde(default)]
    pub zip_format: String,
    pub rates: Vec<ShippingRate>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShippingRate {
    pub name: String,
    pub price: i64,
    #[serde(default)]
    pub delivery_days: Vec<u32>,
}

/// Everything in `data/`, indexed for lookups on the hot path.
#[derive(Debug)]
pub struct Catalog {
    pub shop: Shop,
    pub products: Vec<Product>,
    pub collections: Vec<Collection>,
    pub selling_plans: HashMap<i64, SellingPlan>,
    pub discounts: Vec<DiscountCode>,
    pub shipping_zones: Vec<ShippingZone>,
    /// Menus, pages and blogs (empty unless `with_content` adds them).
    pub content: Content,
    by_handle: HashMap<String, usize>,
    by_variant: HashMap<i64, (usize, usize)>,
    by_uuid: HashMap<Uuid, (usize, usize)>,
    by_sku: HashMap<String, (usize, usize)>,
    by_product_id: HashMap<i64, usize>,
}

/// A variant together with the product it belongs to.
#[derive(Debug, Clone, Copy)]
pub struct VariantRef<'a> {
    pub product: &'a Product,
    pub variant: &'a Variant,
}

impl Catalog {
    pub fn new(
        shop: Shop,
        products: Vec<Product>,
        collections: Vec<Collection>,
        selling_plans: Vec<SellingPlan>,
        discounts: Vec<DiscountCode>,
        shipping_zones: Vec<ShippingZone>,
    ) -> Self {
        let mut catalog = Catalog {
            shop,
            products,
            collections,
            selling_plans: selling_plans.into_iter().map(|p| (p.id, p)).collect(),
            discounts,
            shipping_zones,
            content: Content::default(),
            by_handle: HashMap::new(),
            by_variant: HashMap::new(),
            by_uuid: HashMap::new(),
            by_sku: HashMap::new(),
            by_product_id: HashMap::new(),
        };
        for (pi, product) in catalog.products.iter().enumerate() {
            catalog.by_handle.insert(product.handle.clone(), pi);
            catalog.by_product_id.insert(product.id, pi);
            for (vi, variant) in product.variants.iter().enumerate() {
                catalog.by_variant.insert(variant.id, (pi, vi));
                catalog.by_uuid.insert(variant.uuid, (pi, vi));
                catalog.by_sku.insert(variant.sku.to_lowercase(), (pi, vi));
            }
        }
        catalog
    }

    /// The same catalog with its menus, pages and blogs.
    pub fn with_content(mut self, content: Content) -> Self {
        self.content = content;
        self
    }

    pub fn shop(&self) -> &Shop {
        &self.shop
    }

    fn at(&self, (pi, vi): (usize, usize)) -> VariantRef<'_> {
        let product = &self.products[pi];
        VariantRef {
            product,
            variant: &product.variants[vi],
        }
    }

    pub fn variant(&self, id: i64) -> Option<VariantRef<'_>> {
        self.by_variant.get(&id).map(|&ix| self.at(ix))
    }

    pub fn variant_by_uuid(&self, uuid: Uuid) -> Option<VariantRef<'_>> {
        self.by_uuid.get(&uuid).map(|&ix| self.at(ix))
    }

    pub fn variant_by_sku(&self, sku: &str) -> Option<VariantRef<'_>> {
        self.by_sku.get(&sku.to_lowercase()).map(|&ix| self.at(ix))
    }

    pub fn product(&self, handle: &str) -> Option<&Product> {
        self.by_handle.get(handle).map(|&i| &self.products[i])
    }

    pub fn product_by_id(&self, id: i64) -> Option<&Product> {
        self.by_product_id.get(&id).map(|&i| &self.products[i])
    }

    pub fn collection(&self, handle: &str) -> Option<&Collection> {
        self.collections.iter().find(|c| c.handle == handle)
    }

    pub fn selling_plan(&self, id: i64) -> Option<&SellingPlan> {
        self.selling_plans.get(&id)
    }

    pub fn discount(&self, code: &str) -> Option<&DiscountCode> {
        self.discounts
            .iter()
            .find(|d| d.code.eq_ignore_ascii_case(code.trim()))
    }

    /// Indices into `products` of the products related to `products[index]`: the others of
    /// its collections, in their order, then the rest of the catalog; at most `limit`. What
    /// Shopify's "related" recommendations show, without its learned ranking.
    pub fn related(&self, index: usize, limit: usize) -> Vec<usize> {
        let Some(product) = self.products.get(index) else {
            return Vec::new();
        };
        // The home page's featured collection says least about what is alike: it goes last.
        let mut collections: Vec<&Collection> = self
            .collections
            .iter()
            .filter(|c| c.products.contains(&product.handle))
            .collect();
        collections.sort_by_key(|c| c.handle == "frontpage");
        let in_collections = collections
            .into_iter()
            .flat_map(|c| c.products.iter())
            .filter_map(|h| self.by_handle.get(h).copied());
        let mut picked: Vec<usize> = Vec::new();
        for i in in_collections.chain(0..self.products.len()) {
            if picked.len() >= limit {
                break;
            }
            if i != index && !picked.contains(&i) {
                picked.push(i);
            }
        }
        picked
    }

    /// The index into `products` of the product with id `id`.
    pub fn product_index(&self, id: i64) -> Option<usize> {
        self.by_product_id.get(&id).copied()
    }

    /// Products of a collection, in its order; `all` lists every product.
    pub fn collection_products(&self, handle: &str) -> Option<Vec<&Product>> {
        if handle == "all" {
            return Some(self.products.iter().collect());
        }
        let collection = self.collection(handle)?;
        Some(
            collection
                .products
                .iter()
                .filter_map(|h| self.product(h))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentage_adjustment_rounds_half_up() {
        assert_eq!(PriceAdjustment::Percentage(15).apply(2000), 1700);
        assert_eq!(PriceAdjustment::Percentage(20).apply(12900), 10320);
        assert_eq!(PriceAdjustment::Percentage(50).apply(101), 50);
        assert_eq!(PriceAdjustment::FixedAmount(600).apply(500), 0);
    }
}
