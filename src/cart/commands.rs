//! The commands that change a cart. Each one works on `&mut Cart` (a copy, inside a store
//! transaction) and either succeeds, possibly with a stock warning after clamping, or fails and
//! leaves the copy to be dropped.

use chrono::{DateTime, Utc};
use indexmap::IndexMap;
use serde_json::Value;
use uuid::Uuid;

use super::limits::LIMITS;
use super::{Cart, CartError, Line, LineExtras, LineItem, TextField};
use crate::catalog::{Catalog, VariantRef};

/// One item of an add request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AddItem {
    pub variant_id: i64,
    pub quantity: i64,
    pub properties: IndexMap<String, Value>,
    pub selling_plan: Option<i64>,
    pub parent_id: Option<i64>,
    pub price_override: Option<i64>,
    pub extras: LineExtras,
}

/// What an add did: the lines it touched (in request order, without repeats) and, when stock ran
/// short, the first stock error. Lines were still added up to the available stock.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AddOutcome {
    pub touched: Vec<Uuid>,
    pub stock_error: Option<CartError>,
}

/// How a dialect treats a request for more than the stock: Shopify adds what it can and reports
/// it; BigCommerce and Elastic Path refuse the whole request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockPolicy {
    Clamp,
    Refuse,
}

/// Quantities for `update`: by variant id or line key, or one per line in cart order.
#[derive(Debug, Clone, PartialEq)]
pub enum LineUpdates {
    ByIdOrKey(Vec<(String, i64)>),
    ByPosition(Vec<i64>),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct UpdateRequest {
    pub updates: Option<LineUpdates>,
    pub note: Option<String>,
    pub attributes: Option<IndexMap<String, String>>,
    /// Comma-separated codes; an empty string removes every code.
    pub discount: Option<String>,
}

/// Which line `change` acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeTarget {
    VariantId(i64),
    Key(String),
    /// 1-based position.
    Line(usize),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangeRequest {
    pub quantity: Option<i64>,
    pub properties: Option<IndexMap<String, Value>>,
    /// `Some(None)` removes the selling plan.
    pub selling_plan: Option<Option<i64>>,
}

impl Cart {
    /// Adds catalog variants, merging into a line with the same key (same variant, properties,
    /// selling plan, parent and price) or starting a new line.
    pub fn add(
        &mut self,
        catalog: &Catalog,
        items: Vec<AddItem>,
        policy: StockPolicy,
        now: DateTime<Utc>,
    ) -> Result<AddOutcome, CartError> {
        self.drop_unknown_variants(catalog);
        // Validate everything first: an unknown variant or a bad field changes nothing.
        for item in &items {
            let found = catalog
                .variant(item.variant_id)
                .ok_or(CartError::VariantNotFound)?;
            LIMITS.quantity(item.quantity)?;
            LIMITS.properties(&item.properties)?;
            if let Some(plan) = item.selling_plan {
                check_selling_plan(catalog, found, plan)?;
            }
        }
        // A sold-out variant refuses the whole request: there is no maximum to clamp to, and a
        // request answered with an error must not change the cart.
        for item in &items {
            if let Some(found) = catalog.variant(item.variant_id)
                && found.variant.inventory.is_some_and(|n| n <= 0)
            {
                return Err(CartError::SoldOut(found.product.line_title(found.variant)));
            }
        }
        let mut outcome = AddOutcome::default();
        for item in items {
            let Some(found) = catalog.variant(item.variant_id) else {
                return Err(CartError::VariantNotFound);
            };
            let name = found.product.line_title(found.variant);
            let wanted = item.quantity;
            let granted = match self.available(found, None) {
                None => wanted,
                Some(available) => {
                    if available <= 0 {
                        // In stock, but all of it is in the cart already.
                        let err = CartError::NotEnoughStock(name);
                        if policy == StockPolicy::Refuse {
                            return Err(err);
                        }
                        outcome.stock_error.get_or_insert(err);
                        continue;
                    }
                    if wanted > available {
                        if policy == StockPolicy::Refuse {
                            return Err(CartError::NotEnoughStock(name));
                        }
                        outcome
                            .stock_error
                            .get_or_insert(CartError::NotEnoughStock(name));
                        available
                    } else {
                        wanted
                    }
                }
            };
            if granted == 0 {
                continue;
            }
            let variant = LineItem::Variant {
                variant_id: item.variant_id,
                selling_plan: item.selling_plan,
                parent_id: item.parent_id,
            };
            let line = Line {
                properties: item.properties,
                price_override: item.price_override,
                extras: item.extras,
                ..Line::new(variant, granted, now)
            };
            let id = self.merge_or_push(line, now)?;
            if !outcome.touched.contains(&id) {
                outcome.touched.push(id);
            }
        }
        if outcome.touched.is_empty()
            && let Some(err) = outcome.stock_error.take()
        {
            // Nothing could be added at all: a plain refusal, and nothing changes.
            return Err(err);
        }
        Ok(outcome)
    }

