//! Prices and totals, computed from a cart and the catalog on every read so they can never drift.
//!
//! The rules: a line's unit price is the variant price (or a list-price override), adjusted by its
//! selling plan. Discount codes apply to the order, in the order they were entered, on what is left
//! of the subtotal; gift cards are never discounted. Each code's amount is allocated over the
//! eligible lines in proportion to their price (largest remainder), so allocations always add up.
//! `total_discount == original_total_price - total_price` holds for every cart.

use crate::catalog::{Catalog, DiscountValue, Image, Product, SellingPlan, Variant};

use super::{Cart, Line, LineItem};

/// A discount code the cart carries, and whether it applies.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeStatus {
    pub code: String,
    pub applicable: bool,
}

/// A discount applied to the whole order.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscountApplication {
    pub code: String,
    pub title: String,
    pub description: String,
    pub value: DiscountValue,
    pub total_allocated_amount: i64,
}

#[derive(Debug, Clone)]
pub struct PricedLine<'a> {
    pub line: &'a Line,
    /// Set for catalog lines.
    pub product: Option<&'a Product>,
    pub variant: Option<&'a Variant>,
    pub selling_plan: Option<&'a SellingPlan>,
    pub title: String,
    /// Unit price before any selling plan: the compare-at price of a selling plan allocation.
    pub base_price: i64,
    /// Unit price after the selling plan.
    pub price: i64,
    pub line_price: i64,
    /// (index into `PricedCart::applications`, amount) for each order discount on this line.
    pub allocations: Vec<(usize, i64)>,
    pub grams: i64,
    pub requires_shipping: bool,
    pub gift_card: bool,
    pub sku: String,
    pub image: Option<&'a Image>,
}

impl PricedLine<'_> {
    pub fn allocated_discount(&self) -> i64 {
        self.allocations.iter().map(|(_, a)| a).sum()
    }
}

#[derive(Debug, Clone)]
pub struct PricedCart<'a> {
    pub cart: &'a Cart,
    pub lines: Vec<PricedLine<'a>>,
    pub original_total_price: i64,
    pub items_subtotal_price: i64,
    pub total_price: i64,
    pub total_discount: i64,
    pub total_weight: i64,
    pub item_count: i64,
    pub requires_shipping: bool,
    pub applications: Vec<DiscountApplication>,
    pub codes: Vec<CodeStatus>,
}

pub fn price<'a>(cart: &'a Cart, catalog: &'a Catalog) -> PricedCart<'a> {
    let mut lines: Vec<PricedLine<'a>> = cart
        .lines
        .iter()
        .filter_map(|line| price_line(line, catalog))
        .collect();
    let items_subtotal_price: i64 = lines.iter().map(|l| l.line_price).sum();
    let (applications, codes) = apply_codes(cart, catalog, &mut lines);
    let order_discount: i64 = applications.iter().map(|a| a.total_allocated_amount).sum();
    let total_price = items_subtotal_price - order_discount;
    PricedCart {
        cart,
        original_total_price: items_subtotal_price,
        items_subtotal_price,
        total_price,
        total_discount: order_discount,
        total_weight: lines.iter().map(|l| l.grams * l.line.quantity).sum(),
        item_count: lines.iter().map(|l| l.line.quantity).sum(),
        requires_shipping: lines.iter().any(|l| l.requires_shipping),
        lines,
        applications,
        codes,
    }
}

