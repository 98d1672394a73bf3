//! The demo catalog in `data/` holds the fixtures that the rest of the test suite (and the
//! documentation's own request examples) rely on. This test reads every data file straight into
//! the `vitrine::catalog` types and checks each fixture of `DEMO-CATALOG.md`, plus the integrity
//! rules a store owner could break while extending the catalog.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use vitrine::catalog::{
    Blog, Catalog, Collection, Content, DiscountCode, DiscountValue, Image, Menu, MenuLink, Page,
    PriceAdjustment, Product, SellingPlan, ShippingZone, Shop, VariantRef,
};

const DATA_FILES: [&str; 9] = [
    "shop.json",
    "products.json",
    "collections.json",
    "selling_plans.json",
    "discounts.json",
    "shipping_rates.json",
    "menus.json",
    "pages.json",
    "blogs.json",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(name: &str) -> String {
    let path = root().join("data").join(name);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn load<T: DeserializeOwned>(name: &str) -> T {
    serde_json::from_str(&read(name)).unwrap_or_else(|e| panic!("parsing data/{name}: {e}"))
}

fn catalog() -> Catalog {
    Catalog::new(
        load::<Shop>("shop.json"),
        load::<Vec<Product>>("products.json"),
        load::<Vec<Collection>>("collections.json"),
        load::<Vec<SellingPlan>>("selling_plans.json"),
        load::<Vec<DiscountCode>>("discounts.json"),
        load::<Vec<ShippingZone>>("shipping_rates.json"),
    )
    .with_content(Content {
        menus: load::<Vec<Menu>>("menus.json"),
        pages: load::<Vec<Page>>("pages.json"),
        blogs: load::<Vec<Blog>>("blogs.json"),
    })
}

fn variant(catalog: &Catalog, id: i64) -> VariantRef<'_> {
    catalog
        .variant(id)
        .unwrap_or_else(|| panic!("variant {id} is missing from data/products.json"))
}

/// The postal-code shapes of `ShippingZone::zip_format`: `A` a letter, `9` a digit, spaces optional.
fn zip_matches(format: &str, zip: &str) -> bool {
    if format.is_empty() {
        return true;
    }
    let shape: Vec<char> = format.chars().filter(|c| !c.is_whitespace()).collect();
    let zip: Vec<char> = zip.chars().filter(|c| !c.is_whitespace()).collect();
    shape.len() == zip.len()
        && shape.iter().zip(&zip).all(|(s, z)| match s {
            'A' => z.is_ascii_alphabetic(),
            '9' => z.is_ascii_digit(),
            other => other.eq_ignore_ascii_case(z),
        })
}

fn shipping_rates_for(
    catalog: &Catalog,
    country: &str,
    province: &str,
    zip: &str,
) -> Vec<(String, i64)> {
    let zone = catalog
        .shipping_zones
        .iter()
        .find(|z| {
            z.countries.iter().any(|c| c.eq_ignore_ascii_case(country))
                && (z.provinces.is_empty()
                    || z.provinces.iter().any(|p| p.eq_ignore_ascii_case(province)))
                && zip_matches(&z.zip_format, zip)
        })
        .unwrap_or_else(|| panic!("no shipping zone for {country} / {province} / {zip}"));
    zone.rates
        .iter()
        .map(|r| (r.name.clone(), r.price))
        .collect()
}

#[test]
fn every_data_file_parses_and_is_pretty_printed() {
    for name in DATA_FILES {
        let text = read(name);
        let value: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("data/{name}: {e}"));
        let pretty = serde_json::to_string_pretty(&value).unwrap() + "\n";
        assert_eq!(
            text, pretty,
            "data/{name} should be pretty-printed JSON with a 2-space indent"
        );
    }
    // And every file deserializes into its catalog type.
    let _ = catalog();
}

#[test]
fn shop_settings() {
    let catalog = catalog();
    let shop = catalog.shop();
    assert!(!shop.name.is_empty());
    assert_eq!(shop.currency, "CAD");
    assert_eq!(shop.currency_symbol, "$");
    assert_eq!(shop.money_format, "${{amount}}");
    assert_eq!(shop.money_with_currency_format, "${{amount}} CAD");
    assert_eq!(shop.primary_locale, "en");
    assert_eq!(shop.locales, ["en", "fr"]);
}