    /// Adds an item that is not in the catalog. Same SKU, name, price and extras merge.
    pub fn add_custom(
        &mut self,
        item: LineItem,
        quantity: i64,
        extras: LineExtras,
        now: DateTime<Utc>,
    ) -> Result<Uuid, CartError> {
        LIMITS.quantity(quantity)?;
        let line = Line {
            extras,
            ..Line::new(item, quantity, now)
        };
        self.merge_or_push(line, now)
    }

    /// Shopify's `update`: quantities by id/key or position, note, attributes and discount codes.
    /// Returns a stock warning when a new line had to be clamped.
    pub fn update(
        &mut self,
        catalog: &Catalog,
        request: UpdateRequest,
        now: DateTime<Utc>,
    ) -> Result<Option<CartError>, CartError> {
        self.drop_unknown_variants(catalog);
        let mut warning = None;
        match request.updates {
            Some(LineUpdates::ByPosition(quantities)) => {
                if quantities.len() != self.lines.len() {
                    return Err(CartError::UpdatesLengthMismatch {
                        given: quantities.len(),
                        lines: self.lines.len(),
                    });
                }
                for (line, quantity) in self.lines.iter_mut().zip(quantities) {
                    line.quantity = LIMITS.quantity(quantity)?;
                    line.updated_at = now;
                }
            }
            Some(LineUpdates::ByIdOrKey(pairs)) => {
                for (id, quantity) in pairs {
                    let quantity = LIMITS.quantity(quantity)?;
                    if let Some(w) = self.update_one(catalog, &id, quantity, now)? {
                        warning.get_or_insert(w);
                    }
                }
            }
            None => {}
        }
        self.lines.retain(|l| l.quantity > 0);
        if let Some(note) = request.note {
            LIMITS.note(&note)?;
            self.note = Some(note);
        }
        if let Some(attributes) = request.attributes {
            for (name, value) in attributes {
                // A blank value removes the attribute, as on Shopify.
                if value.is_empty() {
                    self.attributes.shift_remove(&name);
                } else {
                    self.attributes.insert(name, value);
                }
            }
            LIMITS.attributes(&self.attributes)?;
        }
        if let Some(discount) = request.discount {
            self.set_discount_codes(&discount)?;
        }
        Ok(warning)
    }

    fn update_one(
        &mut self,
        catalog: &Catalog,
        id: &str,
        quantity: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<CartError>, CartError> {
        let id = id.trim();
        if id.contains(':') {
            return match self.lines.iter_mut().find(|l| l.key() == id) {
                Some(line) => {
                    line.quantity = quantity;
                    line.updated_at = now;
                    Ok(None)
                }
                // Removing a line that is already gone is not an error.
                None if quantity == 0 => Ok(None),
                None => Err(CartError::VariantNotFound),
            };
        }
        let variant_id: i64 = id.parse().map_err(|_| CartError::VariantNotFound)?;
        if let Some(line) = self
            .lines
            .iter_mut()
            .find(|l| l.variant_id() == Some(variant_id))
        {
            // update.js does not check stock for lines already in the cart.
            line.quantity = quantity;
            line.updated_at = now;
            return Ok(None);
        }
        if catalog.variant(variant_id).is_none() {
            return Err(CartError::VariantNotFound);
        }
        if quantity == 0 {
            return Ok(None);
        }
        let item = AddItem {
            variant_id,
            quantity,
            ..Default::default()
        };
        match self.add(catalog, vec![item], StockPolicy::Clamp, now) {
            Ok(outcome) => Ok(outcome.stock_error),
            Err(err) => Err(err),
        }
    }

    fn set_discount_codes(&mut self, discount: &str) -> Result<(), CartError> {
        let mut codes: Vec<String> = Vec::new();
        for code in discount.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            if code.chars().count() > LIMITS.max_name_chars {
                return Err(CartError::TooLong(
                    TextField::DiscountCode,
                    LIMITS.max_name_chars,
                ));
            }
            if !codes.iter().any(|c| c.eq_ignore_ascii_case(code)) {
                codes.push(code.to_string());
            }
        }
        if codes.len() > LIMITS.max_discount_codes {
            return Err(CartError::TooManyDiscountCodes(LIMITS.max_discount_codes));
        }
        self.discount_codes = codes;
        Ok(())
    }

