//! Builds the tree of a Liquid template from its tokens: every standard tag, with the line it
//! starts on, and parse errors where Liquid reports them (unknown tags, unclosed blocks, bad
//! markup).

use super::error::LiquidError;
use super::expr::{Condition, Expr, Filtered, Parser, Tok};
use super::lax;
use super::lexer::{Token, split_tag};

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Text(String, u32),
    Output(Filtered, u32),
    Assign {
        name: String,
        value: Filtered,
        line: u32,
    },
    Capture {
        name: String,
        body: Vec<Node>,
        line: u32,
    },
    Increment(String, u32),
    Decrement(String, u32),
    If {
        branches: Vec<(Condition, Vec<Node>, u32)>,
        otherwise: Option<(Vec<Node>, u32)>,
        line: u32,
    },
    Case {
        subject: Expr,
        arms: Vec<CaseArm>,
        line: u32,
    },
    For(Box<ForLoop>),
    Tablerow(Box<Tablerow>),
    Break(u32),
    Continue(u32),
    Cycle {
        group: Option<Expr>,
        values: Vec<Expr>,
        key: String,
        line: u32,
    },
    IfChanged(Vec<Node>, u32),
    Render(Box<Partial>),
    Include(Box<Partial>),
    /// Shopify's theme tags that print what a function of the theme renders: `section`,
    /// `sections`, `content_for` (see `theme_tags`).
    ThemeCall(Box<ThemeCall>),
    /// `{% form 'type', object, key: value %}...{% endform %}`.
    Form(Box<ThemeCall>, Vec<Node>),
    /// `{% paginate items by n %}...{% endpaginate %}`.
    Paginate(Box<Paginate>),
    /// `{% style %}...{% endstyle %}`: the body inside `<style data-shopify>`.
    Style(Vec<Node>, u32),
}

