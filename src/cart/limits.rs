//! Hard limits on what a visitor can put in a cart. They keep one cart from growing without bound
//! and give every dialect the same clear refusal.

use indexmap::IndexMap;
use serde_json::Value;

use super::{CartError, TextField};

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_lines: usize,
    pub max_quantity: i64,
    pub max_note_chars: usize,
    pub max_properties: usize,
    pub max_attributes: usize,
    pub max_name_chars: usize,
    pub max_value_chars: usize,
    pub max_discount_codes: usize,
}

pub const LIMITS: Limits = Limits {
    max_lines: 500,
    max_quantity: 1_000_000,
    max_note_chars: 5_000,
    max_properties: 50,
    max_attributes: 100,
    max_name_chars: 255,
    max_value_chars: 5_000,
    max_discount_codes: 10,
};

impl Limits {
    pub fn quantity(&self, quantity: i64) -> Result<i64, CartError> {
        if quantity < 0 {
            Err(CartError::NegativeQuantity)
        } else if quantity > self.max_quantity {
            Err(CartError::QuantityTooLarge(self.max_quantity))
        } else {
            Ok(quantity)
        }
    }

    pub fn note(&self, note: &str) -> Result<(), CartError> {
        too_long(TextField::Note, note, self.max_note_chars)
    }

    pub fn properties(&self, properties: &IndexMap<String, Value>) -> Result<(), CartError> {
        if properties.len() > self.max_properties {
            return Err(CartError::TooManyProperties(self.max_properties));
        }
        for (name, value) in properties {
            too_long(TextField::PropertyName, name, self.max_name_chars)?;
            let size = match value {
                Value::String(s) => s.chars().count(),
                other => other.to_string().len(),
            };
            if size > self.max_value_chars {
                return Err(CartError::TooLong(
                    TextField::PropertyValue,
                    self.max_value_chars,
                ));
            }
        }
        Ok(())
    }

    pub fn attributes(&self, attributes: &IndexMap<String, String>) -> Result<(), CartError> {
        if attributes.len() > self.max_attributes {
            return Err(CartError::TooManyAttributes(self.max_attributes));
        }
        for (name, value) in attributes {
            too_long(TextField::AttributeName, name, self.max_name_chars)?;
            too_long(TextField::AttributeValue, value, self.max_value_chars)?;
        }
        Ok(())
    }

    pub fn lines(&self, count: usize) -> Result<(), CartError> {
        if count > self.max_lines {
            Err(CartError::TooManyLines(self.max_lines))
        } else {
            Ok(())
        }
    }
}

fn too_long(what: TextField, text: &str, max: usize) -> Result<(), CartError> {
    // Cheap byte check first: most text is far below the limit.
    if text.len() > max && text.chars().count() > max {
        Err(CartError::TooLong(what, max))
    } else {
        Ok(())
    }
}