    /// Shopify's `change`: one line's quantity, properties or selling plan. An over-stock
    /// quantity is clamped to what is available and reported.
    pub fn change(
        &mut self,
        catalog: &Catalog,
        target: ChangeTarget,
        request: ChangeRequest,
        now: DateTime<Utc>,
    ) -> Result<Option<CartError>, CartError> {
        self.drop_unknown_variants(catalog);
        let index = self.find_line(&target).ok_or(CartError::LineNotFound)?;
        let quantity = match (request.quantity, &request.selling_plan) {
            (Some(q), _) => Some(LIMITS.quantity(q)?),
            // The document: with a selling plan and no quantity, the quantity is 1.
            (None, Some(_)) => Some(1),
            (None, None) => None,
        };
        if let Some(properties) = &request.properties {
            LIMITS.properties(properties)?;
        }
        let mut warning = None;
        {
            let line = &mut self.lines[index];
            if let Some(plan) = request.selling_plan {
                let LineItem::Variant {
                    variant_id,
                    selling_plan,
                    ..
                } = &mut line.item
                else {
                    return Err(CartError::SellingPlanOnCustomItem);
                };
                if let Some(plan_id) = plan {
                    let found = catalog
                        .variant(*variant_id)
                        .ok_or(CartError::VariantNotFound)?;
                    check_selling_plan(catalog, found, plan_id)?;
                }
                *selling_plan = plan;
            }
            // Properties replace the whole object, but an empty object cannot clear them.
            if let Some(properties) = request.properties
                && !properties.is_empty()
            {
                line.properties = properties;
            }
            line.updated_at = now;
        }
        if let Some(quantity) = quantity {
            let granted = self.clamp_to_stock(catalog, index, quantity);
            if granted < quantity {
                warning = Some(self.stock_error_for(catalog, index));
            }
            self.lines[index].quantity = granted;
        }
        self.merge_duplicate_of(index, now)?;
        self.lines.retain(|l| l.quantity > 0);
        Ok(warning)
    }

    /// Empties the lines; the note, attributes and codes stay.
    pub fn clear(&mut self) {
        self.lines.clear();
    }

    /// Sets one line's quantity by its id (0 removes it). BigCommerce and Elastic Path refuse
    /// over-stock quantities instead of clamping.
    pub fn set_line_quantity(
        &mut self,
        catalog: &Catalog,
        line_id: Uuid,
        quantity: i64,
        now: DateTime<Utc>,
    ) -> Result<(), CartError> {
        let quantity = LIMITS.quantity(quantity)?;
        let index = self
            .lines
            .iter()
            .position(|l| l.id == line_id)
            .ok_or(CartError::LineNotFound)?;
        if quantity > self.lines[index].quantity
            && self.clamp_to_stock(catalog, index, quantity) < quantity
        {
            return Err(self.stock_error_for(catalog, index));
        }
        let line = &mut self.lines[index];
        line.quantity = quantity;
        line.updated_at = now;
        self.lines.retain(|l| l.quantity > 0);
        Ok(())
    }

    pub fn set_line_price(&mut self, line_id: Uuid, price: Option<i64>) -> Result<(), CartError> {
        let line = self
            .lines
            .iter_mut()
            .find(|l| l.id == line_id)
            .ok_or(CartError::LineNotFound)?;
        if price.is_some_and(|p| p < 0) {
            return Err(CartError::NegativePrice);
        }
        line.price_override = price;
        Ok(())
    }

    pub fn remove_line(&mut self, line_id: Uuid) -> Result<(), CartError> {
        let before = self.lines.len();
        self.lines.retain(|l| l.id != line_id);
        if self.lines.len() == before {
            Err(CartError::LineNotFound)
        } else {
            Ok(())
        }
    }

