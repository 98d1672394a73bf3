//! Request bodies of both BigCommerce cart APIs, parsed by hand from JSON so that every problem
//! answers BigCommerce's 422 with the field's path (`lineItems[0].quantity`), never axum's plain
//! text. The Storefront API names fields in camelCase and the Management API in snake_case; one
//! parser serves both through `Case`.
//! <https://developer.bigcommerce.com/docs/rest-management/carts/cart-items>

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde_json::{Map, Value};

use super::error::BcError;

/// The raw request body. The router's size limit and an unreadable body answer in
/// BigCommerce's error shape, not as axum's plain-text rejection.
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = BcError;

    async fn from_request(req: Request, state: &S) -> Result<Self, BcError> {
        match Bytes::from_request(req, state).await {
            Ok(bytes) => Ok(RawBody(bytes)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(BcError::PayloadTooLarge)
            }
            Err(_) => Err(BcError::field("body", "error.unreadable")),
        }
    }
}

/// How the dialect spells field names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// Storefront: `productId`.
    Camel,
    /// Management: `product_id`.
    Snake,
}

impl Case {
    /// The dialect's spelling of a snake_case field name.
    pub fn name(self, snake: &str) -> String {
        match self {
            Case::Snake => snake.to_string(),
            Case::Camel => {
                let mut out = String::with_capacity(snake.len());
                let mut upper = false;
                for c in snake.chars() {
                    if c == '_' {
                        upper = true;
                    } else if upper {
                        out.push(c.to_ascii_uppercase());
                        upper = false;
                    } else {
                        out.push(c);
                    }
                }
                out
            }
        }
    }
}

/// The theme names BigCommerce accepts for gift certificates.
pub const GIFT_CERTIFICATE_THEMES: [&str; 6] = [
    "birthday.html",
    "boy.html",
    "celebration.html",
    "christmas.html",
    "general.html",
    "girl.html",
];

/// Largest money amount accepted, in major units.
const MAX_MAJOR_AMOUNT: f64 = 100_000_000.0;

/// A JSON object being read, with its path for error messages.
pub struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
    case: Case,
}

impl<'a> Obj<'a> {
    pub fn root(value: &'a Value, case: Case) -> Result<Obj<'a>, BcError> {
        match value {
            Value::Object(map) => Ok(Obj {
                map,
                path: String::new(),
                case,
            }),
            _ => Err(BcError::field("body", "error.expected.jsobject")),
        }
    }

    fn path_of(&self, snake: &str) -> String {
        let name = self.case.name(snake);
        if self.path.is_empty() {
            name
        } else {
            format!("{}.{name}", self.path)
        }
    }

    /// The raw value (`Some(Null)` when the field is an explicit `null`).
    pub fn raw(&self, snake: &str) -> Option<&'a Value> {
        self.map.get(&self.case.name(snake))
    }

    /// Whether the field is present and not null.
    pub fn has(&self, snake: &str) -> bool {
        self.raw(snake).is_some_and(|v| !v.is_null())
    }

