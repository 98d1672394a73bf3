//! The one error type of the Liquid front end: a file, a 1-based line and a message, printed as
//! `file:line: message` (the shape `vitrine check` and the error overlay use).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiquidError {
    /// The template's name as the caller gave it (a path for `vitrine render`).
    pub file: String,
    /// 1-based; 0 when no line is known.
    pub line: u32,
    pub message: String,
}

impl LiquidError {
    pub fn new(file: &str, line: u32, message: impl Into<String>) -> LiquidError {
        LiquidError {
            file: file.to_string(),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for LiquidError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

impl std::error::Error for LiquidError {}
