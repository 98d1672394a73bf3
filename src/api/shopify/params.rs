//! From a parsed body (JSON, urlencoded or multipart, already folded into one JSON object) to
//! typed cart commands. Numbers may arrive as strings (`"quantity": "2"`), as form posts send them.

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::error::ShopifyError;
use crate::cart::{AddItem, ChangeRequest, ChangeTarget, LineUpdates, UpdateRequest};
use crate::storefront::sections::is_local_path;

type Body = Map<String, Value>;

fn bad(field: &str) -> ShopifyError {
    ShopifyError::InvalidParameter(field.to_string())
}

/// An integer given as a JSON number or a numeric string.
fn int(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn int_field(body: &Body, field: &str) -> Result<Option<i64>, ShopifyError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(v) => int(v).map(Some).ok_or_else(|| bad(field)),
    }
}

fn properties(
    value: Option<&Value>,
    field: &str,
) -> Result<Option<IndexMap<String, Value>>, ShopifyError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(
            map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        )),
        Some(_) => Err(bad(field)),
    }
}

/// `selling_plan`: absent → None; null or "" → Some(None) (remove); an id → Some(Some(id)).
fn selling_plan(body: &Body) -> Result<Option<Option<i64>>, ShopifyError> {
    match body.get("selling_plan") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(Some(None)),
        Some(v) => int(v)
            .map(|id| Some(Some(id)))
            .ok_or_else(|| bad("selling_plan")),
    }
}

fn add_item(body: &Body, prefix: &str) -> Result<AddItem, ShopifyError> {
    let field = |name: &str| format!("{prefix}{name}");
    let variant_id = int_field(body, "id")
        .map_err(|_| bad(&field("id")))?
        .ok_or_else(|| bad(&field("id")))?;
    let quantity = int_field(body, "quantity")
        .map_err(|_| bad(&field("quantity")))?
        .unwrap_or(1);
    Ok(AddItem {
        variant_id,
        quantity,
        properties: properties(body.get("properties"), &field("properties"))?.unwrap_or_default(),
        selling_plan: selling_plan(body)
            .map_err(|_| bad(&field("selling_plan")))?
            .flatten(),
        parent_id: int_field(body, "parent_id").map_err(|_| bad(&field("parent_id")))?,
        ..Default::default()
    })
}

/// An add request: `items[]`, or a single `id`/`quantity` (answered with the bare line).
pub struct AddParams {
    pub items: Vec<AddItem>,
    pub single: bool,
}

pub fn add(body: &Body) -> Result<AddParams, ShopifyError> {
    match body.get("items") {
        Some(Value::Array(items)) => {
            if items.is_empty() {
                return Err(bad("items"));
            }
            let items = items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::Object(map) => add_item(map, &format!("items[{i}].")),
                    _ => Err(bad(&format!("items[{i}]"))),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(AddParams {
                items,
                single: false,
            })
        }
        Some(Value::Object(map)) => {
            // `items[0][id]` with keys the folder kept as a map (e.g. non-numeric indices).
            let items = map
                .values()
                .map(|item| match item {
                    Value::Object(m) => add_item(m, "items[]."),
                    _ => Err(bad("items")),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(AddParams {
                items,
                single: false,
            })
        }
        Some(_) => Err(bad("items")),
        None => Ok(AddParams {
            items: vec![add_item(body, "")?],
            single: true,
        }),
    }
}

fn attribute_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub fn update(body: &Body) -> Result<UpdateRequest, ShopifyError> {
    let updates = match body.get("updates") {
        None | Some(Value::Null) => None,
        Some(Value::Array(list)) => Some(LineUpdates::ByPosition(
            list.iter()
                .map(|v| match v {
                    Value::String(s) if s.trim().is_empty() => Ok(0),
                    v => int(v).ok_or_else(|| bad("updates")),
                })
                .collect::<Result<_, _>>()?,
        )),
        Some(Value::Object(map)) => Some(LineUpdates::ByIdOrKey(
            map.iter()
                .map(|(k, v)| {
                    let q = match v {
                        Value::String(s) if s.trim().is_empty() => Some(0),
                        v => int(v),
                    };
                    q.map(|q| (k.clone(), q))
                        .ok_or_else(|| bad(&format!("updates[{k}]")))
                })
                .collect::<Result<_, _>>()?,
        )),
        Some(_) => return Err(bad("updates")),
    };
    let note = match body.get("note") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(bad("note")),
    };
    let attributes = match body.get("attributes") {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => Some(
            map.iter()
                .map(|(k, v)| (k.clone(), attribute_text(v)))
                .collect(),
        ),
        Some(_) => return Err(bad("attributes")),
    };
    let discount = match body.get("discount") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(codes)) => Some(
            codes
                .iter()
                .map(attribute_text)
                .collect::<Vec<_>>()
                .join(","),
        ),
        Some(_) => return Err(bad("discount")),
    };
    Ok(UpdateRequest {
        updates,
        note,
        attributes,
        discount,
    })
}