    pub fn int(&self, snake: &str) -> Result<Option<i64>, BcError> {
        match self.raw(snake) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) => Ok(Some(i)),
                // A whole float such as 2.0 is still an integer.
                None => match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Some(f as i64)),
                    _ => Err(BcError::field(
                        self.path_of(snake),
                        "error.expected.jsnumber",
                    )),
                },
            },
            Some(_) => Err(BcError::field(
                self.path_of(snake),
                "error.expected.jsnumber",
            )),
        }
    }

    pub fn required_int(&self, snake: &str) -> Result<i64, BcError> {
        self.int(snake)?
            .ok_or_else(|| BcError::field(self.path_of(snake), "error.path.missing"))
    }

    /// A quantity: a whole number, at least `min`.
    pub fn quantity(&self, snake: &str, min: i64) -> Result<i64, BcError> {
        let q = self.required_int(snake)?;
        if q < min {
            return Err(BcError::field(
                self.path_of(snake),
                format!("error.min: must be at least {min}"),
            ));
        }
        Ok(q)
    }

    /// A money amount in decimal major units, returned in minor units.
    pub fn money(&self, snake: &str) -> Result<Option<i64>, BcError> {
        match self.raw(snake) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(f) if f.is_finite() && (0.0..=MAX_MAJOR_AMOUNT).contains(&f) => {
                    Ok(Some((f * 100.0).round() as i64))
                }
                _ => Err(BcError::field(
                    self.path_of(snake),
                    "error.expected.positive_amount",
                )),
            },
            Some(_) => Err(BcError::field(
                self.path_of(snake),
                "error.expected.jsnumber",
            )),
        }
    }

    pub fn string(&self, snake: &str) -> Result<Option<&'a str>, BcError> {
        match self.raw(snake) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => {
                if s.chars().count() > 5_000 {
                    Err(BcError::field(self.path_of(snake), "error.maxLength"))
                } else {
                    Ok(Some(s))
                }
            }
            Some(_) => Err(BcError::field(
                self.path_of(snake),
                "error.expected.jsstring",
            )),
        }
    }

    pub fn required_string(&self, snake: &str) -> Result<&'a str, BcError> {
        match self.string(snake)? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            _ => Err(BcError::field(self.path_of(snake), "error.path.missing")),
        }
    }

    pub fn object(&self, snake: &str) -> Result<Option<Obj<'a>>, BcError> {
        match self.raw(snake) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Obj {
                map,
                path: self.path_of(snake),
                case: self.case,
            })),
            Some(_) => Err(BcError::field(
                self.path_of(snake),
                "error.expected.jsobject",
            )),
        }
    }

    pub fn required_object(&self, snake: &str) -> Result<Obj<'a>, BcError> {
        self.object(snake)?
            .ok_or_else(|| BcError::field(self.path_of(snake), "error.path.missing"))
    }

    /// The objects of an array field (empty when absent).
    pub fn objects(&self, snake: &str) -> Result<Vec<Obj<'a>>, BcError> {
        let items = match self.raw(snake) {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(items)) => items,
            Some(_) => {
                return Err(BcError::field(
                    self.path_of(snake),
                    "error.expected.jsarray",
                ));
            }
        };
        if items.len() > 100 {
            return Err(BcError::field(
                self.path_of(snake),
                "error.maxLength: at most 100 items per request",
            ));
        }
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let path = format!("{}[{i}]", self.path_of(snake));
                match item {
                    Value::Object(map) => Ok(Obj {
                        map,
                        path,
                        case: self.case,
                    }),
                    _ => Err(BcError::field(path, "error.expected.jsobject")),
                }
            })
            .collect()
    }

    /// This object's path, for messages about the object as a whole.
    pub fn path(&self) -> &str {
        &self.path
    }
}

/// Parses the body as a JSON value; an empty body counts as `{}` when `empty_ok`.
pub fn json_body(bytes: &[u8], empty_ok: bool) -> Result<Value, BcError> {
    if empty_ok && bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(bytes).map_err(|_| BcError::field("body", "error.expected.jsvalue"))
}