fn price_line<'a>(line: &'a Line, catalog: &'a Catalog) -> Option<PricedLine<'a>> {
    let priced = match &line.item {
        LineItem::Variant {
            variant_id,
            selling_plan,
            ..
        } => {
            let found = catalog.variant(*variant_id)?;
            let plan = selling_plan.and_then(|id| catalog.selling_plan(id));
            let base_price = line.price_override.unwrap_or(found.variant.price);
            let price = plan.map_or(base_price, |p| p.price_adjustment.apply(base_price));
            PricedLine {
                line,
                product: Some(found.product),
                variant: Some(found.variant),
                selling_plan: plan,
                title: found.product.line_title(found.variant),
                base_price,
                price,
                line_price: 0,
                allocations: Vec::new(),
                grams: found.variant.grams,
                requires_shipping: found.variant.requires_shipping,
                gift_card: found.product.gift_card,
                sku: found.variant.sku.clone(),
                image: found.product.variant_image(found.variant),
            }
        }
        LineItem::Custom {
            sku,
            name,
            price,
            requires_shipping,
            ..
        } => {
            let price = line.price_override.unwrap_or(*price);
            PricedLine {
                line,
                product: None,
                variant: None,
                selling_plan: None,
                title: name.clone(),
                base_price: price,
                price,
                line_price: 0,
                allocations: Vec::new(),
                grams: 0,
                requires_shipping: *requires_shipping,
                gift_card: false,
                sku: sku.clone(),
                image: None,
            }
        }
        LineItem::GiftCertificate { name, amount, .. } => PricedLine {
            line,
            product: None,
            variant: None,
            selling_plan: None,
            title: name.clone(),
            base_price: *amount,
            price: *amount,
            line_price: 0,
            allocations: Vec::new(),
            grams: 0,
            requires_shipping: false,
            gift_card: true,
            sku: String::new(),
            image: None,
        },
    };
    Some(PricedLine {
        line_price: priced.price.saturating_mul(line.quantity),
        ..priced
    })
}

fn apply_codes(
    cart: &Cart,
    catalog: &Catalog,
    lines: &mut [PricedLine<'_>],
) -> (Vec<DiscountApplication>, Vec<CodeStatus>) {
    let mut applications = Vec::new();
    let mut codes = Vec::new();
    // What each eligible line still has left to discount.
    let mut remaining: Vec<i64> = lines
        .iter()
        .map(|l| if l.gift_card { 0 } else { l.line_price })
        .collect();
    for code in &cart.discount_codes {
        let Some(discount) = catalog.discount(code) else {
            codes.push(CodeStatus {
                code: code.clone(),
                applicable: false,
            });
            continue;
        };
        let base: i64 = remaining.iter().sum();
        let amount = match discount.value {
            DiscountValue::Percentage(p) => (base * p + 50) / 100,
            DiscountValue::FixedAmount(a) => a.min(base),
        }
        .max(0);
        codes.push(CodeStatus {
            code: code.clone(),
            applicable: amount > 0,
        });
        if amount == 0 {
            continue;
        }
        let index = applications.len();
        for (i, share) in allocate(amount, &remaining).into_iter().enumerate() {
            if share > 0 {
                remaining[i] -= share;
                lines[i].allocations.push((index, share));
            }
        }
        applications.push(DiscountApplication {
            code: discount.code.clone(),
            title: discount.code.clone(),
            description: discount.description.clone(),
            value: discount.value,
            total_allocated_amount: amount,
        });
    }
    (applications, codes)
}

/// Splits `amount` over `weights` in proportion, by largest remainder, never exceeding a weight.
fn allocate(amount: i64, weights: &[i64]) -> Vec<i64> {
    let total: i64 = weights.iter().sum();
    if total <= 0 {
        return vec![0; weights.len()];
    }
    let amount = amount.min(total) as i128;
    let total = total as i128;
    let mut shares: Vec<i64> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(i128, usize)> = Vec::with_capacity(weights.len());
    for (i, &w) in weights.iter().enumerate() {
        let exact = amount * w as i128;
        shares.push((exact / total) as i64);
        remainders.push((exact % total, i));
    }
    let mut left = amount as i64 - shares.iter().sum::<i64>();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in remainders {
        if left == 0 {
            break;
        }
        if shares[i] < weights[i] {
            shares[i] += 1;
            left -= 1;
        }
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::allocate;

    #[test]
    fn allocation_adds_up_and_respects_weights() {
        assert_eq!(allocate(100, &[1, 1, 1]), vec![1, 1, 1]);
        assert_eq!(allocate(10, &[100, 100, 100]).iter().sum::<i64>(), 10);
        assert_eq!(allocate(7, &[0, 5, 5]), vec![0, 4, 3]);
        assert_eq!(allocate(5, &[]), Vec::<i64>::new());
    }
}
