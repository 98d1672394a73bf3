//! Liquid expressions: the markup inside `{{ }}` and tags, read into [`Expr`], [`Filtered`] and
//! [`Condition`] trees. Errors carry the markup's line.

use super::error::LiquidError;

/// A value expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// The `empty` literal: compares equal to `""`, `[]` and `{}`.
    Empty,
    /// The `blank` literal: also nil, false and whitespace-only strings.
    Blank,
    Range(Box<Expr>, Box<Expr>),
    Path(Path),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    pub root: PathRoot,
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PathRoot {
    Name(String),
    /// `['name']` or `[expr]` at the start of a path: a variable looked up by a computed name.
    Index(Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    Attr(String),
    Index(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub name: String,
    pub args: Vec<Expr>,
    pub kwargs: Vec<(String, Expr)>,
}

/// An expression followed by `| filter: args` calls.
#[derive(Debug, Clone, PartialEq)]
pub struct Filtered {
    pub expr: Expr,
    pub filters: Vec<Filter>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    Contains,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Value(Expr),
    Compare(Expr, CmpOp, Expr),
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
    Not(Box<Condition>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Ident(String),
    Int(i64),
    Float(f64),
    Str(String),
    Dot,
    DotDot,
    Comma,
    Colon,
    Pipe,
    LBracket,
    RBracket,
    LParen,
    RParen,
    Op(CmpOp),
    Assign,
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Ident(s) => format!("'{s}'"),
        Tok::Int(i) => format!("'{i}'"),
        Tok::Float(f) => format!("'{f}'"),
        Tok::Str(s) => format!("string '{s}'"),
        Tok::Dot => "'.'".into(),
        Tok::DotDot => "'..'".into(),
        Tok::Comma => "','".into(),
        Tok::Colon => "':'".into(),
        Tok::Pipe => "'|'".into(),
        Tok::LBracket => "'['".into(),
        Tok::RBracket => "']'".into(),
        Tok::LParen => "'('".into(),
        Tok::RParen => "')'".into(),
        Tok::Op(_) => "a comparison".into(),
        Tok::Assign => "'='".into(),
    }
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// Reads markup into tokens. Whitespace (including newlines) separates tokens and is dropped.
pub fn lex(markup: &str) -> Result<Vec<Tok>, String> {
    let bytes = markup.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => i += 1,
            b'\'' | b'"' => {
                let end = memchr::memchr(c, &bytes[i + 1..])
                    .ok_or_else(|| "a string literal was never closed".to_string())?;
                out.push(Tok::Str(markup[i + 1..i + 1 + end].to_string()));
                i += end + 2;
            }
            b'.' if bytes.get(i + 1) == Some(&b'.') => {
                out.push(Tok::DotDot);
                i += 2;
            }
            b'.' => {
                out.push(Tok::Dot);
                i += 1;
            }
            b',' => {
                out.push(Tok::Comma);
                i += 1;
            }
            b':' => {
                out.push(Tok::Colon);
                i += 1;
            }
            b'|' => {
                out.push(Tok::Pipe);
                i += 1;
            }
            b'[' => {
                out.push(Tok::LBracket);
                i += 1;
            }
            b']' => {
                out.push(Tok::RBracket);
                i += 1;
            }
            b'(' => {
                out.push(Tok::LParen);
                i += 1;
            }
            b')' => {
                out.push(Tok::RParen);
                i += 1;
            }
            b'=' if bytes.get(i + 1) == Some(&b'=') => {
                out.push(Tok::Op(CmpOp::Eq));
                i += 2;
            }
            b'=' => {
                out.push(Tok::Assign);
                i += 1;
            }
            b'!' if bytes.get(i + 1) == Some(&b'=') => {
                out.push(Tok::Op(CmpOp::Ne));
                i += 2;
            }
            b'<' if bytes.get(i + 1) == Some(&b'>') => {
                out.push(Tok::Op(CmpOp::Ne));
                i += 2;
            }
            b'<' | b'>' => {
                let or_equal = bytes.get(i + 1) == Some(&b'=');
                out.push(Tok::Op(match (c, or_equal) {
                    (b'<', false) => CmpOp::Lt,
                    (b'<', true) => CmpOp::Le,
                    (_, false) => CmpOp::Gt,
                    (_, true) => CmpOp::Ge,
                }));
                i += 1 + usize::from(or_equal);
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                if c == b'-' {
                    i += 1;
                    if !bytes.get(i).is_some_and(u8::is_ascii_digit) {
                        return Err("unexpected character '-'".into());
                    }
                }
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                let mut is_float = false;
                if bytes.get(i) == Some(&b'.') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
                    is_float = true;
                    i += 1;
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                }
                // `123abc` and `1-2` are words, not numbers followed by junk.
                if i < bytes.len() && (is_ident_start(bytes[i]) || bytes[i] == b'-') && c != b'-' {
                    while i < bytes.len() && is_ident_char(bytes[i]) {
                        i += 1;
                    }
                    return Err(format!("unexpected '{}'", &markup[start..i]));
                }
                let text = &markup[start..i];
                if is_float {
                    out.push(Tok::Float(
                        text.parse().map_err(|_| format!("bad number '{text}'"))?,
                    ));
                } else {
                    match text.parse::<i64>() {
                        Ok(int) => out.push(Tok::Int(int)),
                        Err(_) => out.push(Tok::Float(
                            text.parse().map_err(|_| format!("bad number '{text}'"))?,
                        )),
                    }
                }
            }
            c if is_ident_start(c) => {
                let start = i;
                while i < bytes.len() && is_ident_char(bytes[i]) {
                    i += 1;
                }
                if bytes.get(i) == Some(&b'?') {
                    i += 1;
                }
                out.push(Tok::Ident(markup[start..i].to_string()));
            }
            _ => {
                let ch = markup[i..].chars().next().unwrap_or('?');
                return Err(format!("unexpected character '{ch}'"));
            }
        }
    }
    Ok(out)
}

