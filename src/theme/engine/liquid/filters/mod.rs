//! Liquid's standard filters, registered under `liquid_<name>` so that they never collide with
//! the theme's own filters (the lowering maps `| upcase` to `| liquid_upcase`).
//!
//! Each filter follows Ruby Liquid 5.x (Shopify/liquid), edge cases included: how a value turns
//! into a string or a number, how arrays are flattened, which inputs raise and which quietly give
//! nil. Errors carry a detail that starts with `Liquid error:`, as Liquid prints them.

mod arrays;
mod coerce;
mod compare;
mod dates;
mod encoding;
mod fallback;
mod filtering;
mod html;
mod math;
mod number;
mod strings;

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod golden;

use minijinja::value::ArgType;
use minijinja::{Environment, Error, ErrorKind, State, Value};

/// A filter body: the input and the arguments after it. Keyword arguments arrive as one trailing
/// map, the way Ruby Liquid hands them to a filter as its last positional argument.
type FilterFn = fn(&Value, &[Value]) -> Result<Value, Error>;

/// One standard filter: its registered name and how many arguments (after the input) Ruby's
/// method signature accepts.
struct Filter {
    name: &'static str,
    min_args: usize,
    max_args: usize,
    run: FilterFn,
}

macro_rules! filter {
    ($name:literal, $min:expr, $max:expr, $run:path) => {
        Filter {
            name: concat!("liquid_", $name),
            min_args: $min,
            max_args: $max,
            run: $run,
        }
    };
}

/// Every standard filter of Liquid 5.x, with the argument counts of its Ruby definition.
const FILTERS: &[Filter] = &[
    filter!("abs", 0, 0, math::abs),
    filter!("append", 1, 1, strings::append),
    filter!("at_least", 1, 1, math::at_least),
    filter!("at_most", 1, 1, math::at_most),
    filter!("base64_decode", 0, 0, encoding::base64_decode),
    filter!("base64_encode", 0, 0, encoding::base64_encode),
    filter!(
        "base64_url_safe_decode",
        0,
        0,
        encoding::base64_url_safe_decode
    ),
    filter!(
        "base64_url_safe_encode",
        0,
        0,
        encoding::base64_url_safe_encode
    ),
    filter!("capitalize", 0, 0, strings::capitalize),
    filter!("ceil", 0, 0, math::ceil),
    filter!("compact", 0, 1, arrays::compact),
    filter!("concat", 1, 1, arrays::concat),
    filter!("date", 1, 1, dates::date),
    filter!("default", 0, 2, fallback::default),
    filter!("divided_by", 1, 1, math::divided_by),
    filter!("downcase", 0, 0, strings::downcase),
    filter!("escape", 0, 0, html::escape),
    filter!("escape_once", 0, 0, html::escape_once),
    filter!("find", 1, 2, filtering::find),
    filter!("find_index", 1, 2, filtering::find_index),
    filter!("first", 0, 0, arrays::first),
    filter!("floor", 0, 0, math::floor),
    filter!("h", 0, 0, html::escape),
    filter!("has", 1, 2, filtering::has),
    filter!("join", 0, 1, arrays::join),
    filter!("last", 0, 0, arrays::last),
    filter!("lstrip", 0, 0, strings::lstrip),
    filter!("map", 1, 1, arrays::map),
    filter!("minus", 1, 1, math::minus),
    filter!("modulo", 1, 1, math::modulo),
    filter!("newline_to_br", 0, 0, strings::newline_to_br),
    filter!("plus", 1, 1, math::plus),
    filter!("prepend", 1, 1, strings::prepend),
    filter!("reject", 1, 2, filtering::reject),
    filter!("remove", 1, 1, strings::remove),
    filter!("remove_first", 1, 1, strings::remove_first),
    filter!("remove_last", 1, 1, strings::remove_last),
    filter!("replace", 1, 2, strings::replace),
    filter!("replace_first", 1, 2, strings::replace_first),
    filter!("replace_last", 2, 2, strings::replace_last),
    filter!("reverse", 0, 0, arrays::reverse),
    filter!("round", 0, 1, math::round),
    filter!("rstrip", 0, 0, strings::rstrip),
    filter!("size", 0, 0, arrays::size),
    filter!("slice", 1, 2, strings::slice),
    filter!("sort", 0, 1, arrays::sort),
    filter!("sort_natural", 0, 1, arrays::sort_natural),
    filter!("split", 1, 1, strings::split),
    filter!("squish", 0, 0, strings::squish),
    filter!("strip", 0, 0, strings::strip),
    filter!("strip_html", 0, 0, html::strip_html),
    filter!("strip_newlines", 0, 0, strings::strip_newlines),
    filter!("sum", 0, 1, arrays::sum),
    filter!("times", 1, 1, math::times),
    filter!("truncate", 0, 2, strings::truncate),
    filter!("truncatewords", 0, 2, strings::truncatewords),
    filter!("uniq", 0, 1, arrays::uniq),
    filter!("upcase", 0, 0, strings::upcase),
    filter!("url_decode", 0, 0, html::url_decode),
    filter!("url_encode", 0, 0, html::url_encode),
    filter!("where", 1, 2, filtering::where_),
];