#[test]
fn red_rain_coat() {
    let catalog = catalog();
    let red = variant(&catalog, 794864229);
    let product = red.product;
    assert_eq!(product.handle, "red-rain-coat");
    assert_eq!(product.title, "Red Rain Coat");
    assert_eq!(product.vendor, "Shopify");
    assert_eq!(product.product_type, "Coat");
    assert_eq!(
        product.description,
        "A bright red rain coat for rainy days!"
    );
    assert_eq!(product.options, ["Color"]);
    assert!(!product.gift_card);
    assert_eq!(product.selling_plan_ids, [183638]);
    assert_eq!(product.images[0].alt, "Red rain coat with a hood");
    assert_eq!(product.images[0].aspect_ratio(), 1.0);

    assert_eq!(red.variant.title, "Red");
    assert_eq!(red.variant.options, ["Red"]);
    assert_eq!(red.variant.price, 12900);
    assert_eq!(red.variant.inventory, Some(100));
    assert!(red.variant.requires_shipping);
    assert_eq!(product.line_title(red.variant), "Red Rain Coat - Red");

    let small = variant(&catalog, 36110175633573);
    assert_eq!(small.product.handle, "red-rain-coat");
    assert_eq!(small.variant.title, "Small");
    assert_eq!(small.variant.options, ["Small"]);
    assert_eq!(small.variant.price, 12900);
    assert_eq!(small.variant.inventory, Some(100));
    assert_eq!(
        small.product.line_title(small.variant),
        "Red Rain Coat - Small"
    );
}

#[test]
fn monthly_selling_plan_183638() {
    let catalog = catalog();
    let plan = catalog.selling_plan(183638).expect("selling plan 183638");
    assert_eq!(
        plan.name,
        "Pay every month, delivery every month | save 20%"
    );
    assert_eq!(
        plan.description,
        "No commitment · Auto-renews · Skip or cancel anytime"
    );
    let options: Vec<(&str, u32, &str)> = plan
        .options
        .iter()
        .map(|o| (o.name.as_str(), o.position, o.value.as_str()))
        .collect();
    assert_eq!(
        options,
        [
            ("Delivery Frequency", 1, "Month"),
            ("Billing Frequency", 2, "Month")
        ]
    );
    assert!(plan.recurring_deliveries);
    assert_eq!(plan.price_adjustment, PriceAdjustment::Percentage(20));
    let coat = variant(&catalog, 794864229);
    assert_eq!(plan.price_adjustment.apply(coat.variant.price), 10320);
}

#[test]
fn great_granola_bar() {
    let catalog = catalog();
    let bar = variant(&catalog, 36323170943141);
    let product = bar.product;
    assert_eq!(product.id, 5680114172069);
    assert_eq!(product.handle, "great-granola-bar");
    assert_eq!(product.title, "Great Granola Bar");
    assert_eq!(
        product.description,
        "The great granola bar, everyone has been talking about it. Subscribe when you can!"
    );
    assert!(product.has_only_default_variant());
    assert_eq!(product.options, ["Title"]);
    assert_eq!(bar.variant.title, "Default Title");
    assert_eq!(bar.variant.options, ["Default Title"]);
    assert_eq!(bar.variant.price, 2000);
    assert_eq!(bar.variant.inventory, Some(100));
    assert_eq!(product.line_title(bar.variant), "Great Granola Bar");
    assert_eq!(product.selling_plan_ids, [6717605]);

    let plan = catalog.selling_plan(6717605).expect("selling plan 6717605");
    assert!(plan.recurring_deliveries);
    assert_eq!(plan.price_adjustment, PriceAdjustment::Percentage(15));
    assert_eq!(plan.price_adjustment.apply(bar.variant.price), 1700);
}

#[test]
fn health_potion() {
    let catalog = catalog();
    let potion = variant(&catalog, 39897499729985);
    let product = potion.product;
    assert_eq!(product.id, 6786188247105);
    assert_eq!(product.handle, "health-potion");
    assert_eq!(product.title, "Health potion");
    assert_eq!(product.vendor, "Polina's Potent Potions");
    assert_eq!(product.options, ["Size", "Strength"]);
    assert!(!product.has_only_default_variant());
    assert_eq!(potion.variant.title, "S / Low");
    assert_eq!(potion.variant.options, ["S", "Low"]);
    assert_eq!(potion.variant.price, 900);
    assert_eq!(potion.variant.grams, 500);
    assert_eq!(potion.variant.inventory, Some(100));
    assert_eq!(
        product.line_title(potion.variant),
        "Health potion - S / Low"
    );
}