/// A cursor over markup tokens.
pub struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    file: &'a str,
    line: u32,
}

impl<'a> Parser<'a> {
    pub fn new(file: &'a str, line: u32, markup: &str) -> Result<Parser<'a>, LiquidError> {
        let toks = lex(markup).map_err(|m| LiquidError::new(file, line, m))?;
        Ok(Parser {
            toks,
            pos: 0,
            file,
            line,
        })
    }

    pub fn error(&self, message: impl Into<String>) -> LiquidError {
        LiquidError::new(self.file, self.line, message)
    }

    pub fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    pub fn peek_at(&self, offset: usize) -> Option<&Tok> {
        self.toks.get(self.pos + offset)
    }

    pub fn advance(&mut self) -> Option<Tok> {
        let tok = self.toks.get(self.pos).cloned();
        if tok.is_some() {
            self.pos += 1;
        }
        tok
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }

    pub fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek() == Some(tok) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub fn eat_word(&mut self, word: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Ident(w)) if w == word) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub fn expect(&mut self, tok: &Tok) -> Result<(), LiquidError> {
        if self.eat(tok) {
            Ok(())
        } else {
            Err(self.unexpected(&format!("expected {}", describe(tok))))
        }
    }

    pub fn unexpected(&self, context: &str) -> LiquidError {
        match self.peek() {
            Some(tok) => self.error(format!("unexpected {} ({context})", describe(tok))),
            None => self.error(format!("unexpected end of markup ({context})")),
        }
    }

    pub fn expect_end(&self) -> Result<(), LiquidError> {
        if self.at_end() {
            Ok(())
        } else {
            Err(self.unexpected("expected the end of the tag"))
        }
    }