/// One requested catalog line: resolved against the catalog later.
#[derive(Debug, Clone, PartialEq)]
pub struct LineItemParams {
    pub product_id: i64,
    pub variant_id: Option<i64>,
    pub quantity: i64,
    /// `(option id, value)`: the value is a value id (number) or the value's text.
    pub option_selections: Vec<(i64, Value)>,
    pub list_price: Option<i64>,
    /// Normalized gift wrapping (`{wrap_together, wrap_details:[{id, message}]}`).
    pub gift_wrapping: Option<Value>,
    /// The path of this item in the request, for messages.
    pub path: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CustomItemParams {
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    pub list_price: i64,
    pub image_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GiftCertificateParams {
    pub name: String,
    pub theme: String,
    pub amount: i64,
    pub quantity: i64,
    pub sender: crate::cart::Contact,
    pub recipient: crate::cart::Contact,
    pub message: Option<String>,
}

/// The body of `POST /carts` and `POST /carts/{id}/items`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemsParams {
    pub line_items: Vec<LineItemParams>,
    pub custom_items: Vec<CustomItemParams>,
    pub gift_certificates: Vec<GiftCertificateParams>,
    pub version: Option<i64>,
    pub locale: Option<String>,
}

impl ItemsParams {
    pub fn is_empty(&self) -> bool {
        self.line_items.is_empty()
            && self.custom_items.is_empty()
            && self.gift_certificates.is_empty()
    }
}

/// Parses an add-items body. `custom_items` are a Management API feature.
pub fn items(body: &Value, case: Case) -> Result<ItemsParams, BcError> {
    let root = Obj::root(body, case)?;
    if case == Case::Camel && root.has("custom_items") {
        return Err(BcError::Unprocessable(
            "Custom items can only be added through the Management API.".into(),
        ));
    }
    if let Some(id) = root.int("customer_id")?
        && id != 0
    {
        return Err(BcError::Unprocessable(
            "Customer accounts are not supported by this store; leave customer_id out.".into(),
        ));
    }
    if let Some(id) = root.int("channel_id")?
        && id != 1
    {
        return Err(BcError::Unprocessable(
            "This store has one channel, with id 1.".into(),
        ));
    }
    let mut params = ItemsParams {
        version: root.int("version")?,
        locale: locale(&root)?,
        ..Default::default()
    };
    for item in root.objects("line_items")? {
        params.line_items.push(line_item(&item, case)?);
    }
    for item in root.objects("custom_items")? {
        params.custom_items.push(custom_item(&item)?);
    }
    for item in root.objects("gift_certificates")? {
        params.gift_certificates.push(gift_certificate(&item)?);
    }
    Ok(params)
}

fn locale(root: &Obj<'_>) -> Result<Option<String>, BcError> {
    let Some(locale) = root.string("locale")? else {
        return Ok(None);
    };
    let ok = locale.len() <= 10
        && !locale.is_empty()
        && locale.chars().all(|c| c.is_ascii_alphabetic() || c == '-');
    if ok {
        Ok(Some(locale.to_string()))
    } else {
        Err(BcError::field(
            root.path_of("locale"),
            "error.expected.locale",
        ))
    }
}

/// `option_selections: [{option_id, option_value}]`, the value a number or a string.
fn option_selections(item: &Obj<'_>) -> Result<Vec<(i64, Value)>, BcError> {
    let mut selections = Vec::new();
    for selection in item.objects("option_selections")? {
        let id = selection.required_int("option_id")?;
        match selection.raw("option_value") {
            Some(v @ (Value::Number(_) | Value::String(_))) => selections.push((id, v.clone())),
            _ => {
                return Err(BcError::field(
                    selection.path_of("option_value"),
                    "error.expected.jsnumber",
                ));
            }
        }
    }
    Ok(selections)
}

fn line_item(item: &Obj<'_>, case: Case) -> Result<LineItemParams, BcError> {
    if item.has("name") {
        return Err(BcError::Unprocessable(
            "Overriding a product's name is not supported by this store.".into(),
        ));
    }
    if case == Case::Camel && item.has("list_price") {
        return Err(BcError::Unprocessable(
            "A list price can only be set through the Management API.".into(),
        ));
    }
    let option_selections = option_selections(item)?;
    Ok(LineItemParams {
        product_id: item.required_int("product_id")?,
        variant_id: item.int("variant_id")?,
        quantity: item.quantity("quantity", 1)?,
        option_selections,
        list_price: item.money("list_price")?,
        gift_wrapping: gift_wrapping(item)?.flatten(),
        path: item.path().to_string(),
    })
}

/// Gift wrapping: `None` when absent, `Some(None)` for an explicit `null` (remove it),
/// `Some(Some(normalized))` otherwise.
pub fn gift_wrapping(item: &Obj<'_>) -> Result<Option<Option<Value>>, BcError> {
    match item.raw("gift_wrapping") {
        None => return Ok(None),
        Some(Value::Null) => return Ok(Some(None)),
        Some(_) => {}
    }
    let wrapping = item.required_object("gift_wrapping")?;
    let wrap_together = match wrapping.raw("wrap_together") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(BcError::field(
                wrapping.path_of("wrap_together"),
                "error.expected.jsboolean",
            ));
        }
    };
    let mut details = Vec::new();
    for detail in wrapping.objects("wrap_details")? {
        let id = detail.required_int("id")?;
        let message = detail.string("message")?.unwrap_or("");
        if message.chars().count() > 255 {
            return Err(BcError::field(
                detail.path_of("message"),
                "error.maxLength: at most 255 characters",
            ));
        }
        details.push(serde_json::json!({ "id": id, "message": message }));
    }
    if details.is_empty() {
        return Err(BcError::field(
            wrapping.path_of("wrap_details"),
            "error.path.missing",
        ));
    }
    Ok(Some(Some(serde_json::json!({
        "wrap_together": wrap_together,
        "wrap_details": details,
    }))))
}

fn custom_item(item: &Obj<'_>) -> Result<CustomItemParams, BcError> {
    let name = item.required_string("name")?;
    let sku = item.required_string("sku")?;
    for (field, text) in [("name", name), ("sku", sku)] {
        if text.chars().count() > 255 {
            return Err(BcError::field(
                item.path_of(field),
                "error.maxLength: at most 255 characters",
            ));
        }
    }
    Ok(CustomItemParams {
        sku: sku.to_string(),
        name: name.to_string(),
        quantity: item.quantity("quantity", 1)?,
        list_price: item
            .money("list_price")?
            .ok_or_else(|| BcError::field(item.path_of("list_price"), "error.path.missing"))?,
        image_url: item.string("image_url")?.map(str::to_string),
    })
}

fn contact(item: &Obj<'_>, snake: &str) -> Result<crate::cart::Contact, BcError> {
    let who = item.required_object(snake)?;
    let email = who.required_string("email")?;
    if !email.contains('@') || email.len() > 255 {
        return Err(BcError::field(who.path_of("email"), "error.email"));
    }
    Ok(crate::cart::Contact {
        name: who.required_string("name")?.to_string(),
        email: email.to_string(),
    })
}

