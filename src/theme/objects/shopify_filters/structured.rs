//! Data filters: `structured_data` (<https://shopify.dev/docs/api/liquid/filters/structured_data>),
//! `standard_event_data` (the payload of Shopify's storefront standard events) and the metafield
//! filters (<https://shopify.dev/docs/api/liquid/filters/metafield-filters>).

use minijinja::value::ValueKind;
use minijinja::{Environment, State, Value};
use serde_json::json;

use super::super::context::current_page;
use super::{attr, attr_text, escape, markup, number, text};

pub fn register(env: &mut Environment<'_>) {
    env.add_filter("structured_data", structured_data);
    env.add_filter("standard_event_data", standard_event_data);
    env.add_filter("metafield_tag", metafield_tag);
    env.add_filter("metafield_text", |m: Value| metafield_text(&m));
}

/// Cents as schema.org wants a price: `1999` → `"19.99"`.
fn decimal_price(cents: &Value) -> Option<String> {
    let cents = number(cents)?;
    Some(format!("{:.2}", cents / 100.0))
}

/// The URL of an image value (an image object or a string).
fn image_url(image: &Value) -> Option<String> {
    if image.kind() == ValueKind::Map {
        return attr(image, "src")
            .or_else(|| attr(image, "url"))
            .map(|v| text(&v).into_owned());
    }
    let url = text(image);
    (!url.is_empty()).then(|| url.into_owned())
}

/// `product | structured_data`: a `<script type="application/ld+json">` with schema.org's
/// `Product` and an `Offer` per variant. Anything but a product gives nothing.
fn structured_data(state: &State, product: Value) -> Value {
    if product.kind() != ValueKind::Map || attr(&product, "variants").is_none() {
        return Value::from("");
    }
    let currency = current_page(state)
        .and_then(|p| p.global("shop"))
        .map(|shop| attr_text(&shop, "currency"))
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "USD".into());
    let url = attr_text(&product, "url");
    let mut offers = Vec::new();
    if let Some(variants) = attr(&product, "variants")
        && let Ok(variants) = variants.try_iter()
    {
        for variant in variants {
            let available = attr(&variant, "available").is_some_and(|a| a.is_true());
            let id = attr_text(&variant, "id");
            let mut offer = json!({
                "@type": "Offer",
                "availability": if available {
                    "http://schema.org/InStock"
                } else {
                    "http://schema.org/OutOfStock"
                },
                "price": attr(&variant, "price").and_then(|p| decimal_price(&p)),
                "priceCurrency": currency,
                "url": if id.is_empty() { url.clone() } else { format!("{url}?variant={id}") },
            });
            let sku = attr_text(&variant, "sku");
            if !sku.is_empty() {
                offer["sku"] = json!(sku);
            }
            offers.push(offer);
        }
    }
    let mut data = json!({
        "@context": "http://schema.org/",
        "@type": "Product",
        "name": attr_text(&product, "title"),
        "url": url,
        "offers": offers,
    });
    let description = attr_text(&product, "description");
    if !description.is_empty() {
        data["description"] = json!(description);
    }
    if let Some(image) = attr(&product, "featured_image").and_then(|i| image_url(&i)) {
        data["image"] = json!(image);
    }
    let vendor = attr_text(&product, "vendor");
    if !vendor.is_empty() {
        data["brand"] = json!({ "@type": "Brand", "name": vendor });
    }
    // `<` and `>` as escapes: the JSON cannot close the script element.
    let body = data
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e");
    markup(format!(
        "<script type=\"application/ld+json\">{body}</script>"
    ))
}