    /// Marks a successful mutation: the version moves on and the cart is touched.
    pub fn bump(&mut self, now: DateTime<Utc>) {
        self.version += 1;
        self.updated_at = now;
    }

    /// The index of the line a `change` would act on.
    pub fn find_line(&self, target: &ChangeTarget) -> Option<usize> {
        match target {
            ChangeTarget::Line(n) => n.checked_sub(1).filter(|i| *i < self.lines.len()),
            ChangeTarget::Key(key) => self.lines.iter().position(|l| l.key() == *key),
            ChangeTarget::VariantId(id) => {
                self.lines.iter().position(|l| l.variant_id() == Some(*id))
            }
        }
    }

    /// Units of this variant that can still go in the cart, beside the line `except`.
    /// `None`: inventory is not tracked.
    fn available(&self, found: VariantRef<'_>, except: Option<usize>) -> Option<i64> {
        let inventory = found.variant.inventory?;
        let in_cart: i64 = self
            .lines
            .iter()
            .enumerate()
            .filter(|(i, l)| Some(*i) != except && l.variant_id() == Some(found.variant.id))
            .map(|(_, l)| l.quantity)
            .sum();
        Some(inventory - in_cart)
    }

    fn clamp_to_stock(&self, catalog: &Catalog, index: usize, quantity: i64) -> i64 {
        let Some(found) = self.lines[index]
            .variant_id()
            .and_then(|id| catalog.variant(id))
        else {
            return quantity;
        };
        match self.available(found, Some(index)) {
            Some(available) => quantity.min(available.max(0)),
            None => quantity,
        }
    }

    fn stock_error_for(&self, catalog: &Catalog, index: usize) -> CartError {
        match self.lines[index]
            .variant_id()
            .and_then(|id| catalog.variant(id))
        {
            Some(found) => {
                let name = found.product.line_title(found.variant);
                if found.variant.inventory.unwrap_or(0) <= 0 {
                    CartError::SoldOut(name)
                } else {
                    CartError::NotEnoughStock(name)
                }
            }
            None => CartError::VariantNotFound,
        }
    }

    /// Adds `line` to a line with the same key, or appends it. Returns the id of the line.
    fn merge_or_push(&mut self, line: Line, now: DateTime<Utc>) -> Result<Uuid, CartError> {
        let key = line.key();
        // The key digests the item among other things: compare items first, and hash only the
        // lines that could match.
        if let Some(existing) = self
            .lines
            .iter_mut()
            .find(|l| l.item == line.item && l.key() == key)
        {
            existing.quantity = LIMITS.quantity(existing.quantity + line.quantity)?;
            existing.updated_at = now;
            return Ok(existing.id);
        }
        LIMITS.lines(self.lines.len() + 1)?;
        let id = line.id;
        self.lines.push(line);
        Ok(id)
    }

    /// After a change made line `index` identical to another line, fold them into the first.
    fn merge_duplicate_of(&mut self, index: usize, now: DateTime<Utc>) -> Result<(), CartError> {
        let key = self.lines[index].key();
        let Some(first) = self.lines.iter().position(|l| l.key() == key) else {
            return Ok(());
        };
        let Some(second) = self
            .lines
            .iter()
            .enumerate()
            .position(|(i, l)| i != first && l.key() == key)
        else {
            return Ok(());
        };
        let moved = self.lines[second].quantity;
        let target = &mut self.lines[first];
        target.quantity = LIMITS.quantity(target.quantity + moved)?;
        target.updated_at = now;
        self.lines.remove(second);
        Ok(())
    }

    /// Lines whose variant left the catalog cannot be priced or shown; they go on the next write.
    fn drop_unknown_variants(&mut self, catalog: &Catalog) {
        self.lines.retain(|l| {
            l.variant_id()
                .is_none_or(|id| catalog.variant(id).is_some())
        });
    }
}

fn check_selling_plan(
    catalog: &Catalog,
    found: VariantRef<'_>,
    plan: i64,
) -> Result<(), CartError> {
    if catalog.selling_plan(plan).is_some() && found.product.selling_plan_ids.contains(&plan) {
        Ok(())
    } else {
        Err(CartError::SellingPlanNotAvailable(plan))
    }
}