/// Adds every standard Liquid filter to `env`.
pub fn register(env: &mut Environment<'_>) {
    for filter in FILTERS {
        env.add_filter(
            filter.name,
            move |input: &Value, args: FilterArgs<'_>| -> Result<Value, Error> {
                filter.call(input, args.0)
            },
        );
    }
}

/// The arguments after a filter's input, keyword arguments (one trailing map) included, as the
/// slice minijinja already holds: `Rest<ValueOrKwargs>` copied them into two vectors per call,
/// a tenth of a render in loops of filters.
struct FilterArgs<'a>(&'a [Value]);

impl<'a> ArgType<'a> for FilterArgs<'_> {
    type Output = FilterArgs<'a>;

    fn from_value(value: Option<&'a Value>) -> Result<FilterArgs<'a>, Error> {
        Ok(FilterArgs(
            value.map(std::slice::from_ref).unwrap_or_default(),
        ))
    }

    fn from_state_and_values(
        _state: Option<&'a State>,
        values: &'a [Value],
        offset: usize,
    ) -> Result<(FilterArgs<'a>, usize), Error> {
        let args = values.get(offset..).unwrap_or_default();
        Ok((FilterArgs(args), args.len()))
    }

    fn from_state_and_values_mut(
        _state: Option<&State>,
        values: &'a [Value],
        offset: usize,
    ) -> Result<(FilterArgs<'a>, usize), Error> {
        let args = values.get(offset..).unwrap_or_default();
        Ok((FilterArgs(args), args.len()))
    }
}

/// The registered names (`liquid_upcase`, ...), for the lowering and `vitrine check`.
pub fn names() -> impl Iterator<Item = &'static str> {
    FILTERS.iter().map(|filter| filter.name)
}

/// How many arguments (after the input) the filter registered as `name` takes, as
/// `(least, most)`; keyword arguments count as one. For checks before rendering.
pub fn argument_counts(name: &str) -> Option<(usize, usize)> {
    FILTERS
        .iter()
        .find(|filter| filter.name == name)
        .map(|filter| (filter.min_args, filter.max_args))
}

/// Ruby Liquid's `Utils.to_s`: how a scalar or a hash prints (`{"a"=>1}` for a hash, `true` for
/// true, `1.0` for a float). Arrays come out as Ruby inspects them; Liquid's output of an array
/// runs its items together instead, which is the renderer's part.
pub fn liquid_to_s(value: &Value) -> String {
    coerce::to_s(value).into_owned()
}

impl Filter {
    fn call(&self, input: &Value, args: &[Value]) -> Result<Value, Error> {
        let given = args.len();
        if given < self.min_args || given > self.max_args {
            return Err(self.arity_error(given));
        }
        (self.run)(input, args)
    }

    /// Ruby's own wording, counting the input as the first argument.
    fn arity_error(&self, given: usize) -> Error {
        let expected = if self.min_args == self.max_args {
            format!("{}", self.min_args + 1)
        } else {
            format!("{}..{}", self.min_args + 1, self.max_args + 1)
        };
        let kind = if given > self.max_args {
            ErrorKind::TooManyArguments
        } else {
            ErrorKind::MissingArgument
        };
        Error::new(
            kind,
            format!(
                "Liquid error: wrong number of arguments (given {}, expected {expected}) in {}",
                given + 1,
                self.name.trim_start_matches("liquid_"),
            ),
        )
    }
}

