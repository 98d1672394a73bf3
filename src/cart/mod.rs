//! The cart model: lines, line keys, the merge and split rules, stock policy, versions and the
//! commands every API dialect is built from. Pure rules over a `Cart` value and the `Catalog`;
//! it knows nothing of HTTP, SQL or templates.
//!
//! Commands run on a copy of the cart inside one store transaction: when a command returns `Err`
//! the copy is dropped and nothing is written; when it returns `Ok` (possibly with a stock warning,
//! the documented clamp) the copy is saved and the version moves on.

mod commands;
mod key;
mod limits;
pub mod pricing;

use chrono::{DateTime, Utc};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

pub use commands::{
    AddItem, AddOutcome, ChangeRequest, ChangeTarget, LineUpdates, StockPolicy, UpdateRequest,
};
pub use key::line_key;
pub use limits::Limits;
pub use pricing::{PricedCart, PricedLine};

/// A cart, whatever API created it.
#[derive(Debug, Clone, PartialEq)]
pub struct Cart {
    /// The cart's token: at least 128 random bits, in UUID layout. Shopify's `token`,
    /// BigCommerce's cart `id`, Elastic Path's cart id.
    pub id: String,
    /// Increments with every successful mutation, through any API.
    pub version: i64,
    pub note: Option<String>,
    /// Every attribute, private ones (names ending in `__`) included.
    pub attributes: IndexMap<String, String>,
    /// Codes as the visitor entered them, in order.
    pub discount_codes: Vec<String>,
    pub currency: String,
    pub locale: Option<String>,
    /// Elastic Path's cart name and description; BigCommerce's email.
    pub name: Option<String>,
    pub description: Option<String>,
    pub email: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub lines: Vec<Line>,
}

/// One cart line.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Stable id of the line: BigCommerce's and Elastic Path's item id.
    pub id: Uuid,
    pub item: LineItem,
    pub quantity: i64,
    /// Line item properties; keys starting with `_` are private (stored and returned).
    pub properties: IndexMap<String, Value>,
    /// A unit list price that replaces the catalog price (BigCommerce `list_price`).
    pub price_override: Option<i64>,
    /// Platform extras that travel with the line but do not change its price
    /// (BigCommerce gift wrapping and option selections, Elastic Path custom inputs).
    pub extras: LineExtras,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LineItem {
    /// A catalog variant.
    Variant {
        variant_id: i64,
        #[serde(default)]
        selling_plan: Option<i64>,
        #[serde(default)]
        parent_id: Option<i64>,
    },
    /// An item that is not in the catalog, with its own SKU, name and unit price
    /// (BigCommerce `custom_items`, Elastic Path `custom_item`).
    Custom {
        sku: String,
        name: String,
        price: i64,
        #[serde(default)]
        image_url: Option<String>,
        #[serde(default = "default_true")]
        requires_shipping: bool,
    },
    /// A BigCommerce gift certificate.
    GiftCertificate {
        name: String,
        theme: String,
        amount: i64,
        sender: Contact,
        recipient: Contact,
        #[serde(default)]
        message: Option<String>,
    },
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LineExtras {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gift_wrapping: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub option_selections: Vec<OptionSelection>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub custom_inputs: IndexMap<String, Value>,
}

impl LineExtras {
    pub fn is_empty(&self) -> bool {
        self.gift_wrapping.is_none()
            && self.option_selections.is_empty()
            && self.custom_inputs.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionSelection {
    pub option_id: i64,
    pub option_value: Value,
}

impl Line {
    /// A new line with a fresh id, no properties, extras or price override.
    pub fn new(item: LineItem, quantity: i64, now: DateTime<Utc>) -> Line {
        Line {
            id: Uuid::new_v4(),
            item,
            quantity,
            properties: IndexMap::new(),
            price_override: None,
            extras: LineExtras::default(),
            created_at: now,
            updated_at: now,
        }
    }

    pub fn variant_id(&self) -> Option<i64> {
        match self.item {
            LineItem::Variant { variant_id, .. } => Some(variant_id),
            _ => None,
        }
    }

    pub fn selling_plan(&self) -> Option<i64> {
        match self.item {
            LineItem::Variant { selling_plan, .. } => selling_plan,
            _ => None,
        }
    }

    /// Shopify's line key: `"<variant_id>:<32 hex>"`, derived from what makes the line unique.
    pub fn key(&self) -> String {
        line_key(self)
    }
}

/// Why a command was refused. Nothing was changed when a command returns one of these.
///
/// Each reason is its own variant, with the values its text needs, so that a dialect can word it
/// (or translate it) without parsing the English text shown here.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CartError {
    #[error("Cannot find variant")]
    VariantNotFound,
    #[error("The product '{0}' is already sold out.")]
    SoldOut(String),
    #[error("You can't add more {0} to the cart.")]
    NotEnoughStock(String),
    #[error("no valid id or line parameter")]
    LineNotFound,
    #[error("Selling plan {0} is not available for this item.")]
    SellingPlanNotAvailable(i64),
    #[error("Quantity must be a whole number of 0 or more.")]
    NegativeQuantity,
    #[error("Quantity must be at most {0}.")]
    QuantityTooLarge(i64),
    #[error("A cart can hold at most {0} lines.")]
    TooManyLines(usize),
    #[error("{0} is too long (at most {1} characters).")]
    TooLong(TextField, usize),
    #[error("A line can have at most {0} properties.")]
    TooManyProperties(usize),
    #[error("A cart can have at most {0} attributes.")]
    TooManyAttributes(usize),
    #[error("At most {0} discount codes can be applied.")]
    TooManyDiscountCodes(usize),
    #[error("Only catalog items can have a selling plan.")]
    SellingPlanOnCustomItem,
    #[error("A price cannot be negative.")]
    NegativePrice,
    #[error("The updates list has {given} quantities but the cart has {lines} lines.")]
    UpdatesLengthMismatch { given: usize, lines: usize },
    #[error("The cart version {given} does not match the current version {current}.")]
    VersionConflict { given: i64, current: i64 },
}

/// A piece of visitor text with a length limit, named in `CartError::TooLong`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextField {
    Note,
    PropertyName,
    PropertyValue,
    AttributeName,
    AttributeValue,
    DiscountCode,
}

impl std::fmt::Display for TextField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TextField::Note => "Note",
            TextField::PropertyName => "A property name",
            TextField::PropertyValue => "A property value",
            TextField::AttributeName => "An attribute name",
            TextField::AttributeValue => "An attribute value",
            TextField::DiscountCode => "A discount code",
        })
    }
}