#[test]
fn update_js_example_variants() {
    let catalog = catalog();
    for id in [794864053, 794864233] {
        let v = variant(&catalog, id);
        assert_eq!(v.variant.inventory, Some(100), "stock of {id}");
        assert!(v.variant.available());
        assert!(v.variant.price > 0);
        assert_ne!(v.product.handle, "red-rain-coat");
    }
    assert_ne!(
        variant(&catalog, 794864053).product.handle,
        variant(&catalog, 794864233).product.handle
    );
}

#[test]
fn limited_edition_print() {
    let catalog = catalog();
    let print = variant(&catalog, 40000000000010);
    assert_eq!(print.product.handle, "limited-edition-print");
    assert_eq!(print.product.title, "Limited Edition Print");
    assert!(print.product.has_only_default_variant());
    assert_eq!(print.variant.price, 5000);
    assert_eq!(print.variant.inventory, Some(10));
    assert!(print.variant.available());
}

#[test]
fn sold_out_scarf() {
    let catalog = catalog();
    let scarf = variant(&catalog, 40000000000000);
    assert_eq!(scarf.product.handle, "sold-out-scarf");
    assert_eq!(scarf.product.title, "Sold Out Scarf");
    assert!(scarf.product.has_only_default_variant());
    assert_eq!(scarf.variant.price, 3500);
    assert_eq!(scarf.variant.inventory, Some(0));
    assert!(!scarf.variant.available());
}

#[test]
fn digital_gift_card() {
    let catalog = catalog();
    let card = variant(&catalog, 40000000000020);
    assert_eq!(card.product.handle, "digital-gift-card");
    assert_eq!(card.product.title, "Digital Gift Card");
    assert!(card.product.gift_card);
    assert_eq!(card.variant.title, "$25");
    assert_eq!(card.variant.price, 2500);
    assert_eq!(card.variant.inventory, None);
    assert!(card.variant.available());
    assert!(!card.variant.requires_shipping);
    // Every denomination is a gift card: untracked and not shipped.
    for v in &card.product.variants {
        assert_eq!(v.inventory, None, "{}", v.title);
        assert!(!v.requires_shipping, "{}", v.title);
    }
    // No other product claims to be a gift card.
    let gift_cards: Vec<&str> = catalog
        .products
        .iter()
        .filter(|p| p.gift_card)
        .map(|p| p.handle.as_str())
        .collect();
    assert_eq!(gift_cards, ["digital-gift-card"]);
}

#[test]
fn discount_codes() {
    let catalog = catalog();
    let welcome = catalog.discount("WELCOME10").expect("WELCOME10");
    assert_eq!(welcome.value, DiscountValue::Percentage(10));
    assert!(!welcome.description.is_empty());
    let five = catalog.discount("FIVEOFF").expect("FIVEOFF");
    assert_eq!(five.value, DiscountValue::FixedAmount(500));
    assert!(!five.description.is_empty());
    // Codes are matched case-insensitively; an unknown code is simply not in the table.
    assert_eq!(
        catalog.discount(" welcome10 ").map(|d| d.code.as_str()),
        Some("WELCOME10")
    );
    assert!(catalog.discount("NOSUCHCODE").is_none());
}

#[test]
fn shipping_rates_for_ontario() {
    let catalog = catalog();
    let expected = [
        ("Ground Shipping".to_string(), 800),
        ("Expedited Shipping".to_string(), 1500),
        ("Express Shipping".to_string(), 3000),
    ];
    assert_eq!(
        shipping_rates_for(&catalog, "Canada", "Ontario", "K1N 5T2"),
        expected
    );
    // The same zone answers to ISO codes and a postal code without its space.
    assert_eq!(shipping_rates_for(&catalog, "CA", "ON", "K1N5T2"), expected);

    let canada = catalog
        .shipping_zones
        .iter()
        .find(|z| z.countries.iter().any(|c| c == "Canada"))
        .expect("a Canada zone");
    for code in [
        "AB", "BC", "MB", "NB", "NL", "NT", "NS", "NU", "ON", "PE", "QC", "SK", "YT",
    ] {
        assert!(
            canada.provinces.iter().any(|p| p == code),
            "Canada zone lacks {code}"
        );
    }
    for rate in &canada.rates {
        assert_eq!(rate.delivery_days.len(), 2, "{}", rate.name);
        assert!(
            rate.delivery_days[0] <= rate.delivery_days[1],
            "{}",
            rate.name
        );
    }
    assert!(!zip_matches(&canada.zip_format, "90210"));

    let us = shipping_rates_for(&catalog, "United States", "California", "90210");
    assert!(!us.is_empty());
}