    /// A variable name as a tag's target (`assign x`, `for x in`): a word, or digits.
    pub fn target_name(&mut self) -> Result<String, LiquidError> {
        match self.advance() {
            Some(Tok::Ident(name)) if !name.ends_with('?') => Ok(name),
            Some(Tok::Int(int)) if int >= 0 => Ok(int.to_string()),
            _ => {
                self.pos = self.pos.saturating_sub(1);
                Err(self.unexpected("expected a variable name"))
            }
        }
    }

    /// A loop variable: like a target name, and may end with `?`.
    pub fn loop_var(&mut self) -> Result<String, LiquidError> {
        if let Some(Tok::Ident(name)) = self.peek() {
            let name = name.clone();
            self.pos += 1;
            return Ok(name);
        }
        self.target_name()
    }

    pub fn ident(&mut self) -> Result<String, LiquidError> {
        match self.advance() {
            Some(Tok::Ident(name)) => Ok(name),
            _ => {
                self.pos = self.pos.saturating_sub(1);
                Err(self.unexpected("expected a name"))
            }
        }
    }

    /// A primary expression: a literal, a range or a variable path.
    pub fn expr(&mut self) -> Result<Expr, LiquidError> {
        let Some(tok) = self.advance() else {
            return Err(self.error("expected an expression"));
        };
        match tok {
            Tok::Str(s) => Ok(Expr::Str(s)),
            Tok::Int(i) => Ok(Expr::Int(i)),
            Tok::Float(f) => Ok(Expr::Float(f)),
            Tok::LParen => {
                let start = self.expr()?;
                self.expect(&Tok::DotDot)?;
                let end = self.expr()?;
                self.expect(&Tok::RParen)?;
                Ok(Expr::Range(Box::new(start), Box::new(end)))
            }
            Tok::LBracket => {
                let name = self.expr()?;
                self.expect(&Tok::RBracket)?;
                self.path_rest(PathRoot::Index(Box::new(name)))
            }
            Tok::Ident(word) => {
                let literal = match word.as_str() {
                    "nil" | "null" => Some(Expr::Nil),
                    "true" => Some(Expr::Bool(true)),
                    "false" => Some(Expr::Bool(false)),
                    "empty" => Some(Expr::Empty),
                    "blank" => Some(Expr::Blank),
                    _ => None,
                };
                match literal {
                    Some(lit) if !matches!(self.peek(), Some(Tok::Dot | Tok::LBracket)) => Ok(lit),
                    _ => self.path_rest(PathRoot::Name(word)),
                }
            }
            other => {
                self.pos -= 1;
                let _ = other;
                Err(self.unexpected("expected an expression"))
            }
        }
    }

    fn path_rest(&mut self, root: PathRoot) -> Result<Expr, LiquidError> {
        let mut segments = Vec::new();
        loop {
            match self.peek() {
                Some(Tok::Dot) => {
                    self.pos += 1;
                    match self.advance() {
                        Some(Tok::Ident(name)) => segments.push(Segment::Attr(name)),
                        _ => {
                            self.pos -= 1;
                            return Err(self.unexpected("expected a property name after '.'"));
                        }
                    }
                }
                Some(Tok::LBracket) => {
                    self.pos += 1;
                    let index = self.expr()?;
                    self.expect(&Tok::RBracket)?;
                    segments.push(Segment::Index(index));
                }
                _ => break,
            }
        }
        Ok(Expr::Path(Path { root, segments }))
    }

    /// An expression and its filters, up to the end of the markup.
    pub fn filtered(&mut self) -> Result<Filtered, LiquidError> {
        let expr = self.expr()?;
        let filters = self.filters()?;
        Ok(Filtered { expr, filters })
    }

