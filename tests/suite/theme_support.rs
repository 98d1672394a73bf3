//! Shared helpers for the theme tests: a small catalog shaped like the demo store, Ajax-style
//! cart values, and paths to the real theme and the fixture themes, used by the `theme_*` modules.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Value as Json, json};
use vitrine::catalog::{Catalog, Collection, Product, SellingPlan, Shop};
use vitrine::theme::{PageRequest, Theme};

pub fn repo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    repo_dir().join("tests").join("fixtures").join(name)
}

pub fn shop_with_format(money_format: &str, with_currency: &str) -> Shop {
    Shop {
        name: "Vitrine Test Shop".into(),
        description: "A shop for tests".into(),
        currency: "CAD".into(),
        currency_symbol: "$".into(),
        money_format: money_format.into(),
        money_with_currency_format: with_currency.into(),
        primary_locale: "en".into(),
        locales: vec!["en".into(), "fr".into()],
        country_code: None,
    }
}

fn uuid(n: u64) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}

fn variant(id: i64, title: &str, options: &[&str], price: i64, inventory: Option<i64>) -> Json {
    json!({
        "id": id,
        "uuid": uuid(id as u64),
        "title": title,
        "options": options,
        "sku": format!("SKU-{id}"),
        "price": price,
        "inventory": inventory,
        "image": 0,
    })
}

fn product(id: i64, handle: &str, title: &str, extra: Json, variants: Vec<Json>) -> Product {
    let mut base = json!({
        "id": id,
        "handle": handle,
        "title": title,
        "vendor": "Vitrine",
        "product_type": "Thing",
        "published_at": "2024-01-01T00:00:00Z",
        "created_at": format!("2024-01-{:02}T00:00:00Z", (id % 28) + 1),
        "options": ["Title"],
        "images": [{"src": format!("/static/images/{handle}.svg"), "alt": title, "width": 800, "height": 800}],
        "variants": variants,
    });
    if let (Some(base), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            base.insert(k.clone(), v.clone());
        }
    }
    serde_json::from_value(base).expect("test product is valid")
}

/// The demo store's documented products plus 14 widgets (so `all` has two pages).
pub fn catalog_with_shop(shop: Shop) -> Arc<Catalog> {
    let mut products = vec![
        product(
            1,
            "red-rain-coat",
            "Red Rain Coat",
            json!({
                "vendor": "Shopify",
                "product_type": "Coat",
                "description": "<p>A bright red rain coat for rainy days!</p>",
                "tags": ["rain", "outerwear"],
                "options": ["Color"],
                "selling_plan_ids": [183638],
            }),
            vec![
                variant(794864229, "Red", &["Red"], 12900, Some(100)),
                variant(36110175633573, "Small", &["Small"], 12900, Some(100)),
            ],
        ),
        product(
            2,
            "great-granola-bar",
            "Great Granola Bar",
            json!({"product_type": "Snack", "selling_plan_ids": [6717605]}),
            vec![variant(
                36323170943141,
                "Default Title",
                &["Default Title"],
                2000,
                Some(100),
            )],
        ),
        product(
            3,
            "health-potion",
            "Health potion",
            json!({"vendor": "Polina's Potent Potions", "product_type": "Potion", "options": ["Size", "Strength"], "tags": ["magic"]}),
            vec![
                variant(39897499729985, "S / Low", &["S", "Low"], 900, Some(100)),
                variant(39897499729986, "L / High", &["L", "High"], 1900, Some(100)),
            ],
        ),
        product(
            4,
            "sold-out-scarf",
            "Sold Out Scarf",
            json!({"product_type": "Scarf"}),
            vec![variant(
                40000000000000,
                "Default Title",
                &["Default Title"],
                3500,
                Some(0),
            )],
        ),
    ];
    for i in 0..14 {
        let id = 100 + i;
        products.push(product(
            id,
            &format!("widget-{i:02}"),
            &format!("Widget {i:02}"),
            json!({"product_type": "Widget"}),
            vec![variant(
                50000000000000 + id,
                "Default Title",
                &["Default Title"],
                1000 + id * 10,
                None,
            )],
        ));
    }
    let collections: Vec<Collection> = serde_json::from_value(json!([
        {"handle": "frontpage", "title": "Front page", "description": "<p>Our favourites</p>",
         "products": ["red-rain-coat", "great-granola-bar", "health-potion"]},
        {"handle": "snacks", "title": "Snacks", "products": ["great-granola-bar"]},
    ]))
    .expect("test collections are valid");
    let plans: Vec<SellingPlan> = serde_json::from_value(json!([
        {"id": 183638, "name": "Pay every month, delivery every month | save 20%",
         "description": "No commitment · Auto-renews · Skip or cancel anytime",
         "options": [{"name": "Delivery Frequency", "position": 1, "value": "Month"}],
         "price_adjustment": {"type": "percentage", "value": 20}},
        {"id": 6717605, "name": "Delivery every week | save 15%",
         "options": [{"name": "Delivery Frequency", "position": 1, "value": "Week"}],
         "price_adjustment": {"type": "percentage", "value": 15}},
    ]))
    .expect("test selling plans are valid");
    Arc::new(Catalog::new(
        shop,
        products,
        collections,
        plans,
        Vec::new(),
        Vec::new(),
    ))
}