/// A Shopify theme tag lowered to a call: positional arguments and keyword arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct ThemeCall {
    pub tag: &'static str,
    pub args: Vec<Expr>,
    pub kwargs: Vec<(String, Expr)>,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Paginate {
    pub items: Expr,
    pub page_size: Expr,
    pub window: Option<Expr>,
    pub body: Vec<Node>,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CaseArm {
    When(Vec<Expr>, Vec<Node>, u32),
    Else(Vec<Node>, u32),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Offset {
    Expr(Expr),
    Continue,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ForLoop {
    pub var: String,
    pub collection: Expr,
    /// `var-collection`, the key of `offset: continue`.
    pub name: String,
    pub limit: Option<Expr>,
    pub offset: Option<Offset>,
    pub reversed: bool,
    pub body: Vec<Node>,
    pub otherwise: Option<(Vec<Node>, u32)>,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tablerow {
    pub var: String,
    pub collection: Expr,
    pub cols: Option<Expr>,
    pub limit: Option<Expr>,
    pub offset: Option<Expr>,
    pub body: Vec<Node>,
    pub line: u32,
}

/// The markup of a `tablerow` tag, read.
struct TablerowHeader {
    var: String,
    collection: Expr,
    cols: Option<Expr>,
    limit: Option<Expr>,
    offset: Option<Expr>,
}

/// The markup of a `for` tag, read.
struct ForHeader {
    var: String,
    collection: Expr,
    name: String,
    limit: Option<Expr>,
    offset: Option<Offset>,
    reversed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    With,
    For,
}

/// `render` and `include`: the template name, an optional `with`/`for` value bound to the
/// alias (or the template's name) and keyword arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct Partial {
    pub name: Expr,
    pub bound: Option<(Binding, Expr)>,
    pub alias: Option<String>,
    pub kwargs: Vec<(String, Expr)>,
    pub line: u32,
}

/// Tags that end blocks; meeting one where no block expects it is an error.
const END_TAGS: &[&str] = &[
    "endif",
    "endunless",
    "endcase",
    "endfor",
    "endtablerow",
    "endcapture",
    "endifchanged",
    "endcomment",
    "enddoc",
    "endraw",
    "endform",
    "endpaginate",
    "endstyle",
    "endschema",
    "endstylesheet",
    "endjavascript",
    "else",
    "elsif",
    "when",
];

pub struct TreeBuilder<'a> {
    file: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    /// Names of the `for` loops and `liquid` tags we are in, for error messages.
    in_liquid_tag: bool,
    /// Markup the strict reading refuses is read the lax way (see `lax.rs`)...
    lax: bool,
    /// ...and what the strict reading said is kept here.
    warnings: Vec<LiquidError>,
}

/// How markup that the strict reading refuses is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// It is an error (`vitrine render`, the strict conformance cases).
    #[default]
    Strict,
    /// It is read as Ruby Liquid's lax parser reads it, with a warning (themes, as Shopify
    /// storefronts render them). Errors that the lax reading cannot get past stay errors.
    Lax,
}

/// Parses a whole template strictly.
pub fn parse(file: &str, tokens: Vec<Token>) -> Result<Vec<Node>, LiquidError> {
    parse_with(file, tokens, Mode::Strict).map(|(nodes, _)| nodes)
}

/// Parses a whole template in `mode`; also returns, for each place read the lax way, what the
/// strict reading said (always empty in strict mode).
pub fn parse_with(
    file: &str,
    tokens: Vec<Token>,
    mode: Mode,
) -> Result<(Vec<Node>, Vec<LiquidError>), LiquidError> {
    let mut builder = TreeBuilder {
        file,
        tokens,
        pos: 0,
        in_liquid_tag: false,
        lax: mode == Mode::Lax,
        warnings: Vec::new(),
    };
    let (nodes, end) = builder.block(&[])?;
    if let Some((name, _, line)) = end {
        return Err(LiquidError::new(file, line, format!("unexpected '{name}'")));
    }
    Ok((nodes, builder.warnings))
}

/// A value's markup the way Ruby's `Variable` reads it: strictly, or else the lax way.
fn strict_or_lax_filtered(file: &str, line: u32, markup: &str) -> Filtered {
    Parser::new(file, line, markup)
        .and_then(|mut p| p.filtered())
        .unwrap_or_else(|_| lax::filtered(markup))
}

type BlockEnd = Option<(String, String, u32)>;

impl TreeBuilder<'_> {
    fn err(&self, line: u32, message: impl Into<String>) -> LiquidError {
        LiquidError::new(self.file, line, message)
    }

    fn parser(&self, line: u32, markup: &str) -> Result<Parser<'_>, LiquidError> {
        Parser::new(self.file, line, markup)
    }

    /// The strict reading, or where it failed and the mode is lax, the lax reading (keeping
    /// the strict error as a warning). When the lax reading fails too, the strict error is
    /// the more precise one.
    fn fallback<T>(
        &mut self,
        strict: Result<T, LiquidError>,
        lax: impl FnOnce() -> Result<T, String>,
    ) -> Result<T, LiquidError> {
        match strict {
            Err(err) if self.lax => match lax() {
                Ok(value) => {
                    self.warnings.push(err);
                    Ok(value)
                }
                Err(_) => Err(err),
            },
            other => other,
        }
    }

    /// Reads nodes until one of `ends` (returned with its markup and line) or the end of input
    /// (None). A stray end tag is an error.
    fn block(&mut self, ends: &[&str]) -> Result<(Vec<Node>, BlockEnd), LiquidError> {
        let mut nodes = Vec::new();
        while self.pos < self.tokens.len() {
            let token = self.tokens[self.pos].clone();
            self.pos += 1;
            match token {
                Token::Text { text, line } => nodes.push(Node::Text(text, line)),
                Token::Output { markup, line } => {
                    let strict = self.parser(line, &markup).and_then(|mut p| p.filtered());
                    let filtered = self.fallback(strict, || Ok(lax::filtered(&markup)))?;
                    nodes.push(Node::Output(filtered, line));
                }
                Token::Tag { name, markup, line } => {
                    if ends.contains(&name.as_str()) {
                        return Ok((nodes, Some((name, markup, line))));
                    }
                    if END_TAGS.contains(&name.as_str()) {
                        return Err(self.err(line, format!("unexpected '{name}'")));
                    }
                    self.tag(&name, &markup, line, &mut nodes)?;
                }
            }
        }
        Ok((nodes, None))
    }

    fn block_until(
        &mut self,
        tag: &str,
        ends: &[&str],
        line: u32,
    ) -> Result<(Vec<Node>, String, String, u32), LiquidError> {
        match self.block(ends)? {
            (nodes, Some((end, markup, end_line))) => Ok((nodes, end, markup, end_line)),
            (_, None) => Err(self.err(line, format!("'{tag}' tag was never closed"))),
        }
    }

    fn tag(
        &mut self,
        name: &str,
        markup: &str,
        line: u32,
        nodes: &mut Vec<Node>,
    ) -> Result<(), LiquidError> {
        match name {
            "assign" => {
                let strict = self.parser(line, markup).and_then(|mut p| {
                    let target = p.target_name()?;
                    p.expect(&Tok::Assign)?;
                    Ok((target, p.filtered()?))
                });
                let file = self.file;
                let (target, value) = self.fallback(strict, || {
                    let (target, value) = lax::assign(markup)?;
                    Ok((target, strict_or_lax_filtered(file, line, value)))
                })?;
                nodes.push(Node::Assign {
                    name: target,
                    value,
                    line,
                });
            }
            "capture" => {
                let strict = self.parser(line, markup).and_then(|mut p| {
                    let target = match p.peek() {
                        Some(Tok::Str(s)) => {
                            let s = s.clone();
                            p.advance();
                            s
                        }
                        _ => p.target_name()?,
                    };
                    p.expect_end()?;
                    Ok(target)
                });
                let target = self.fallback(strict, || lax::capture(markup))?;
                let (body, _, _, _) = self.block_until("capture", &["endcapture"], line)?;
                nodes.push(Node::Capture {
                    name: target,
                    body,
                    line,
                });
            }
            "increment" | "decrement" => {
                let mut p = self.parser(line, markup)?;
                let target = p.target_name()?;
                p.expect_end()?;
                nodes.push(if name == "increment" {
                    Node::Increment(target, line)
                } else {
                    Node::Decrement(target, line)
                });
            }
            "echo" => {
                if markup.is_empty() {
                    nodes.push(Node::Output(
                        Filtered {
                            expr: Expr::Nil,
                            filters: Vec::new(),
                        },
                        line,
                    ));
                } else {
                    let strict = self.parser(line, markup).and_then(|mut p| p.filtered());
                    let filtered = self.fallback(strict, || Ok(lax::filtered(markup)))?;
                    nodes.push(Node::Output(filtered, line));
                }
            }
            "if" | "unless" => nodes.push(self.if_tag(name, markup, line)?),
            "case" => nodes.push(self.case_tag(markup, line)?),
            "for" => nodes.push(self.for_tag(markup, line)?),
            "tablerow" => nodes.push(self.tablerow_tag(markup, line)?),
            "break" | "continue" => {
                if !markup.is_empty() {
                    // Ruby Liquid never reads this markup.
                    let strict = Err(self.err(line, format!("'{name}' takes no arguments")));
                    self.fallback(strict, || Ok(()))?;
                }
                nodes.push(if name == "break" {
                    Node::Break(line)
                } else {
                    Node::Continue(line)
                });
            }
            "cycle" => nodes.push(self.cycle_tag(markup, line)?),
            "ifchanged" => {
                let (body, _, _, _) = self.block_until("ifchanged", &["endifchanged"], line)?;
                nodes.push(Node::IfChanged(body, line));
            }
            "raw" => {
                let (body, _, _, _) = self.block_until("raw", &["endraw"], line)?;
                nodes.extend(body);
            }
            "comment" => self.skip_comment(line)?,
            "doc" => {
                if !markup.is_empty() {
                    return Err(self.err(line, "'doc' takes no arguments"));
                }
                // The lexer read the body verbatim, as for `raw`; it is dropped.
                self.block_until("doc", &["enddoc"], line)?;
            }
            "#" => {
                // Every line of an inline comment must start with `#`.
                for text in markup.lines().skip(1) {
                    if !text.trim_start().starts_with('#') && !text.trim().is_empty() {
                        return Err(
                            self.err(line, "every line of an inline comment must start with '#'")
                        );
                    }
                }
            }
            "liquid" => self.liquid_tag(markup, line, nodes)?,
            // `{% render block %}`: an app block (Shopify's apps inject them). No app runs
            // offline, so it renders nothing.
            "render" if markup.trim() == "block" => {}
            "render" | "include" => {
                let strict = self.partial(name, markup, line);
                let partial = self.fallback(strict, || {
                    let found = lax::partial(markup)?;
                    Ok(Partial {
                        name: Expr::Str(found.name),
                        bound: found.bound.map(|(is_for, value)| {
                            let binding = if is_for { Binding::For } else { Binding::With };
                            (binding, value)
                        }),
                        alias: found.alias,
                        kwargs: found.kwargs,
                        line,
                    })
                })?;
                nodes.push(if name == "render" {
                    Node::Render(Box::new(partial))
                } else {
                    Node::Include(Box::new(partial))
                });
            }
            "section" | "sections" | "content_for" => {
                let call = self.theme_call(name, markup, line)?;
                nodes.push(Node::ThemeCall(Box::new(call)));
            }
            "form" => {
                let call = self.theme_call("form", markup, line)?;
                let (body, _, _, _) = self.block_until("form", &["endform"], line)?;
                nodes.push(Node::Form(Box::new(call), body));
            }
            "paginate" => nodes.push(self.paginate_tag(markup, line)?),
            "style" => {
                let (body, _, _, _) = self.block_until("style", &["endstyle"], line)?;
                nodes.push(Node::Style(body, line));
            }
            "schema" | "stylesheet" | "javascript" => {
                // The lexer read the body verbatim. A section's schema was cut out before
                // parsing; anywhere else it prints nothing, as on Shopify. A stylesheet or script
                // prints nothing in place either: the theme serves every file's in bundles that
                // `content_for_header` links (the loader reads them from the source).
                let end = format!("end{name}");
                self.block_until(name, &[end.as_str()], line)?;
            }
            // Read by the theme loader before parsing (which layout wraps the template).
            "layout" => {}
            "" => return Err(self.err(line, "a tag needs a name")),
            other => return Err(self.err(line, format!("unknown tag '{other}'"))),
        }
        Ok(())
    }

    fn if_tag(&mut self, name: &str, markup: &str, line: u32) -> Result<Node, LiquidError> {
        let end = if name == "if" { "endif" } else { "endunless" };
        let strict = self
            .parser(line, markup)
            .and_then(|mut p| p.whole_condition());
        let mut first = self.fallback(strict, || lax::condition(markup))?;
        if name == "unless" {
            first = Condition::Not(Box::new(first));
        }
        let mut branches = Vec::new();
        let mut condition = first;
        let mut branch_line = line;
        loop {
            let (body, tag, tag_markup, tag_line) =
                self.block_until(name, &["elsif", "else", end], line)?;
            branches.push((condition, body, branch_line));
            match tag.as_str() {
                "elsif" => {
                    let strict = self
                        .parser(tag_line, &tag_markup)
                        .and_then(|mut p| p.whole_condition());
                    condition = self.fallback(strict, || lax::condition(&tag_markup))?;
                    branch_line = tag_line;
                }
                "else" => {
                    let (body, mut tag, _, _) =
                        self.block_until(name, &[end, "else", "elsif"], line)?;
                    // Blocks after the first `else` are read and dropped, as Liquid does.
                    while tag != end {
                        (_, tag, _, _) = self.block_until(name, &[end, "else", "elsif"], line)?;
                    }
                    return Ok(Node::If {
                        branches,
                        otherwise: Some((body, tag_line)),
                        line,
                    });
                }
                _ => {
                    return Ok(Node::If {
                        branches,
                        otherwise: None,
                        line,
                    });
                }
            }
        }
    }

    fn case_tag(&mut self, markup: &str, line: u32) -> Result<Node, LiquidError> {
        let strict = self.parser(line, markup).and_then(|mut p| {
            let subject = p.expr()?;
            p.expect_end()?;
            Ok(subject)
        });
        let subject = self.fallback(strict, || lax::case_subject(markup))?;
        // Whatever sits between `case` and the first `when` is dropped, as Liquid does.
        let (_, mut tag, mut tag_markup, mut tag_line) =
            self.block_until("case", &["when", "else", "endcase"], line)?;
        let mut arms = Vec::new();
        loop {
            match tag.as_str() {
                "when" => {
                    let strict = self.parser(tag_line, &tag_markup).and_then(|mut p| {
                        let mut values = vec![p.expr()?];
                        while p.eat(&Tok::Comma) || p.eat_word("or") {
                            values.push(p.expr()?);
                        }
                        p.expect_end()?;
                        Ok(values)
                    });
                    let values = self.fallback(strict, || lax::when_values(&tag_markup))?;
                    let (body, next, next_markup, next_line) =
                        self.block_until("case", &["when", "else", "endcase"], line)?;
                    arms.push(CaseArm::When(values, body, tag_line));
                    (tag, tag_markup, tag_line) = (next, next_markup, next_line);
                }
                "else" => {
                    // Unlike `if`'s, a `case`'s `else` with markup is an error in Ruby Liquid,
                    // lax mode included.
                    if !tag_markup.is_empty() {
                        return Err(self.err(tag_line, "'else' in 'case' takes no arguments"));
                    }
                    let (body, next, next_markup, next_line) =
                        self.block_until("case", &["when", "else", "endcase"], line)?;
                    arms.push(CaseArm::Else(body, tag_line));
                    (tag, tag_markup, tag_line) = (next, next_markup, next_line);
                }
                _ => {
                    return Ok(Node::Case {
                        subject,
                        arms,
                        line,
                    });
                }
            }
        }
    }

    fn for_tag(&mut self, markup: &str, line: u32) -> Result<Node, LiquidError> {
        let strict = self.for_header(markup, line);
        let header = self.fallback(strict, || {
            let found = lax::for_loop(markup)?;
            Ok(ForHeader {
                name: format!("{}-{}", found.var, found.collection_markup),
                var: found.var,
                collection: found.collection,
                limit: found.limit,
                offset: found
                    .offset
                    .map(|offset| offset.map_or(Offset::Continue, Offset::Expr)),
                reversed: found.reversed,
            })
        })?;
        let ForHeader {
            var,
            collection,
            name,
            limit,
            offset,
            reversed,
        } = header;
        let (body, tag, _, tag_line) = self.block_until("for", &["else", "endfor"], line)?;
        let otherwise = if tag == "else" {
            let (body, _, _, _) = self.block_until("for", &["endfor"], line)?;
            Some((body, tag_line))
        } else {
            None
        };
        Ok(Node::For(Box::new(ForLoop {
            var,
            collection,
            name,
            limit,
            offset,
            reversed,
            body,
            otherwise,
            line,
        })))
    }

    /// `var in collection` and its `limit`, `offset` and `reversed`, read strictly.
    fn for_header(&self, markup: &str, line: u32) -> Result<ForHeader, LiquidError> {
        let mut p = self.parser(line, markup)?;
        let var = p.loop_var()?;
        if !p.eat_word("in") {
            return Err(p.unexpected("expected 'in'"));
        }
        let collection = p.expr()?;
        let collection_markup = markup
            .split_once(" in ")
            .map(|(_, rest)| rest.split_whitespace().next().unwrap_or(""))
            .unwrap_or("");
        let name = format!("{var}-{collection_markup}");
        let mut limit = None;
        let mut offset = None;
        let mut reversed = false;
        while !p.at_end() {
            if p.eat(&Tok::Comma) && p.at_end() {
                break;
            }
            if p.eat_word("reversed") {
                reversed = true;
            } else if p.eat_word("limit") {
                p.expect(&Tok::Colon)?;
                limit = Some(p.expr()?);
            } else if p.eat_word("offset") {
                p.expect(&Tok::Colon)?;
                offset = Some(if p.eat_word("continue") {
                    Offset::Continue
                } else {
                    Offset::Expr(p.expr()?)
                });
            } else {
                return Err(p.unexpected("expected 'limit', 'offset' or 'reversed'"));
            }
        }
        Ok(ForHeader {
            var,
            collection,
            name,
            limit,
            offset,
            reversed,
        })
    }

    fn tablerow_tag(&mut self, markup: &str, line: u32) -> Result<Node, LiquidError> {
        let strict = self.tablerow_header(markup, line);
        let header = self.fallback(strict, || {
            let found = lax::tablerow(markup)?;
            let pick = |key: &str| {
                found
                    .attributes
                    .iter()
                    .rev()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| lax::expr(v, false))
            };
            Ok(TablerowHeader {
                cols: pick("cols"),
                limit: pick("limit"),
                offset: pick("offset"),
                var: found.var,
                collection: found.collection,
            })
        })?;
        let TablerowHeader {
            var,
            collection,
            cols,
            limit,
            offset,
        } = header;
        let (body, _, _, _) = self.block_until("tablerow", &["endtablerow"], line)?;
        Ok(Node::Tablerow(Box::new(Tablerow {
            var,
            collection,
            cols,
            limit,
            offset,
            body,
            line,
        })))
    }

    /// `var in collection` and `cols`/`limit`/`offset`, read strictly.
    fn tablerow_header(&self, markup: &str, line: u32) -> Result<TablerowHeader, LiquidError> {
        let mut p = self.parser(line, markup)?;
        let var = p.target_name()?;
        if !p.eat_word("in") {
            return Err(p.unexpected("expected 'in'"));
        }
        let collection = p.expr()?;
        let (mut cols, mut limit, mut offset) = (None, None, None);
        while !p.at_end() {
            p.eat(&Tok::Comma);
            let word = p.ident()?;
            p.expect(&Tok::Colon)?;
            let value = p.expr()?;
            match word.as_str() {
                "cols" => cols = Some(value),
                "limit" => limit = Some(value),
                "offset" => offset = Some(value),
                other => return Err(p.error(format!("unknown tablerow argument '{other}'"))),
            }
        }
        Ok(TablerowHeader {
            var,
            collection,
            cols,
            limit,
            offset,
        })
    }

    fn cycle_tag(&mut self, markup: &str, line: u32) -> Result<Node, LiquidError> {
        let mut p = self.parser(line, markup)?;
        let first = p.expr()?;
        let (group, mut values) = if p.eat(&Tok::Colon) {
            (Some(first), vec![p.expr()?])
        } else {
            (None, vec![first])
        };
        while p.eat(&Tok::Comma) {
            values.push(p.expr()?);
        }
        p.expect_end()?;
        let key = match &group {
            Some(_) => String::new(),
            None => format!("{values:?}"),
        };
        Ok(Node::Cycle {
            group,
            values,
            key,
            line,
        })
    }

    fn partial(&mut self, tag: &str, markup: &str, line: u32) -> Result<Partial, LiquidError> {
        let mut p = self.parser(line, markup)?;
        let name = p.expr()?;
        if tag == "render" && !matches!(name, Expr::Str(_)) {
            return Err(p.error("'render' needs the template name as a string literal"));
        }
        let mut bound = None;
        let mut alias = None;
        if p.eat_word("with") {
            bound = Some((Binding::With, p.expr()?));
        } else if p.eat_word("for") {
            bound = Some((Binding::For, p.expr()?));
        }
        if p.eat_word("as") {
            alias = Some(p.target_name()?);
        }
        let mut kwargs = Vec::new();
        while !p.at_end() {
            // Ruby Liquid scans `key: value` pairs, so a trailing comma is accepted.
            if p.eat(&Tok::Comma) && p.at_end() {
                break;
            }
            let key = p.target_name()?;
            p.expect(&Tok::Colon)?;
            kwargs.push((key, p.expr()?));
        }
        Ok(Partial {
            name,
            bound,
            alias,
            kwargs,
            line,
        })
    }

    /// `section 'x'`, `sections 'x'`, `content_for 'blocks'`, `form 'type', obj, k: v`:
    /// comma-separated values, then `key: value` pairs.
    fn theme_call(&mut self, tag: &str, markup: &str, line: u32) -> Result<ThemeCall, LiquidError> {
        let tag = match tag {
            "section" => "section",
            "sections" => "sections",
            "content_for" => "content_for",
            _ => "form",
        };
        let mut p = self.parser(line, markup)?;
        let mut args = Vec::new();
        let mut kwargs = Vec::new();
        while !p.at_end() {
            if !args.is_empty() || !kwargs.is_empty() {
                p.expect(&Tok::Comma)?;
                if p.at_end() {
                    break;
                }
            }
            if let Some(len) = key_length(&p) {
                // `closest.product: product` names a dotted key.
                let mut key = p.target_name()?;
                for _ in 0..len / 2 {
                    p.expect(&Tok::Dot)?;
                    key.push('.');
                    key.push_str(&p.ident()?);
                }
                p.expect(&Tok::Colon)?;
                kwargs.push((key, p.expr()?));
            } else if kwargs.is_empty() {
                args.push(p.expr()?);
            } else {
                return Err(p.error("a value after keyword arguments"));
            }
        }
        if args.is_empty() {
            return Err(self.err(line, format!("'{tag}' needs a name")));
        }
        Ok(ThemeCall {
            tag,
            args,
            kwargs,
            line,
        })
    }

    /// `paginate items by n [, window_size: w]`.
    fn paginate_tag(&mut self, markup: &str, line: u32) -> Result<Node, LiquidError> {
        let mut p = self.parser(line, markup)?;
        let items = p.expr()?;
        if !p.eat_word("by") {
            return Err(p.error("'paginate' needs 'by' and a page size"));
        }
        let page_size = p.expr()?;
        let mut window = None;
        while !p.at_end() {
            if p.eat(&Tok::Comma) && p.at_end() {
                break;
            }
            let key = p.target_name()?;
            p.expect(&Tok::Colon)?;
            let value = p.expr()?;
            if key == "window_size" {
                window = Some(value);
            }
        }
        let (body, _, _, _) = self.block_until("paginate", &["endpaginate"], line)?;
        Ok(Node::Paginate(Box::new(Paginate {
            items,
            page_size,
            window,
            body,
            line,
        })))
    }

    /// A comment's body is lexed but not parsed: only nested `comment`/`endcomment` (and raw,
    /// which the lexer already read) count.
    fn skip_comment(&mut self, line: u32) -> Result<(), LiquidError> {
        let mut depth = 1;
        while self.pos < self.tokens.len() {
            let token = &self.tokens[self.pos];
            self.pos += 1;
            if let Token::Tag { name, .. } = token {
                match name.as_str() {
                    "comment" => depth += 1,
                    "endcomment" => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok(());
                        }
                    }
                    _ => {}
                }
            }
        }
        Err(self.err(line, "'comment' tag was never closed"))
    }

    /// `{% liquid %}`: one tag per line, without delimiters. Its blocks must close inside it.
    fn liquid_tag(
        &mut self,
        markup: &str,
        line: u32,
        nodes: &mut Vec<Node>,
    ) -> Result<(), LiquidError> {
        let mut tokens = Vec::new();
        // Inside `comment` ... `endcomment` a line is prose, not a tag (themes write notes
        // there); only nested comment tags count.
        let mut comment_depth = 0u32;
        // The markup starts right after `liquid`, on the tag's own line.
        for (index, text) in markup.split('\n').enumerate() {
            let line_no = line + u32::try_from(index).unwrap_or(u32::MAX);
            let text = text.strip_suffix('\r').unwrap_or(text);
            let (name, rest) = split_tag(text);
            if name == "#" {
                continue;
            }
            match name.as_str() {
                "comment" => comment_depth += 1,
                "endcomment" => comment_depth = comment_depth.saturating_sub(1),
                _ if comment_depth > 0 => {
                    tokens.push(Token::Text {
                        text: format!("{text}\n"),
                        line: line_no,
                    });
                    continue;
                }
                _ => {}
            }
            if !name.is_empty() {
                tokens.push(Token::Tag {
                    name,
                    markup: rest,
                    line: line_no,
                });
            } else if !text.trim().is_empty() {
                return Err(self.err(line_no, format!("unexpected '{}'", text.trim())));
            }
        }
        let mut inner = TreeBuilder {
            file: self.file,
            tokens,
            pos: 0,
            in_liquid_tag: true,
            lax: self.lax,
            warnings: Vec::new(),
        };
        let result = inner.block(&[]);
        self.warnings.append(&mut inner.warnings);
        let (body, end) = result?;
        if let Some((name, _, end_line)) = end {
            return Err(self.err(end_line, format!("unexpected '{name}'")));
        }
        let _ = inner.in_liquid_tag;
        nodes.extend(body);
        Ok(())
    }
}