    pub fn filters(&mut self) -> Result<Vec<Filter>, LiquidError> {
        let mut filters = Vec::new();
        while self.eat(&Tok::Pipe) {
            let name = self.ident()?;
            let mut filter = Filter {
                name,
                args: Vec::new(),
                kwargs: Vec::new(),
            };
            if self.eat(&Tok::Colon) {
                loop {
                    if let (Some(Tok::Ident(key)), Some(Tok::Colon)) =
                        (self.peek(), self.peek_at(1))
                    {
                        let key = key.clone();
                        self.pos += 2;
                        let value = self.expr()?;
                        filter.kwargs.push((key, value));
                    } else {
                        filter.args.push(self.expr()?);
                    }
                    if !self.eat(&Tok::Comma) {
                        break;
                    }
                }
            }
            filters.push(filter);
        }
        if !self.at_end() {
            return Err(self.unexpected("expected '|' or the end of the expression"));
        }
        Ok(filters)
    }

    /// A condition: comparisons joined by `and`/`or`, which Liquid groups from the right with
    /// no precedence between them (`a or b and c` is `a or (b and c)`, `a and b or c` is
    /// `a and (b or c)`).
    pub fn condition(&mut self) -> Result<Condition, LiquidError> {
        let first = self.comparison()?;
        if self.eat_word("and") {
            let rest = self.condition()?;
            return Ok(Condition::And(Box::new(first), Box::new(rest)));
        }
        if self.eat_word("or") {
            let rest = self.condition()?;
            return Ok(Condition::Or(Box::new(first), Box::new(rest)));
        }
        Ok(first)
    }

    fn comparison(&mut self) -> Result<Condition, LiquidError> {
        let left = self.expr()?;
        let op = match self.peek() {
            Some(Tok::Op(op)) => Some(*op),
            Some(Tok::Ident(w)) if w == "contains" => Some(CmpOp::Contains),
            _ => None,
        };
        let Some(op) = op else {
            return match self.peek() {
                None | Some(Tok::Ident(_)) => Ok(Condition::Value(left)),
                _ => Err(self.unexpected("expected a comparison, 'and' or 'or'")),
            };
        };
        self.pos += 1;
        let right = self.expr()?;
        Ok(Condition::Compare(left, op, right))
    }

    /// A condition that must use up the markup.
    pub fn whole_condition(&mut self) -> Result<Condition, LiquidError> {
        let condition = self.condition()?;
        self.expect_end()?;
        Ok(condition)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filtered(markup: &str) -> Result<Filtered, LiquidError> {
        let mut parser = Parser::new("t", 1, markup)?;
        parser.filtered()
    }

    #[test]
    fn paths_with_dots_and_brackets() {
        let got = filtered("a.b[0]['c d']").unwrap();
        assert_eq!(
            got.expr,
            Expr::Path(Path {
                root: PathRoot::Name("a".into()),
                segments: vec![
                    Segment::Attr("b".into()),
                    Segment::Index(Expr::Int(0)),
                    Segment::Index(Expr::Str("c d".into()))
                ]
            })
        );
    }

    #[test]
    fn filters_with_positional_and_keyword_arguments() {
        let got = filtered("x | default: 'a', allow_false: true | upcase").unwrap();
        assert_eq!(got.filters.len(), 2);
        assert_eq!(got.filters[0].args, vec![Expr::Str("a".into())]);
        assert_eq!(
            got.filters[0].kwargs,
            vec![("allow_false".into(), Expr::Bool(true))]
        );
    }

    #[test]
    fn and_or_group_from_the_right() {
        let mut parser = Parser::new("t", 1, "a and b or c").unwrap();
        let cond = parser.whole_condition().unwrap();
        assert!(matches!(cond, Condition::And(_, right) if matches!(*right, Condition::Or(_, _))));
    }

    #[test]
    fn arithmetic_and_words_side_by_side_are_errors() {
        assert!(filtered("1 + 2").is_err());
        assert!(filtered("foo bar").is_err());
        assert!(filtered("foo..bar").is_err());
        assert!(filtered("products.0.title").is_err());
        assert!(filtered("@foo").is_err());
    }

    #[test]
    fn ranges_allow_whitespace() {
        let got = filtered("( 1 .. 5 )").unwrap();
        assert_eq!(
            got.expr,
            Expr::Range(Box::new(Expr::Int(1)), Box::new(Expr::Int(5)))
        );
    }
}