/// `product | standard_event_data: 'view'` (also a collection or the cart): the JSON payload of
/// the matching view event (`shopify:product:view`, ...) that themes put in a
/// `view-event-payload` attribute for the standard events module. Ids are Shopify gids, money
/// is `{amount, currencyCode}` in units. Anything else gives nothing.
fn standard_event_data(
    state: &State,
    resource: Value,
    event: Option<Value>,
    kwargs: minijinja::value::Kwargs,
) -> Value {
    let _ = event;
    let context = kwargs
        .get::<Option<Value>>("context")
        .ok()
        .flatten()
        .map(|c| text(&c).into_owned())
        .filter(|c| !c.is_empty());
    let currency = current_page(state)
        .and_then(|p| p.global("shop"))
        .map(|shop| attr_text(&shop, "currency"))
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "USD".into());
    let money = |cents: Option<Value>| {
        json!({
            "amount": cents.and_then(|c| decimal_price(&c)).unwrap_or_else(|| "0.00".into()),
            "currencyCode": currency,
        })
    };
    let gid = |kind: &str, id: String| format!("gid://shopify/{kind}/{id}");
    let payload = if attr(&resource, "variants").is_some() {
        let names: Vec<String> = attr(&resource, "options")
            .and_then(|o| {
                o.try_iter()
                    .ok()
                    .map(|it| it.map(|v| text(&v).into_owned()).collect())
            })
            .unwrap_or_default();
        let variant = attr(&resource, "selected_or_first_available_variant")
            .filter(|v| v.kind() == ValueKind::Map);
        let selected: Vec<serde_json::Value> = variant
            .as_ref()
            .and_then(|v| attr(v, "options"))
            .and_then(|o| o.try_iter().ok())
            .map(|values| {
                names
                    .iter()
                    .zip(values)
                    .map(|(name, value)| json!({"name": name, "value": text(&value)}))
                    .collect()
            })
            .unwrap_or_default();
        let selected_variant = variant.as_ref().map(|v| {
            json!({
                "id": gid("ProductVariant", attr_text(v, "id")),
                "title": attr_text(v, "title"),
                "availableForSale": attr(v, "available").is_some_and(|a| a.is_true()),
                "price": money(attr(v, "price")),
                "selectedOptions": selected,
            })
        });
        json!({
            "context": context.unwrap_or_else(|| "page".into()),
            "selectedOptions": selected,
            "product": {
                "id": gid("Product", attr_text(&resource, "id")),
                "title": attr_text(&resource, "title"),
                "handle": attr_text(&resource, "handle"),
                "selectedVariant": selected_variant,
            },
        })
    } else if attr(&resource, "products_count").is_some() {
        json!({
            "collection": {
                "id": Some(attr_text(&resource, "id")).filter(|id| !id.is_empty()).map(|id| gid("Collection", id)),
                "handle": attr_text(&resource, "handle"),
                "productsCount": attr(&resource, "products_count").and_then(|n| number(&n)).unwrap_or(0.0) as u64,
            },
        })
    } else if attr(&resource, "item_count").is_some() {
        let lines: Vec<serde_json::Value> = attr(&resource, "items")
            .and_then(|items| items.try_iter().ok())
            .map(|items| {
                items
                    .map(|line| {
                        json!({
                            "id": gid("CartLine", attr_text(&line, "key")),
                            "quantity": attr(&line, "quantity").and_then(|q| number(&q)).unwrap_or(0.0) as u64,
                            "cost": {"totalAmount": money(attr(&line, "final_line_price"))},
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        json!({
            "context": context.unwrap_or_else(|| "page".into()),
            "cart": {
                "id": gid("Cart", attr_text(&resource, "token")),
                "totalQuantity": attr(&resource, "item_count").and_then(|n| number(&n)).unwrap_or(0.0) as u64,
                "cost": {"totalAmount": money(attr(&resource, "total_price"))},
                "lines": lines,
                "discountCodes": [],
            },
        })
    } else {
        return Value::from("");
    };
    Value::from(payload.to_string())
}

/// A metafield's value as text; a list type's values joined by `, `.
fn metafield_text(metafield: &Value) -> String {
    let value = attr(metafield, "value").unwrap_or(Value::UNDEFINED);
    if matches!(value.kind(), ValueKind::Seq)
        && let Ok(items) = value.try_iter()
    {
        return items
            .map(|v| text(&v).into_owned())
            .collect::<Vec<_>>()
            .join(", ");
    }
    text(&value).into_owned()
}

/// `metafield | metafield_tag`: the value in the element Shopify uses for its type.
fn metafield_tag(metafield: Value) -> Value {
    let kind = attr_text(&metafield, "type");
    let value = attr(&metafield, "value").unwrap_or(Value::UNDEFINED);
    let class = format!("metafield-{}", kind.replace('.', "_"));
    if let Some(item_type) = kind.strip_prefix("list.") {
        let items: String = value
            .try_iter()
            .map(|items| {
                items
                    .map(|v| {
                        format!(
                            "<li class=\"metafield-{}\">{}</li>",
                            escape(item_type),
                            escape(&text(&v))
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        return markup(format!(
            "<ul class=\"metafield-{}_array\">{items}</ul>",
            escape(item_type)
        ));
    }
    let shown = escape(&text(&value));
    markup(match kind.as_str() {
        "url" => format!("<a class=\"{class}\" href=\"{shown}\">{shown}</a>"),
        "multi_line_text_field" => {
            format!(
                "<span class=\"{class}\">{}</span>",
                shown.replace('\n', "<br>")
            )
        }
        "date" | "date_time" => {
            format!("<time class=\"{class}\" datetime=\"{shown}\">{shown}</time>")
        }
        _ => format!("<span class=\"{}\">{shown}</span>", escape(&class)),
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::render;
    use minijinja::context;

    #[test]
    fn product_json_ld() {
        let ctx = context! { product => context! {
            title => "Health potion", url => "/products/health-potion", vendor => "Polina",
            description => "Heals </script>",
            variants => vec![context! { id => 7, price => 1999, available => true, sku => "HP-1" }],
        }};
        assert_eq!(
            render("{{ product|structured_data }}", ctx),
            "<script type=\"application/ld+json\">{\"@context\":\"http://schema.org/\",\
             \"@type\":\"Product\",\"name\":\"Health potion\",\"url\":\"/products/health-potion\",\
             \"offers\":[{\"@type\":\"Offer\",\"availability\":\"http://schema.org/InStock\",\
             \"price\":\"19.99\",\"priceCurrency\":\"USD\",\
             \"url\":\"/products/health-potion?variant=7\",\"sku\":\"HP-1\"}],\
             \"description\":\"Heals \\u003c/script\\u003e\",\
             \"brand\":{\"@type\":\"Brand\",\"name\":\"Polina\"}}</script>"
        );
        assert_eq!(
            render("[{{ 'x'|structured_data }}]", minijinja::Value::UNDEFINED),
            "[]"
        );
    }

    #[test]
    fn metafields() {
        let ctx = context! {
            text => context! { type => "single_line_text_field", value => "Fresh & new" },
            lines => context! { type => "multi_line_text_field", value => "a\nb" },
            link => context! { type => "url", value => "https://example.com" },
            list => context! { type => "list.single_line_text_field", value => vec!["a", "b"] },
        };
        assert_eq!(
            render("{{ text|metafield_tag }}", ctx.clone()),
            "<span class=\"metafield-single_line_text_field\">Fresh &amp; new</span>"
        );
        assert_eq!(
            render("{{ lines|metafield_tag }}", ctx.clone()),
            "<span class=\"metafield-multi_line_text_field\">a<br>b</span>"
        );
        assert_eq!(
            render("{{ link|metafield_tag }}", ctx.clone()),
            "<a class=\"metafield-url\" href=\"https://example.com\">https://example.com</a>"
        );
        assert_eq!(
            render("{{ list|metafield_tag }}", ctx.clone()),
            "<ul class=\"metafield-single_line_text_field_array\">\
             <li class=\"metafield-single_line_text_field\">a</li>\
             <li class=\"metafield-single_line_text_field\">b</li></ul>"
        );
        assert_eq!(render("{{ list|metafield_text }}", ctx), "a, b");
    }
}
