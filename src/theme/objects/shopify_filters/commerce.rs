//! Cart and variant filters: `item_count_for_variant`
//! (<https://shopify.dev/docs/api/liquid/filters/item_count_for_variant>), `line_items_for`
//! (<https://shopify.dev/docs/api/liquid/filters/line_items_for>) and `weight_with_unit`
//! (<https://shopify.dev/docs/api/liquid/filters/weight_with_unit>).

use minijinja::{Environment, State, Value};

use super::super::context::current_page;
use super::{attr, attr_text, number, text, trim_decimal};

pub fn register(env: &mut Environment<'_>) {
    env.add_filter("item_count_for_variant", item_count_for_variant);
    env.add_filter("line_items_for", line_items_for);
    env.add_filter("weight_with_unit", weight_with_unit);
}

/// An id as text, so `7`, `7.0` and `"7"` compare equal.
fn id_text(value: &Value) -> String {
    match number(value) {
        Some(n) if n.fract() == 0.0 => format!("{}", n as i64),
        _ => text(value).into_owned(),
    }
}

fn cart_items(cart: &Value) -> Vec<Value> {
    attr(cart, "items")
        .and_then(|items| items.try_iter().ok().map(|it| it.collect()))
        .unwrap_or_default()
}

/// `cart | item_count_for_variant: variant_id`: the quantity of that variant in the cart.
fn item_count_for_variant(cart: Value, variant: Value) -> i64 {
    // A variant object is matched by its id.
    let wanted = id_text(&attr(&variant, "id").unwrap_or(variant));
    cart_items(&cart)
        .iter()
        .filter(|item| attr(item, "variant_id").is_some_and(|v| id_text(&v) == wanted))
        .filter_map(|item| attr(item, "quantity").and_then(|q| number(&q)))
        .map(|q| q as i64)
        .sum()
}

/// `cart | line_items_for: product_or_variant`: the cart lines of a product (a map with
/// `variants`) or of a variant (any other map, or an id).
fn line_items_for(cart: Value, object: Value) -> Value {
    let is_product = attr(&object, "variants").is_some();
    let wanted = id_text(&attr(&object, "id").unwrap_or_else(|| object.clone()));
    let key = if is_product {
        "product_id"
    } else {
        "variant_id"
    };
    let lines: Vec<Value> = cart_items(&cart)
        .into_iter()
        .filter(|item| attr(item, key).is_some_and(|v| id_text(&v) == wanted))
        .collect();
    Value::from(lines)
}

/// `variant.weight | weight_with_unit` (grams in): the weight in the shop's unit (`kg` unless
/// the shop sets `weight_unit`), or in the unit given: `0.2 kg`.
fn weight_with_unit(state: &State, grams: Value, unit: Option<Value>) -> String {
    let Some(grams) = number(&grams) else {
        return String::new();
    };
    let unit = unit
        .map(|u| text(&u).into_owned())
        .filter(|u| !u.is_empty())
        .or_else(|| {
            current_page(state)
                .and_then(|p| p.global("shop"))
                .map(|shop| attr_text(&shop, "weight_unit"))
                .filter(|u| !u.is_empty())
        })
        .unwrap_or_else(|| "kg".into());
    let (amount, unit) = match unit.to_ascii_lowercase().as_str() {
        "g" => (grams, "g"),
        "lb" | "lbs" | "pounds" => (grams / 453.592_37, "lb"),
        "oz" | "ounces" => (grams / 28.349_523_125, "oz"),
        _ => (grams / 1000.0, "kg"),
    };
    format!("{} {unit}", trim_decimal(amount, 2))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::render;
    use minijinja::{Value, context};

    #[test]
    fn cart_lookups() {
        let ctx = context! {
            cart => context! { items => vec![
                context! { variant_id => 11, product_id => 1, quantity => 2, title => "A small" },
                context! { variant_id => 12, product_id => 1, quantity => 3, title => "A large" },
                context! { variant_id => 21, product_id => 2, quantity => 1, title => "B" },
            ]},
            product => context! { id => 1, variants => vec![context! { id => 11 }] },
            variant => context! { id => 12 },
        };
        assert_eq!(
            render("{{ cart|item_count_for_variant(11) }}", ctx.clone()),
            "2"
        );
        assert_eq!(
            render("{{ cart|item_count_for_variant('12') }}", ctx.clone()),
            "3"
        );
        assert_eq!(
            render("{{ cart|item_count_for_variant(99) }}", ctx.clone()),
            "0"
        );
        assert_eq!(
            render(
                "{% for l in cart|line_items_for(product) %}{{ l.title }};{% endfor %}",
                ctx.clone()
            ),
            "A small;A large;"
        );
        assert_eq!(
            render(
                "{% for l in cart|line_items_for(variant) %}{{ l.title }};{% endfor %}",
                ctx.clone()
            ),
            "A large;"
        );
        assert_eq!(render("{{ nothing|item_count_for_variant(1) }}", ctx), "0");
    }

    #[test]
    fn weights() {
        let one = |s: &str| render(s, Value::UNDEFINED);
        assert_eq!(one("{{ 200|weight_with_unit }}"), "0.2 kg");
        assert_eq!(one("{{ 200|weight_with_unit('g') }}"), "200 g");
        assert_eq!(one("{{ 200|weight_with_unit('lb') }}"), "0.44 lb");
        assert_eq!(one("{{ 1500|weight_with_unit('kg') }}"), "1.5 kg");
        assert_eq!(one("[{{ nothing|weight_with_unit }}]"), "[]");
    }
}
