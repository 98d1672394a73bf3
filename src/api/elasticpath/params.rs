//! Request bodies of the Elastic Path cart API, read by hand from JSON so that every problem
//! answers Elastic Path's 400 with a `source` (`data.quantity`, `data[2].sku`).
//! <https://elasticpath.dev/docs/carts-orders/manage-carts>

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use indexmap::IndexMap;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::error::EpError;

/// The raw request body. The router's size limit and an unreadable body answer in Elastic
/// Path's `errors` shape, not as axum's plain-text rejection.
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = EpError;

    async fn from_request(req: Request, state: &S) -> Result<Self, EpError> {
        match Bytes::from_request(req, state).await {
            Ok(bytes) => Ok(RawBody(bytes)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(EpError::PayloadTooLarge)
            }
            Err(_) => Err(EpError::BadRequest(
                "The request body could not be read.".into(),
            )),
        }
    }
}

/// How an item names its catalog product: Elastic Path's product id (our variant UUID) or a SKU.
#[derive(Debug, Clone, PartialEq)]
pub enum ProductRef {
    Id(Uuid),
    Sku(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum NewItem {
    Catalog {
        product: ProductRef,
        quantity: i64,
        custom_inputs: IndexMap<String, Value>,
    },
    Custom {
        name: String,
        sku: String,
        description: Option<String>,
        quantity: i64,
        price: i64,
        custom_inputs: IndexMap<String, Value>,
    },
}

/// `POST /v2/carts/:id/items`: one item or a bulk list.
#[derive(Debug, Clone, PartialEq)]
pub struct AddParams {
    pub items: Vec<NewItem>,
    pub bulk: bool,
    pub all_or_nothing: bool,
    pub version: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ItemUpdate {
    /// `None` in a single-item PUT: the item of the path.
    pub id: Option<Uuid>,
    pub quantity: i64,
    pub custom_inputs: Option<IndexMap<String, Value>>,
}

/// `PUT /v2/carts/:id/items(/:itemId)`.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateParams {
    pub updates: Vec<ItemUpdate>,
    pub bulk: bool,
    pub all_or_nothing: bool,
    pub version: Option<i64>,
}

/// Parses a JSON body; an empty body is `{}` when `empty_ok`.
pub fn json_body(bytes: &[u8], empty_ok: bool) -> Result<Value, EpError> {
    if empty_ok && bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(bytes)
        .map_err(|_| EpError::BadRequest("The request body could not be parsed as JSON.".into()))
}

fn object<'a>(value: &'a Value, source: &str) -> Result<&'a Map<String, Value>, EpError> {
    value
        .as_object()
        .ok_or_else(|| EpError::validation(source, format!("{source} must be an object")))
}

fn int(map: &Map<String, Value>, key: &str, source: &str) -> Result<Option<i64>, EpError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| EpError::validation(source, format!("{key} must be an integer"))),
    }
}

fn quantity(map: &Map<String, Value>, source: &str, min: i64) -> Result<i64, EpError> {
    let q = int(map, "quantity", source)?
        .ok_or_else(|| EpError::validation(source, "quantity is required"))?;
    if q < min {
        return Err(EpError::validation(
            source,
            format!("quantity must be at least {min}"),
        ));
    }
    Ok(q)
}

fn text(
    map: &Map<String, Value>,
    key: &str,
    source: &str,
    max: usize,
) -> Result<Option<String>, EpError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= max => Ok(Some(s.clone())),
        Some(Value::String(_)) => Err(EpError::validation(
            source,
            format!("{key} must be at most {max} characters"),
        )),
        Some(_) => Err(EpError::validation(
            source,
            format!("{key} must be a string"),
        )),
    }
}

fn required_text(
    map: &Map<String, Value>,
    key: &str,
    source: &str,
    max: usize,
) -> Result<String, EpError> {
    match text(map, key, source, max)? {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(EpError::validation(source, format!("{key} is required"))),
    }
}

fn custom_inputs(
    map: &Map<String, Value>,
    source: &str,
) -> Result<Option<IndexMap<String, Value>>, EpError> {
    match map.get("custom_inputs") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(inputs)) => {
            let size = serde_json::to_string(inputs).map_or(usize::MAX, |s| s.len());
            if inputs.len() > 50 || size > 10_000 {
                return Err(EpError::validation(
                    source,
                    "custom_inputs may hold at most 50 fields and 10000 characters",
                ));
            }
            Ok(Some(
                inputs.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            ))
        }
        Some(_) => Err(EpError::validation(
            source,
            "custom_inputs must be an object",
        )),
    }
}

