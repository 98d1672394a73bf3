use chrono::Utc;
use indexmap::IndexMap;
use serde_json::json;
use uuid::Uuid;

use super::commands::{ChangeRequest, StockPolicy};
use super::*;
use crate::catalog::*;

fn variant(id: i64, title: &str, price: i64, inventory: Option<i64>) -> Variant {
    Variant {
        id,
        uuid: Uuid::new_v4(),
        title: title.into(),
        options: vec![title.into()],
        sku: format!("SKU-{id}"),
        price,
        compare_at_price: None,
        grams: 100,
        inventory,
        requires_shipping: true,
        taxable: true,
        barcode: String::new(),
        image: None,
    }
}

fn product(id: i64, handle: &str, title: &str, variants: Vec<Variant>, plans: Vec<i64>) -> Product {
    Product {
        id,
        handle: handle.into(),
        title: title.into(),
        description: String::new(),
        vendor: "Test".into(),
        product_type: String::new(),
        tags: vec![],
        published_at: String::new(),
        created_at: String::new(),
        options: vec!["Title".into()],
        images: vec![],
        selling_plan_ids: plans,
        gift_card: false,
        variants,
    }
}

pub(crate) fn test_catalog() -> Catalog {
    let shop = Shop {
        name: "Test".into(),
        description: String::new(),
        currency: "CAD".into(),
        currency_symbol: "$".into(),
        money_format: "${{amount}}".into(),
        money_with_currency_format: "${{amount}} CAD".into(),
        primary_locale: "en".into(),
        locales: vec!["en".into()],
        country_code: None,
    };
    let products = vec![
        product(
            1,
            "coat",
            "Coat",
            vec![
                variant(11, "Red", 12900, Some(100)),
                variant(12, "Blue", 12900, Some(100)),
            ],
            vec![7],
        ),
        product(
            2,
            "print",
            "Print",
            vec![variant(21, "Default Title", 5000, Some(10))],
            vec![],
        ),
        product(
            3,
            "scarf",
            "Scarf",
            vec![variant(31, "Default Title", 3500, Some(0))],
            vec![],
        ),
        Product {
            gift_card: true,
            ..product(
                4,
                "card",
                "Card",
                vec![variant(41, "Default Title", 2500, None)],
                vec![],
            )
        },
    ];
    let plans = vec![SellingPlan {
        id: 7,
        name: "Monthly".into(),
        description: String::new(),
        options: vec![],
        recurring_deliveries: true,
        price_adjustment: PriceAdjustment::Percentage(20),
    }];
    let discounts = vec![
        DiscountCode {
            code: "WELCOME10".into(),
            description: String::new(),
            value: DiscountValue::Percentage(10),
        },
        DiscountCode {
            code: "FIVEOFF".into(),
            description: String::new(),
            value: DiscountValue::FixedAmount(500),
        },
    ];
    Catalog::new(shop, products, vec![], plans, discounts, vec![])
}

fn cart() -> Cart {
    Cart::new(new_token(), "CAD", Utc::now())
}

fn item(variant_id: i64, quantity: i64) -> AddItem {
    AddItem {
        variant_id,
        quantity,
        ..Default::default()
    }
}

#[test]
fn same_variant_and_properties_merge_and_different_ones_split() {
    let catalog = test_catalog();
    let mut cart = cart();
    cart.add(
        &catalog,
        vec![item(11, 1), item(11, 2)],
        StockPolicy::Clamp,
        Utc::now(),
    )
    .unwrap();
    assert_eq!(cart.lines.len(), 1);
    assert_eq!(cart.lines[0].quantity, 3);
    let mut with_props = item(11, 1);
    with_props
        .properties
        .insert("First name".into(), json!("Caroline"));
    let mut with_plan = item(11, 1);
    with_plan.selling_plan = Some(7);
    cart.add(
        &catalog,
        vec![with_props, with_plan],
        StockPolicy::Clamp,
        Utc::now(),
    )
    .unwrap();
    assert_eq!(cart.lines.len(), 3);
    let keys: Vec<String> = cart.lines.iter().map(|l| l.key()).collect();
    assert!(
        keys.iter()
            .all(|k| k.starts_with("11:") && k.len() == 3 + 32)
    );
    assert_ne!(keys[0], keys[1]);
}