fn gift_certificate(item: &Obj<'_>) -> Result<GiftCertificateParams, BcError> {
    let theme = item.required_string("theme")?;
    if !GIFT_CERTIFICATE_THEMES.contains(&theme) {
        return Err(BcError::field(
            item.path_of("theme"),
            format!("error.enum: one of {}", GIFT_CERTIFICATE_THEMES.join(", ")),
        ));
    }
    let amount = item
        .money("amount")?
        .ok_or_else(|| BcError::field(item.path_of("amount"), "error.path.missing"))?;
    if amount < 100 {
        return Err(BcError::field(
            item.path_of("amount"),
            "error.min: a gift certificate is worth at least 1.00",
        ));
    }
    Ok(GiftCertificateParams {
        name: item.required_string("name")?.to_string(),
        theme: theme.to_string(),
        amount,
        quantity: item.quantity("quantity", 1)?,
        sender: contact(item, "sender")?,
        recipient: contact(item, "recipient")?,
        message: item.string("message")?.map(str::to_string),
    })
}

/// The body of `PUT /carts/{id}/items/{itemId}`.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateParams {
    pub product_id: Option<i64>,
    pub variant_id: Option<i64>,
    pub quantity: i64,
    pub option_selections: Vec<(i64, Value)>,
    pub list_price: Option<i64>,
    /// See `gift_wrapping`.
    pub gift_wrapping: Option<Option<Value>>,
    pub version: Option<i64>,
}

pub fn update(body: &Value, case: Case) -> Result<UpdateParams, BcError> {
    let root = Obj::root(body, case)?;
    let item = root.required_object("line_item")?;
    if case == Case::Snake {
        // The Management API updates only quantity and list_price.
        for field in ["gift_wrapping", "option_selections", "name"] {
            if item.has(field) {
                return Err(BcError::Unprocessable(format!(
                    "Only quantity and list_price can be updated; remove and re-add the item to change {field}."
                )));
            }
        }
    } else if item.has("list_price") {
        return Err(BcError::Unprocessable(
            "A list price can only be set through the Management API.".into(),
        ));
    }
    let option_selections = option_selections(&item)?;
    Ok(UpdateParams {
        product_id: item.int("product_id")?,
        variant_id: item.int("variant_id")?,
        quantity: item.quantity("quantity", 0)?,
        option_selections,
        list_price: item.money("list_price")?,
        gift_wrapping: gift_wrapping(&item)?,
        version: root.int("version")?,
    })
}

/// The optional `{version}` body of a DELETE.
pub fn delete_version(bytes: &[u8], case: Case) -> Result<Option<i64>, BcError> {
    let body = json_body(bytes, true)?;
    Obj::root(&body, case)?.int("version")
}

/// Which `include=` values were asked for: `(physical options, digital options)`.
pub fn include(query: Option<&str>, case: Case) -> Result<(bool, bool), BcError> {
    let physical = format!(
        "{}.{}.options",
        case.name("line_items"),
        case.name("physical_items")
    );
    let digital = format!(
        "{}.{}.options",
        case.name("line_items"),
        case.name("digital_items")
    );
    let mut wanted = (false, false);
    let Some(query) = query else {
        return Ok(wanted);
    };
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        if key != "include" && key != "include[]" {
            continue;
        }
        for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if part == physical {
                wanted.0 = true;
            } else if part == digital {
                wanted.1 = true;
            } else {
                return Err(BcError::Unprocessable(format!(
                    "include={part} is not supported by this store; use {physical} or {digital}."
                )));
            }
        }
    }
    Ok(wanted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn camel_case_names() {
        assert_eq!(Case::Camel.name("line_items"), "lineItems");
        assert_eq!(Case::Camel.name("variant_id"), "variantId");
        assert_eq!(Case::Snake.name("variant_id"), "variant_id");
    }

    #[test]
    fn field_paths_follow_the_dialect() {
        let body = json!({"lineItems": [{"productId": 1, "quantity": "two"}]});
        match items(&body, Case::Camel) {
            Err(BcError::InvalidJson(errors)) => {
                assert!(errors.contains_key("lineItems[0].quantity"), "{errors:?}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn money_is_read_in_major_units() {
        let body = json!({"custom_items": [{"sku": "a", "name": "A", "quantity": 1, "list_price": 110.7}]});
        let parsed = items(&body, Case::Snake).map(|p| p.custom_items[0].list_price);
        assert_eq!(parsed.ok(), Some(11070));
    }

    #[test]
    fn include_values() {
        assert_eq!(
            include(
                Some("include=lineItems.physicalItems.options,lineItems.digitalItems.options"),
                Case::Camel
            )
            .ok(),
            Some((true, true))
        );
        assert!(include(Some("include=redirect_urls"), Case::Snake).is_err());
    }
}