#[test]
fn variants_have_unique_ids_skus_and_uuids() {
    let catalog = catalog();
    let mut ids = HashSet::new();
    let mut skus = HashSet::new();
    let mut uuids = HashSet::new();
    for product in &catalog.products {
        for v in &product.variants {
            assert!(ids.insert(v.id), "duplicate variant id {}", v.id);
            assert!(!v.sku.trim().is_empty(), "variant {} has no SKU", v.id);
            assert!(skus.insert(v.sku.to_lowercase()), "duplicate SKU {}", v.sku);
            assert!(!v.uuid.is_nil(), "variant {} has a nil UUID", v.id);
            assert!(uuids.insert(v.uuid), "duplicate UUID {}", v.uuid);
            // The indexes answer for each of them.
            assert_eq!(catalog.variant_by_uuid(v.uuid).unwrap().variant.id, v.id);
            assert_eq!(catalog.variant_by_sku(&v.sku).unwrap().variant.id, v.id);
        }
    }
}

#[test]
fn products_are_well_formed() {
    let catalog = catalog();
    assert!(
        catalog.products.len() >= 12,
        "only {} products",
        catalog.products.len()
    );
    let mut handles = HashSet::new();
    let mut product_ids = HashSet::new();
    for p in &catalog.products {
        assert!(
            handles.insert(p.handle.as_str()),
            "duplicate handle {}",
            p.handle
        );
        assert!(product_ids.insert(p.id), "duplicate product id {}", p.id);
        assert!(
            p.handle
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "handle {:?}",
            p.handle
        );
        assert_eq!(catalog.product_by_id(p.id).unwrap().handle, p.handle);
        assert!(!p.title.is_empty());
        assert!(!p.variants.is_empty(), "{} has no variants", p.handle);
        assert!(
            (1..=3).contains(&p.options.len()),
            "{}: 1 to 3 options",
            p.handle
        );
        assert!(
            (1..=2).contains(&p.images.len()),
            "{}: 1 or 2 images",
            p.handle
        );
        for date in [&p.published_at, &p.created_at] {
            chrono::DateTime::parse_from_rfc3339(date)
                .unwrap_or_else(|e| panic!("{}: {date:?} is not RFC 3339: {e}", p.handle));
        }
        for plan in &p.selling_plan_ids {
            assert!(
                catalog.selling_plan(*plan).is_some(),
                "{}: unknown selling plan {plan}",
                p.handle
            );
        }
        if p.options == ["Title"] {
            assert!(p.has_only_default_variant(), "{}", p.handle);
        }
        let mut titles = HashSet::new();
        for v in &p.variants {
            assert_eq!(
                v.options.len(),
                p.options.len(),
                "{} variant {}: one value per option",
                p.handle,
                v.id
            );
            assert_eq!(
                v.title,
                v.options.join(" / "),
                "{} variant {}",
                p.handle,
                v.id
            );
            assert!(
                titles.insert(v.title.as_str()),
                "{}: two variants titled {}",
                p.handle,
                v.title
            );
            assert!(v.price > 0, "{} variant {}", p.handle, v.id);
            if let Some(compare_at) = v.compare_at_price {
                assert!(compare_at > v.price, "{} variant {}", p.handle, v.id);
            }
            assert!(v.grams >= 0);
            assert!(v.inventory.is_none_or(|n| n >= 0));
            if let Some(i) = v.image {
                assert!(
                    i < p.images.len(),
                    "{} variant {}: image {i}",
                    p.handle,
                    v.id
                );
            }
        }
    }
    // The catalog shows the storefront's variety: multi-variant products with price ranges,
    // something on sale.
    assert!(catalog.products.iter().any(|p| {
        let first = p.variants[0].price;
        p.variants.iter().any(|v| v.price != first)
    }));
    assert!(
        catalog
            .products
            .iter()
            .flat_map(|p| &p.variants)
            .any(|v| v.compare_at_price.is_some())
    );
}

/// Reads `width="W"` / `height="H"` from an SVG's root element.
fn svg_attr(svg: &str, name: &str) -> Option<u32> {
    let root = &svg[svg.find("<svg")?..];
    let root = &root[..root.find('>')?];
    let start = root.find(&format!(" {name}=\""))? + name.len() + 3;
    root[start..].split('"').next()?.parse().ok()
}