pub fn catalog() -> Arc<Catalog> {
    catalog_with_shop(shop_with_format("${{amount}}", "${{amount}} CAD"))
}

/// One `/cart.js` line.
pub fn line(n: usize, properties: Json) -> Json {
    let variant_id = 794864229;
    json!({
        "id": variant_id,
        "properties": properties,
        "quantity": 1 + n % 3,
        "variant_id": variant_id,
        "key": format!("{variant_id}:{n:032x}"),
        "title": "Red Rain Coat - Red",
        "price": 12900,
        "original_price": 12900,
        "discounted_price": 12900,
        "line_price": 12900 * (1 + n % 3) as i64,
        "original_line_price": 12900 * (1 + n % 3) as i64,
        "total_discount": 0,
        "discounts": [],
        "sku": "SKU-794864229",
        "grams": 0,
        "vendor": "Shopify",
        "taxable": true,
        "product_id": 1,
        "product_has_only_default_variant": false,
        "gift_card": false,
        "final_price": 12900,
        "final_line_price": 12900 * (1 + n % 3) as i64,
        "url": format!("/products/red-rain-coat?variant={variant_id}"),
        "featured_image": {"aspect_ratio": 1.0, "alt": "Red rain coat", "height": 800,
                           "url": "/static/images/red-rain-coat.svg", "width": 800},
        "image": "/static/images/red-rain-coat.svg",
        "handle": "red-rain-coat",
        "requires_shipping": true,
        "product_type": "Coat",
        "product_title": "Red Rain Coat",
        "product_description": "A bright red rain coat for rainy days!",
        "variant_title": "Red",
        "variant_options": ["Red"],
        "options_with_values": [{"name": "Color", "value": "Red"}],
        "line_level_discount_allocations": [],
        "line_level_total_discount": 0,
    })
}

/// A `/cart.js` value with `lines` lines.
pub fn cart_json(lines: usize, note: Option<&str>, properties: Json) -> Json {
    let items: Vec<Json> = (0..lines).map(|n| line(n, properties.clone())).collect();
    let total: i64 = items
        .iter()
        .map(|i| i["final_line_price"].as_i64().unwrap_or(0))
        .sum();
    let count: i64 = items
        .iter()
        .map(|i| i["quantity"].as_i64().unwrap_or(0))
        .sum();
    json!({
        "token": "c1-test",
        "note": note,
        "attributes": {},
        "original_total_price": total,
        "total_price": total,
        "total_discount": 0,
        "total_weight": 0,
        "item_count": count,
        "items": items,
        "requires_shipping": lines > 0,
        "currency": "CAD",
        "items_subtotal_price": total,
        "cart_level_discount_applications": [],
        "discount_codes": [],
    })
}

/// The template `cart` the server builds from a `/cart.js` value: lines keyed by their JSON.
pub fn cart_value(json: &Json) -> minijinja::Value {
    let lines: Vec<vitrine::theme::KeyedJson> = json["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|line| {
                    vitrine::theme::KeyedJson::new(serde_json::to_vec(line).expect("line JSON"))
                })
                .collect()
        })
        .unwrap_or_default();
    vitrine::theme::cart_value(
        minijinja::Value::from(minijinja::value::Serde(json)),
        &lines,
    )
}

pub fn empty_cart() -> minijinja::Value {
    cart_value(&cart_json(0, None, json!({})))
}

pub fn request(path: &str) -> PageRequest {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    PageRequest {
        path: path.into(),
        query: form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect(),
        locale: "en".into(),
        ..PageRequest::default()
    }
}

pub fn request_in(path: &str, locale: &str) -> PageRequest {
    PageRequest {
        locale: locale.into(),
        ..request(path)
    }
}

pub fn real_theme() -> Theme {
    Theme::load(&repo_dir(), catalog(), false).expect("the real theme loads")
}

pub fn fixture_theme(name: &str) -> Theme {
    Theme::load(&fixture(name), catalog(), false).expect("fixture theme loads")
}

/// Renders a section in a page context, panicking with the error's location on failure.
pub fn section(theme: &Theme, path: &str, id: &str, cart: minijinja::Value) -> Option<String> {
    let ctx = theme.context(&request(path), cart);
    match theme.render_section(&ctx, id) {
        Ok(html) => html,
        Err(err) => panic!("{id} failed to render: {err}"),
    }
}

/// Copies a theme directory (e.g. a fixture into a temporary directory to edit it).
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read fixture").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}