impl CartError {
    /// Stock errors are the one case where a command still changes the cart (the clamp).
    pub fn is_stock(&self) -> bool {
        matches!(self, CartError::SoldOut(_) | CartError::NotEnoughStock(_))
    }
}

impl Cart {
    /// A new, empty cart with the given token.
    pub fn new(id: String, currency: &str, now: DateTime<Utc>) -> Self {
        Cart {
            id,
            version: 0,
            note: None,
            attributes: IndexMap::new(),
            discount_codes: Vec::new(),
            currency: currency.to_string(),
            locale: None,
            name: None,
            description: None,
            email: None,
            created_at: now,
            updated_at: now,
            lines: Vec::new(),
        }
    }

    pub fn item_count(&self) -> i64 {
        self.lines.iter().map(|l| l.quantity).sum()
    }

    /// Attributes a visitor may see: private ones (ending in `__`) are left out.
    pub fn public_attributes(&self) -> impl Iterator<Item = (&String, &String)> {
        self.attributes.iter().filter(|(k, _)| !k.ends_with("__"))
    }

    pub fn line_by_id(&self, id: Uuid) -> Option<&Line> {
        self.lines.iter().find(|l| l.id == id)
    }

    /// Checks an optimistic-concurrency `version` sent by a client.
    pub fn check_version(&self, given: Option<i64>) -> Result<(), CartError> {
        match given {
            Some(given) if given != self.version => Err(CartError::VersionConflict {
                given,
                current: self.version,
            }),
            _ => Ok(()),
        }
    }
}

/// A fresh cart token: 128 random bits, written in UUID layout so every platform's clients accept it.
pub fn new_token() -> String {
    Uuid::from_bytes(rand::random::<[u8; 16]>())
        .hyphenated()
        .to_string()
}

#[cfg(test)]
mod tests;