fn check_image(image: &Image, owner: &str) {
    assert!(
        image.src.starts_with("/static/"),
        "{owner}: {} is not under /static/",
        image.src
    );
    assert!(
        !image.alt.is_empty(),
        "{owner}: {} has no alt text",
        image.src
    );
    let path = root().join(image.src.trim_start_matches('/'));
    assert!(path.is_file(), "{owner}: {} does not exist", path.display());
    if image.src.ends_with(".svg") {
        let svg = fs::read_to_string(&path).unwrap();
        assert_eq!(
            svg_attr(&svg, "width"),
            Some(image.width),
            "{owner}: width of {}",
            image.src
        );
        assert_eq!(
            svg_attr(&svg, "height"),
            Some(image.height),
            "{owner}: height of {}",
            image.src
        );
        assert!(
            svg.contains(&format!("viewBox=\"0 0 {} {}\"", image.width, image.height)),
            "{owner}: viewBox of {}",
            image.src
        );
    }
}

#[test]
fn every_referenced_image_exists() {
    let catalog = catalog();
    for p in &catalog.products {
        for image in &p.images {
            check_image(image, &p.handle);
        }
    }
    for c in &catalog.collections {
        if let Some(image) = &c.image {
            check_image(image, &c.handle);
        }
    }
    assert!(Path::new(&root().join("static/hero.svg")).is_file());
}

#[test]
fn collections_are_well_formed() {
    let catalog = catalog();
    let themed: Vec<&Collection> = catalog
        .collections
        .iter()
        .filter(|c| c.handle != "frontpage")
        .collect();
    assert!(themed.len() >= 3, "only {} collections", themed.len());
    assert!(catalog.collection("frontpage").is_some(), "no frontpage");
    assert!(
        catalog.collection("all").is_none(),
        "\"all\" is automatic, not a data collection"
    );
    let mut handles = HashSet::new();
    for c in &catalog.collections {
        assert!(
            handles.insert(c.handle.as_str()),
            "duplicate collection {}",
            c.handle
        );
        assert!(!c.title.is_empty());
        assert!(!c.products.is_empty(), "{} is empty", c.handle);
        for handle in &c.products {
            assert!(
                catalog.product(handle).is_some(),
                "collection {} lists unknown product {handle}",
                c.handle
            );
        }
        assert_eq!(
            catalog.collection_products(&c.handle).unwrap().len(),
            c.products.len()
        );
    }
    // Every product can be reached from a themed collection.
    for p in &catalog.products {
        assert!(
            themed.iter().any(|c| c.products.contains(&p.handle)),
            "{} is in no collection",
            p.handle
        );
    }
    assert_eq!(
        catalog.collection_products("all").unwrap().len(),
        catalog.products.len()
    );
}

/// Every menu link inside the shop leads to something the catalog has, at every level.
fn check_links(catalog: &Catalog, links: &[MenuLink]) {
    for link in links {
        let path = link.url.as_str();
        let ok = match path
            .trim_start_matches('/')
            .split('/')
            .collect::<Vec<_>>()
            .as_slice()
        {
            [""] | ["search"] | ["collections"] => true,
            ["collections", "all"] => true,
            ["collections", handle] => catalog.collection(handle).is_some(),
            ["products", handle] => catalog.product(handle).is_some(),
            ["pages", handle] => catalog.content.page(handle).is_some(),
            ["blogs", handle] => catalog.content.blog(handle).is_some(),
            _ => !path.starts_with('/'),
        };
        assert!(ok, "menu link {:?} leads nowhere", link.url);
        if let Some(object) = &link.object {
            assert!(
                path.ends_with(object.as_str()),
                "{} names {object}",
                link.url
            );
        }
        check_links(catalog, &link.links);
    }
}

#[test]
fn menus_pages_and_blogs_fit_together() {
    let catalog = catalog();
    let content = &catalog.content;
    for handle in ["main-menu", "footer"] {
        let menu = content
            .menu(handle)
            .unwrap_or_else(|| panic!("menu {handle}"));
        assert!(!menu.links.is_empty(), "{handle} has links");
        check_links(&catalog, &menu.links);
    }
    for handle in ["about", "contact"] {
        let page = content
            .page(handle)
            .unwrap_or_else(|| panic!("page {handle}"));
        assert!(page.body.starts_with('<'), "{handle}: HTML body");
    }
    let news = content.blog("news").expect("blog news");
    assert!(news.articles.len() >= 3);
    let mut handles = HashSet::new();
    for article in &news.articles {
        assert!(
            handles.insert(article.handle.as_str()),
            "{} twice",
            article.handle
        );
        assert!(!article.content.is_empty() && !article.author.is_empty());
        if let Some(image) = &article.image {
            let file = root().join(image.src.trim_start_matches('/'));
            assert!(file.is_file(), "{} has no file", image.src);
        }
    }
}
