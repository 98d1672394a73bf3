//! Random values and arguments into every filter: each call returns a value or an error, never
//! a panic (the arity check, the sort, the number and date code all see hostile input here).

use minijinja::Value;
use minijinja::value::Kwargs;
use proptest::prelude::*;

use super::FILTERS;

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::UNDEFINED),
        Just(Value::from(())),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1000i64..1000).prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        Just(Value::from(i128::MAX)),
        "[ -~\t\n\r<>&%#émz0-9]{0,12}".prop_map(Value::from),
        "-?[0-9]{1,25}(\\.[0-9]{1,25})?".prop_map(Value::from),
        "%[-_0^#:]{0,3}[0-9]{0,3}[a-zA-Z%+:]".prop_map(Value::from),
        "(19|20)[0-9]{2}-[0-1][0-9]-[0-3][0-9]( [0-2][0-9]:[0-5][0-9](:[0-5][0-9])?)?( [+-][0-9]{4}| utc| z)?"
            .prop_map(Value::from),
        "[A-Za-z0-9+/=_-]{0,12}".prop_map(Value::from),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map("[a-z]{1,3}", inner, 0..4).prop_map(Value::from),
        ]
    })
}

fn arguments() -> impl Strategy<Value = Vec<Value>> {
    (
        prop::collection::vec(value(), 0..4),
        prop::option::of((any::<bool>(), value())),
    )
        .prop_map(|(mut args, keywords)| {
            if let Some((allow_false, other)) = keywords {
                let kwargs: Kwargs = [("allow_false", Value::from(allow_false)), ("other", other)]
                    .into_iter()
                    .collect();
                args.push(Value::from(kwargs));
            }
            args
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_filter_panics_on_random_input(input in value(), args in arguments()) {
        for filter in FILTERS {
            let _ = filter.call(&input, &args);
        }
    }
}