#[test]
fn key_ignores_quantity_and_property_order_but_not_content() {
    let catalog = test_catalog();
    let mut a = cart();
    let mut first = item(11, 1);
    first.properties.insert("a".into(), json!("1"));
    first.properties.insert("b".into(), json!("2"));
    a.add(&catalog, vec![first], StockPolicy::Clamp, Utc::now())
        .unwrap();
    let key = a.lines[0].key();
    a.lines[0].quantity = 5;
    assert_eq!(a.lines[0].key(), key);
    let mut reordered = IndexMap::new();
    reordered.insert("b".to_string(), json!("2"));
    reordered.insert("a".to_string(), json!("1"));
    a.lines[0].properties = reordered;
    assert_eq!(a.lines[0].key(), key);
    a.lines[0].properties.insert("c".into(), json!("3"));
    assert_ne!(a.lines[0].key(), key);
}

#[test]
fn over_stock_adds_the_maximum_and_reports() {
    let catalog = test_catalog();
    let mut cart = cart();
    let outcome = cart
        .add(&catalog, vec![item(21, 20)], StockPolicy::Clamp, Utc::now())
        .unwrap();
    assert_eq!(cart.lines[0].quantity, 10);
    assert_eq!(
        outcome.stock_error,
        Some(CartError::NotEnoughStock("Print".into()))
    );
    let before = cart.clone();
    let err = cart
        .add(&catalog, vec![item(21, 1)], StockPolicy::Clamp, Utc::now())
        .unwrap_err();
    assert_eq!(err.to_string(), "You can't add more Print to the cart.");
    assert_eq!(cart, before);
    let err = cart
        .add(&catalog, vec![item(31, 1)], StockPolicy::Clamp, Utc::now())
        .unwrap_err();
    assert_eq!(err.to_string(), "The product 'Scarf' is already sold out.");
}

#[test]
fn sold_out_in_a_batch_refuses_the_whole_batch() {
    let catalog = test_catalog();
    let mut cart = cart();
    let err = cart
        .add(
            &catalog,
            vec![item(11, 1), item(31, 1)],
            StockPolicy::Clamp,
            Utc::now(),
        )
        .unwrap_err();
    assert_eq!(err, CartError::SoldOut("Scarf".into()));
    assert!(cart.lines.is_empty());
    // Over-stock next to a good item is the clamp: both go in, with the warning.
    let outcome = cart
        .add(
            &catalog,
            vec![item(11, 1), item(21, 20)],
            StockPolicy::Clamp,
            Utc::now(),
        )
        .unwrap();
    assert_eq!(cart.lines.len(), 2);
    assert_eq!(cart.lines[1].quantity, 10);
    assert!(outcome.stock_error.is_some());
}

#[test]
fn refuse_policy_changes_nothing() {
    let catalog = test_catalog();
    let mut cart = cart();
    let err = cart
        .add(
            &catalog,
            vec![item(21, 11)],
            StockPolicy::Refuse,
            Utc::now(),
        )
        .unwrap_err();
    assert!(err.is_stock());
    assert!(cart.lines.is_empty());
}

#[test]
fn unknown_variant_changes_nothing() {
    let catalog = test_catalog();
    let mut cart = cart();
    let err = cart
        .add(
            &catalog,
            vec![item(11, 1), item(999, 1)],
            StockPolicy::Clamp,
            Utc::now(),
        )
        .unwrap_err();
    assert_eq!(err, CartError::VariantNotFound);
}

#[test]
fn change_clamps_and_finds_lines_three_ways() {
    let catalog = test_catalog();
    let mut cart = cart();
    cart.add(
        &catalog,
        vec![item(11, 1), item(21, 1)],
        StockPolicy::Clamp,
        Utc::now(),
    )
    .unwrap();
    let key = cart.lines[0].key();
    cart.change(
        &catalog,
        ChangeTarget::Key(key),
        ChangeRequest {
            quantity: Some(4),
            ..Default::default()
        },
        Utc::now(),
    )
    .unwrap();
    assert_eq!(cart.lines[0].quantity, 4);
    let warning = cart
        .change(
            &catalog,
            ChangeTarget::VariantId(21),
            ChangeRequest {
                quantity: Some(50),
                ..Default::default()
            },
            Utc::now(),
        )
        .unwrap();
    assert!(warning.is_some());
    assert_eq!(cart.lines[1].quantity, 10);
    cart.change(
        &catalog,
        ChangeTarget::Line(1),
        ChangeRequest {
            quantity: Some(0),
            ..Default::default()
        },
        Utc::now(),
    )
    .unwrap();
    assert_eq!(cart.lines.len(), 1);
    let err = cart
        .change(
            &catalog,
            ChangeTarget::Line(9),
            ChangeRequest::default(),
            Utc::now(),
        )
        .unwrap_err();
    assert_eq!(err, CartError::LineNotFound);
}