pub fn change(body: &Body) -> Result<(ChangeTarget, ChangeRequest), ShopifyError> {
    use crate::cart::CartError;
    let target = match (body.get("line"), body.get("id")) {
        (Some(line), _) if !line.is_null() => {
            let n = int(line).ok_or(CartError::LineNotFound)?;
            ChangeTarget::Line(usize::try_from(n).map_err(|_| CartError::LineNotFound)?)
        }
        (_, Some(Value::String(s))) if s.contains(':') => ChangeTarget::Key(s.trim().to_string()),
        (_, Some(id)) if !id.is_null() => {
            ChangeTarget::VariantId(int(id).ok_or(CartError::LineNotFound)?)
        }
        _ => return Err(CartError::LineNotFound.into()),
    };
    let request = ChangeRequest {
        quantity: int_field(body, "quantity")?,
        properties: properties(body.get("properties"), "properties")?,
        selling_plan: selling_plan(body)?,
    };
    Ok((target, request))
}

/// `return_to` of a plain form post, kept only when it is a path on this store: a redirect must
/// never take the visitor to another origin.
pub fn return_to(body: &Body) -> Option<String> {
    match body.get("return_to") {
        Some(Value::String(url)) if is_local_path(url) => Some(url.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Body {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn numbers_may_be_strings() {
        let p = add(&obj(json!({"id": "794864229", "quantity": "2"}))).unwrap();
        assert!(p.single);
        assert_eq!(p.items[0].variant_id, 794864229);
        assert_eq!(p.items[0].quantity, 2);
        let (target, req) = change(&obj(json!({"line": "1", "quantity": "3"}))).unwrap();
        assert_eq!(target, ChangeTarget::Line(1));
        assert_eq!(req.quantity, Some(3));
    }

    #[test]
    fn bad_types_are_400() {
        assert!(matches!(
            add(&obj(json!({"id": [1]}))),
            Err(ShopifyError::InvalidParameter(_))
        ));
        assert!(matches!(
            add(&obj(json!({"items": [{"id": 1, "quantity": "x"}]}))),
            Err(ShopifyError::InvalidParameter(_))
        ));
        assert!(matches!(
            update(&obj(json!({"note": 5}))),
            Err(ShopifyError::InvalidParameter(_))
        ));
    }

    #[test]
    fn return_to_is_a_local_path_or_nothing() {
        let of = |v: Value| return_to(&obj(json!({ "return_to": v })));
        assert_eq!(
            of(json!("/collections/all?page=2")).as_deref(),
            Some("/collections/all?page=2")
        );
        for bad in [
            json!("//evil.example/"),
            json!("/\\evil.example"),
            json!("https://evil.example/"),
            json!("evil"),
            json!("/cart\r\nX: y"),
            json!(""),
            json!(["/cart"]),
        ] {
            assert_eq!(of(bad.clone()), None, "{bad}");
        }
    }
}