/// Liquid drops the whitespace of a block tag whose bodies all print nothing but whitespace
/// (only tags like `assign` and whitespace text): applied to `if`/`unless`, `case` and `for`,
/// each tag as a whole.
pub fn strip_blank_bodies(nodes: &mut [Node]) {
    for node in nodes.iter_mut() {
        let blank = is_blank(node);
        let mut bodies: Vec<&mut Vec<Node>> = Vec::new();
        match node {
            Node::If {
                branches,
                otherwise,
                ..
            } => {
                bodies.extend(branches.iter_mut().map(|(_, body, _)| body));
                if let Some((body, _)) = otherwise {
                    bodies.push(body);
                }
            }
            Node::Case { arms, .. } => {
                bodies.extend(arms.iter_mut().map(|arm| match arm {
                    CaseArm::When(_, body, _) | CaseArm::Else(body, _) => body,
                }));
            }
            Node::For(for_loop) => {
                bodies.push(&mut for_loop.body);
                if let Some((body, _)) = &mut for_loop.otherwise {
                    bodies.push(body);
                }
            }
            Node::Capture { body, .. } | Node::IfChanged(body, _) => {
                strip_blank_bodies(body);
                continue;
            }
            Node::Tablerow(t) => {
                strip_blank_bodies(&mut t.body);
                continue;
            }
            _ => continue,
        }
        for body in bodies {
            strip_blank_bodies(body);
            if blank {
                body.retain(|n| !matches!(n, Node::Text(..)));
            }
        }
    }
}