#[test]
fn update_adds_missing_variants_and_removes_zeroes() {
    let catalog = test_catalog();
    let mut cart = cart();
    cart.add(&catalog, vec![item(11, 1)], StockPolicy::Clamp, Utc::now())
        .unwrap();
    let request = UpdateRequest {
        updates: Some(LineUpdates::ByIdOrKey(vec![
            ("11".into(), 0),
            ("12".into(), 3),
        ])),
        note: Some("hi".into()),
        attributes: Some(IndexMap::from([(
            "Gift wrap".to_string(),
            "Yes".to_string(),
        )])),
        discount: Some("WELCOME10, nope".into()),
    };
    cart.update(&catalog, request, Utc::now()).unwrap();
    assert_eq!(cart.lines.len(), 1);
    assert_eq!(cart.lines[0].variant_id(), Some(12));
    assert_eq!(cart.lines[0].quantity, 3);
    assert_eq!(cart.discount_codes, vec!["WELCOME10", "nope"]);
    let err = cart
        .update(
            &catalog,
            UpdateRequest {
                updates: Some(LineUpdates::ByIdOrKey(vec![("404".into(), 1)])),
                ..Default::default()
            },
            Utc::now(),
        )
        .unwrap_err();
    assert_eq!(err, CartError::VariantNotFound);
}

#[test]
fn totals_are_consistent_with_codes_and_plans() {
    let catalog = test_catalog();
    let mut cart = cart();
    let mut planned = item(11, 1);
    planned.selling_plan = Some(7);
    cart.add(
        &catalog,
        vec![planned, item(21, 3), item(41, 1)],
        StockPolicy::Clamp,
        Utc::now(),
    )
    .unwrap();
    cart.discount_codes = vec!["WELCOME10".into(), "FIVEOFF".into(), "BOGUS".into()];
    let priced = pricing::price(&cart, &catalog);
    assert_eq!(priced.lines[0].price, 10320);
    assert_eq!(priced.items_subtotal_price, 10320 + 15000 + 2500);
    // Gift cards are not discounted: 10% of 25320 = 2532, then 500.
    assert_eq!(priced.applications[0].total_allocated_amount, 2532);
    assert_eq!(priced.applications[1].total_allocated_amount, 500);
    assert_eq!(priced.total_price, priced.items_subtotal_price - 3032);
    assert_eq!(
        priced.total_discount,
        priced.original_total_price - priced.total_price
    );
    let allocated: i64 = priced.lines.iter().map(|l| l.allocated_discount()).sum();
    assert_eq!(allocated, priced.total_discount);
    assert_eq!(priced.lines[2].allocated_discount(), 0);
    assert!(!priced.codes[2].applicable);
}

#[test]
fn version_check() {
    let mut cart = cart();
    assert!(cart.check_version(None).is_ok());
    assert!(cart.check_version(Some(0)).is_ok());
    cart.bump(Utc::now());
    assert!(matches!(
        cart.check_version(Some(0)),
        Err(CartError::VersionConflict {
            given: 0,
            current: 1
        })
    ));
}

#[test]
fn limit_refusals_read_as_before() {
    use super::limits::LIMITS;
    // BigCommerce and Elastic Path answer with these texts as they are.
    let note = "x".repeat(5_001);
    assert_eq!(
        LIMITS.note(&note).map_err(|e| e.to_string()),
        Err("Note is too long (at most 5000 characters).".to_string())
    );
    let attributes: IndexMap<String, String> =
        (0..101).map(|i| (format!("a{i}"), String::new())).collect();
    assert_eq!(
        LIMITS.attributes(&attributes).map_err(|e| e.to_string()),
        Err("A cart can have at most 100 attributes.".to_string())
    );
    let properties: IndexMap<String, serde_json::Value> =
        [("p".to_string(), json!("v".repeat(5_001)))]
            .into_iter()
            .collect();
    assert_eq!(
        LIMITS.properties(&properties).map_err(|e| e.to_string()),
        Err("A property value is too long (at most 5000 characters).".to_string())
    );
    assert_eq!(
        CartError::TooManyDiscountCodes(10).to_string(),
        "At most 10 discount codes can be applied."
    );
    assert_eq!(
        CartError::SellingPlanOnCustomItem.to_string(),
        "Only catalog items can have a selling plan."
    );
    assert_eq!(
        CartError::NegativePrice.to_string(),
        "A price cannot be negative."
    );
}