/// The `version` given in the body (`data.version`, or `options.version` for bulk requests)
/// and in an `If-Match` header. Both, when given, must match the cart.
pub fn if_match(headers: &HeaderMap) -> Result<Option<i64>, EpError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .unwrap_or_default();
    text.parse()
        .map(Some)
        .map_err(|_| EpError::validation("If-Match", "If-Match must be the cart's version number"))
}

/// Each entry of `data` with its `source` path.
type Entries<'a> = Vec<(String, &'a Map<String, Value>)>;

/// The items of a request (`data` as one object or a list) and whether it was a list.
fn data_items(root: &Map<String, Value>) -> Result<(Entries<'_>, bool), EpError> {
    match root.get("data") {
        Some(Value::Array(items)) => {
            if items.is_empty() || items.len() > super::error::MAX_CART_ITEMS {
                return Err(EpError::validation(
                    "data",
                    "data must list between 1 and 100 items",
                ));
            }
            let parsed = items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let source = format!("data[{i}]");
                    object(item, &source).map(|map| (source, map))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok((parsed, true))
        }
        Some(item @ Value::Object(_)) => Ok((vec![("data".into(), object(item, "data")?)], false)),
        _ => Err(EpError::validation("data", "data is required")),
    }
}

fn option_flag(root: &Map<String, Value>, key: &str) -> Result<bool, EpError> {
    let Some(options) = root.get("options").filter(|v| !v.is_null()) else {
        return Ok(false);
    };
    match object(options, "options")?.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(EpError::validation(
            format!("options.{key}"),
            format!("{key} must be a boolean"),
        )),
    }
}

/// `data.version` of a single-item body, or `options.version` of a bulk one.
fn body_version(root: &Map<String, Value>, bulk: bool) -> Result<Option<i64>, EpError> {
    if bulk {
        match root.get("options").and_then(Value::as_object) {
            Some(options) => int(options, "version", "options.version"),
            None => Ok(None),
        }
    } else {
        match root.get("data").and_then(Value::as_object) {
            Some(data) => int(data, "version", "data.version"),
            None => Ok(None),
        }
    }
}

pub fn add(body: &Value) -> Result<AddParams, EpError> {
    let root = object(body, "body")?;
    let (entries, bulk) = data_items(root)?;
    let mut items = Vec::with_capacity(entries.len());
    for (source, item) in entries {
        items.push(new_item(item, &source)?);
    }
    Ok(AddParams {
        items,
        bulk,
        all_or_nothing: option_flag(root, "add_all_or_nothing")?,
        version: body_version(root, bulk)?,
    })
}

fn new_item(item: &Map<String, Value>, source: &str) -> Result<NewItem, EpError> {
    let kind = text(item, "type", &format!("{source}.type"), 50)?;
    let inputs = custom_inputs(item, &format!("{source}.custom_inputs"))?.unwrap_or_default();
    let qty = quantity(item, &format!("{source}.quantity"), 1)?;
    match kind.as_deref() {
        Some("cart_item") => {
            let product = match (item.get("id"), item.get("sku")) {
                (Some(Value::String(id)), _) => {
                    ProductRef::Id(Uuid::parse_str(id.trim()).map_err(|_| {
                        EpError::validation(format!("{source}.id"), "id must be a product UUID")
                    })?)
                }
                (None | Some(Value::Null), Some(Value::String(sku))) if !sku.trim().is_empty() => {
                    ProductRef::Sku(sku.trim().to_string())
                }
                _ => {
                    return Err(EpError::validation(
                        format!("{source}.id"),
                        "a cart_item needs a product id or a sku",
                    ));
                }
            };
            Ok(NewItem::Catalog {
                product,
                quantity: qty,
                custom_inputs: inputs,
            })
        }
        Some("custom_item") => {
            let price_source = format!("{source}.price");
            let price = item
                .get("price")
                .ok_or_else(|| EpError::validation(&price_source, "price is required"))
                .and_then(|p| object(p, &price_source))?;
            let amount = int(price, "amount", &format!("{price_source}.amount"))?
                .filter(|a| (0..=10_000_000_000).contains(a))
                .ok_or_else(|| {
                    EpError::validation(
                        format!("{price_source}.amount"),
                        "amount must be a whole number of minor units, 0 or more",
                    )
                })?;
            Ok(NewItem::Custom {
                name: required_text(item, "name", &format!("{source}.name"), 255)?,
                sku: required_text(item, "sku", &format!("{source}.sku"), 255)?,
                description: text(item, "description", &format!("{source}.description"), 5000)?,
                quantity: qty,
                price: amount,
                custom_inputs: inputs,
            })
        }
        Some(other @ ("promotion_item" | "subscription_item")) => Err(EpError::Unsupported(
            format!("{other} is not supported by this store: add cart_item or custom_item."),
        )),
        _ => Err(EpError::validation(
            format!("{source}.type"),
            "type must be cart_item or custom_item",
        )),
    }
}