fn is_blank(node: &Node) -> bool {
    match node {
        Node::Text(text, _) => text.chars().all(char::is_whitespace),
        Node::Assign { .. } | Node::Capture { .. } => true,
        Node::If {
            branches,
            otherwise,
            ..
        } => {
            branches.iter().all(|(_, b, _)| b.iter().all(is_blank))
                && otherwise
                    .as_ref()
                    .is_none_or(|(b, _)| b.iter().all(is_blank))
        }
        Node::Case { arms, .. } => arms.iter().all(|arm| match arm {
            CaseArm::When(_, b, _) | CaseArm::Else(b, _) => b.iter().all(is_blank),
        }),
        Node::For(f) => {
            f.body.iter().all(is_blank)
                && f.otherwise
                    .as_ref()
                    .is_none_or(|(b, _)| b.iter().all(is_blank))
        }
        _ => false,
    }
}

/// When the next tokens are a keyword argument's key (`name:` or `a.b.c:`), how many tokens
/// come before the colon, less one.
fn key_length(p: &Parser<'_>) -> Option<usize> {
    let mut n = 0;
    loop {
        if !matches!(p.peek_at(n), Some(Tok::Ident(_))) {
            return None;
        }
        match p.peek_at(n + 1) {
            Some(Tok::Colon) => return Some(n),
            Some(Tok::Dot) => n += 2,
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::lexer::tokenize;
    use super::*;

    fn parse_str(source: &str) -> Result<Vec<Node>, LiquidError> {
        parse("t.liquid", tokenize("t.liquid", source)?)
    }

    #[test]
    fn theme_tags_take_dotted_keys() {
        let nodes = parse_str(
            "{%- content_for 'block',\n    type: 'g',\n    id: 'media-gallery',\n    closest.product: closest.product,\n  -%}",
        )
        .expect("parses");
        let Some(Node::ThemeCall(call)) = nodes.first() else {
            panic!("{nodes:?}");
        };
        let keys: Vec<&str> = call.kwargs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["type", "id", "closest.product"]);
        let nodes = parse_str("{% render 'card', a: 1,\n b: 2,\n%}").expect("trailing comma");
        let Some(Node::Render(render)) = nodes.first() else {
            panic!("{nodes:?}");
        };
        assert_eq!(render.kwargs.len(), 2);
    }

    #[test]
    fn unknown_tags_and_unclosed_blocks_are_errors_with_lines() {
        assert_eq!(
            parse_str("a\n{% foo %}").unwrap_err().to_string(),
            "t.liquid:2: unknown tag 'foo'"
        );
        assert_eq!(
            parse_str("\n\n{% for x in y %}").unwrap_err().to_string(),
            "t.liquid:3: 'for' tag was never closed"
        );
        assert!(parse_str("{% endif %}").is_err());
    }

    #[test]
    fn if_elsif_else_and_case() {
        let nodes = parse_str("{% if a %}1{% elsif b %}2{% else %}3{% endif %}").unwrap();
        assert!(
            matches!(&nodes[0], Node::If { branches, otherwise: Some(_), .. } if branches.len() == 2)
        );
        let nodes =
            parse_str("{% case x %}{% when 1, 2 %}a{% when 3 or 4 %}b{% else %}c{% endcase %}")
                .unwrap();
        assert!(matches!(&nodes[0], Node::Case { arms, .. } if arms.len() == 3));
    }

    #[test]
    fn liquid_tag_lines_are_tags() {
        let nodes = parse_str("{% liquid\n assign x = 1\n echo x\n %}").unwrap();
        assert_eq!(nodes.len(), 2);
        assert!(matches!(&nodes[1], Node::Output(_, 3)));
        // A comment's lines are prose, as Prestige writes its notes.
        let nodes = parse_str(
            "{% liquid\n comment\n  (for instance) if you\n  comment\n nested\n endcomment\n endcomment\n echo 1\n %}",
        )
        .expect("a comment in a liquid tag");
        assert!(
            matches!(nodes.last(), Some(Node::Output(_, 8))),
            "{nodes:?}"
        );
    }
}