/// An error as Liquid reports it, e.g. `Liquid error: divided by 0`.
fn liquid_error(message: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::InvalidOperation,
        format!("Liquid error: {message}"),
    )
}

/// The argument at `index`, nil when it was not given (the arity check runs before a filter,
/// so this only matters for direct calls).
fn arg(args: &[Value], index: usize) -> &Value {
    static NIL: Value = Value::UNDEFINED;
    args.get(index).unwrap_or(&NIL)
}

/// An optional argument: absent and nil are the same to Ruby's default parameters only when the
/// argument is absent, so this keeps "given as nil" apart from "not given".
fn opt_arg(args: &[Value], index: usize) -> Option<&Value> {
    args.get(index)
}

/// How a value prints in Liquid output (for tests: nil empty, booleans lower case, arrays run
/// together). The renderer has its own formatter; this one keeps the filter tests independent.
#[cfg(test)]
fn output(value: &Value) -> String {
    use minijinja::value::ValueKind;
    match value.kind() {
        ValueKind::Bool => coerce::to_s(value).into_owned(),
        ValueKind::Seq | ValueKind::Iterable => value
            .try_iter()
            .map(|items| items.map(|item| output(&item)).collect())
            .unwrap_or_default(),
        _ => crate::theme::engine::liquid::value::to_liquid_string(value),
    }
}

/// An environment with these filters, Liquid-like undefined values and Liquid's output.
#[cfg(test)]
fn test_environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
    env.set_formatter(|out, _state, value| {
        out.write_str(&output(value))
            .map_err(|_| Error::from(ErrorKind::WriteFailure))
    });
    register(&mut env);
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_filter_of_the_issue_is_registered() {
        let wanted = "abs append at_least at_most base64_decode base64_encode \
            base64_url_safe_decode base64_url_safe_encode capitalize ceil compact concat date \
            default divided_by downcase escape escape_once find find_index first floor has join \
            last lstrip map minus modulo newline_to_br plus prepend reject remove remove_first \
            remove_last replace replace_first replace_last reverse round rstrip size slice sort \
            sort_natural split strip strip_html strip_newlines sum times truncate truncatewords \
            uniq upcase url_decode url_encode where";
        let names: Vec<&str> = names().collect();
        for name in wanted.split_whitespace() {
            assert!(
                names.contains(&format!("liquid_{name}").as_str()),
                "{name} is missing"
            );
        }
    }

    #[test]
    fn wrong_argument_counts_fail_with_rubys_wording() {
        let env = test_environment();
        let err = env
            .render_str("{{ 'a'|liquid_upcase(1) }}", ())
            .expect_err("upcase takes no argument");
        let text = err.to_string();
        assert!(
            text.contains("wrong number of arguments (given 2, expected 1)"),
            "{text}"
        );
        let err = env
            .render_str("{{ 'a'|liquid_slice }}", ())
            .expect_err("slice needs an offset");
        assert!(
            err.to_string().contains("(given 1, expected 2..3)"),
            "{err}"
        );
    }

    #[test]
    fn undefined_input_and_keyword_arguments_arrive_as_liquid_expects() {
        // The default (lenient) undefined behaviour hands undefined values to the filters.
        let mut env = Environment::new();
        register(&mut env);
        let rendered = env
            .render_str("{{ nosuch|liquid_size }}|{{ nosuch|liquid_plus(2) }}", ())
            .expect("renders");
        assert_eq!(rendered, "0|2");
        // Keyword arguments to a filter that takes none count as its one extra argument.
        let err = env
            .render_str("{{ 'a'|liquid_upcase(x=1) }}", ())
            .expect_err("upcase takes no options");
        assert!(err.to_string().contains("given 2, expected 1"), "{err}");
        let rendered = env
            .render_str("{{ 'a'|liquid_append(x=1) }}", ())
            .expect("append takes one");
        assert_eq!(rendered, r#"a{"x"=>1}"#);
    }

    #[test]
    fn argument_counts_and_to_s_are_available_to_the_front_end() {
        assert_eq!(argument_counts("liquid_slice"), Some((1, 2)));
        assert_eq!(argument_counts("liquid_upcase"), Some((0, 0)));
        assert_eq!(argument_counts("upcase"), None);
        assert_eq!(liquid_to_s(&Value::from(true)), "true");
        assert_eq!(liquid_to_s(&Value::from(2.0)), "2.0");
    }
}