pub fn update(body: &Value, path_item: Option<Uuid>) -> Result<UpdateParams, EpError> {
    let root = object(body, "body")?;
    let (entries, bulk) = data_items(root)?;
    let mut updates = Vec::with_capacity(entries.len());
    for (source, item) in entries {
        let id = match item.get("id") {
            Some(Value::String(id)) => Some(Uuid::parse_str(id.trim()).map_err(|_| {
                EpError::validation(format!("{source}.id"), "id must be a cart item id")
            })?),
            None | Some(Value::Null) => None,
            Some(_) => {
                return Err(EpError::validation(
                    format!("{source}.id"),
                    "id must be a string",
                ));
            }
        };
        let id = match (path_item, id) {
            (Some(path), Some(given)) if path != given => {
                return Err(EpError::validation(
                    format!("{source}.id"),
                    "id must be the cart item of the URL",
                ));
            }
            (Some(path), _) => Some(path),
            (None, Some(given)) => Some(given),
            (None, None) => {
                return Err(EpError::validation(
                    format!("{source}.id"),
                    "id is required",
                ));
            }
        };
        updates.push(ItemUpdate {
            id,
            quantity: quantity(item, &format!("{source}.quantity"), 0)?,
            custom_inputs: custom_inputs(item, &format!("{source}.custom_inputs"))?,
        });
    }
    if path_item.is_some() && bulk {
        return Err(EpError::validation("data", "data must be one object"));
    }
    Ok(UpdateParams {
        updates,
        bulk,
        all_or_nothing: option_flag(root, "update_all_or_nothing")?,
        version: body_version(root, bulk)?,
    })
}

/// `POST /v2/carts`: `{data: {name, description}}`, all optional.
pub fn new_cart(body: &Value) -> Result<(Option<String>, Option<String>), EpError> {
    let root = object(body, "body")?;
    let Some(data) = root.get("data").filter(|v| !v.is_null()) else {
        return Ok((None, None));
    };
    let data = object(data, "data")?;
    Ok((
        text(data, "name", "data.name", 255)?,
        text(data, "description", "data.description", 5000)?,
    ))
}

/// The `data.version` of an optional body (DELETE).
pub fn optional_version(body: &Value) -> Result<Option<i64>, EpError> {
    let root = object(body, "body")?;
    match root.get("data").and_then(Value::as_object) {
        Some(data) => int(data, "version", "data.version"),
        None => Ok(None),
    }
}

/// A cart id of the path: Elastic Path lets clients choose them, within reason.
pub fn cart_id(id: &str) -> Result<&str, EpError> {
    let ok = (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(id)
    } else {
        Err(EpError::validation(
            "id",
            "a cart id is 1 to 64 letters, digits, '-' or '_'",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn single_and_bulk_items() {
        let single = add(
            &json!({"data": {"type": "cart_item", "sku": "GGB-BOX", "quantity": 2, "version": 3}}),
        );
        let single = single.ok().map(|p| (p.items.len(), p.bulk, p.version));
        assert_eq!(single, Some((1, false, Some(3))));
        let bulk = add(&json!({"data": [
            {"type": "cart_item", "sku": "GGB-BOX", "quantity": 1},
            {"type": "custom_item", "name": "Tip", "sku": "tip", "quantity": 1, "price": {"amount": 500, "includes_tax": true}}
        ], "options": {"add_all_or_nothing": true}}));
        let bulk = bulk.ok().map(|p| (p.items.len(), p.bulk, p.all_or_nothing));
        assert_eq!(bulk, Some((2, true, true)));
    }

    #[test]
    fn validation_names_the_field() {
        match add(&json!({"data": [{"type": "cart_item", "sku": "x"}]})) {
            Err(EpError::Validation { pointer, .. }) => assert_eq!(pointer, "data[0].quantity"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn cart_ids() {
        assert!(cart_id("my-cart_1").is_ok());
        assert!(cart_id("").is_err());
        assert!(cart_id("a/b").is_err());
    }
}
