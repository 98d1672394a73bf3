//! Property tests: random templates built from Liquid fragments (and random bytes), random
//! data. Whatever the input, compiling and rendering returns (Ok or a LiquidError): no panic,
//! no hang (the limits stop runaway loops and recursion).

use std::collections::HashMap;
use std::sync::Arc;

use proptest::prelude::*;

use super::{Limits, LiquidTemplate, Snippets};

const FRAGMENTS: &[&str] = &[
    "{% assign x = 1 %}",
    "{% assign s = s | append: s %}",
    "{% capture s %}{{ s }}{{ s }}{% endcapture %}",
    "{% for i in (1..100000000) %}",
    "{% for i in items limit: 2 offset: continue %}",
    "{% for i in items reversed %}",
    "{% endfor %}",
    "{% if x > 0 and y or z %}",
    "{% elsif x contains 'a' %}",
    "{% else %}",
    "{% endif %}",
    "{% unless x == empty %}",
    "{% endunless %}",
    "{% case x %}{% when 1, 2 %}",
    "{% endcase %}",
    "{% tablerow t in items cols: 2 %}",
    "{% endtablerow %}",
    "{% cycle 'a', 'b' %}",
    "{% increment c %}",
    "{% decrement c %}",
    "{% ifchanged %}",
    "{% endifchanged %}",
    "{% render 'loop' %}",
    "{% include 'loop' %}",
    "{% render 'other', x: x %}",
    "{% break %}",
    "{% continue %}",
    "{% raw %}",
    "{% endraw %}",
    "{% comment %}",
    "{% endcomment %}",
    "{% liquid\nassign y = 2\necho y\n%}",
    "{{ x }}",
    "{{ items[0].name | upcase }}",
    "{{ forloop.parentloop.index }}",
    "{{ s.size }}",
    "{{ (1..x) }}",
    "{{- x -}}",
    "{%- echo x -%}",
    "{% # comment %}",
    "{{",
    "{%",
    "}}",
    "%}",
    "text\n",
    "{",
    "'",
];

fn template() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            8 => prop::sample::select(FRAGMENTS).prop_map(str::to_string),
            1 => "[ -~\n]{0,12}",
        ],
        0..24,
    )
    .prop_map(|parts| parts.concat())
}

/// Fragments that are whole on their own.
const LEAVES: &[&str] = &[
    "{% assign x = x | plus: 1 %}",
    "{% assign s = s | append: 'ab' %}",
    "{% cycle 'a', 'b' %}",
    "{% cycle g: 1, 2, 3 %}",
    "{% increment c %}",
    "{% decrement c %}",
    "{% render 'loop' %}",
    "{% include 'loop' %}",
    "{% render 'other', x: x %}",
    "{% include 'other' with items %}",
    "{% break %}",
    "{% continue %}",
    "{{ x }}",
    "{{ forloop.index }}{{ forloop.parentloop.rindex }}",
    "{{ tablerowloop.col }}",
    "{{ s.size }}{{ items.first }}{{ items.last.name }}",
    "{{ (1..x) }}",
    "{{ x | default: 'd', allow_false: true }}",
    "text\n",
];

/// Blocks with their end tags, nested: templates that parse, so the render paths run.
const BLOCKS: &[(&str, &str)] = &[
    ("{% for i in items %}", "{% endfor %}"),
    ("{% for i in (1..x) limit: 3 %}", "{% else %}e{% endfor %}"),
    ("{% for i in items offset: continue %}", "{% endfor %}"),
    ("{% if x %}", "{% else %}-{% endif %}"),
    ("{% unless x contains 'a' %}", "{% endunless %}"),
    ("{% case x %}{% when 1, 'a' %}", "{% else %}?{% endcase %}"),
    ("{% tablerow t in items cols: 2 %}", "{% endtablerow %}"),
    (
        "{% capture s %}",
        "{% endcapture %}{% assign s = s | append: s %}",
    ),
    ("{% ifchanged %}", "{% endifchanged %}"),
];

fn balanced() -> impl Strategy<Value = String> {
    let leaf = prop::sample::select(LEAVES).prop_map(str::to_string);
    leaf.prop_recursive(4, 40, 4, |inner| {
        (
            prop::sample::select(BLOCKS),
            prop::collection::vec(inner, 0..4),
        )
            .prop_map(|((open, close), body)| format!("{open}{}{close}", body.concat()))
    })
}

fn data() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        (-1e6f64..1e6).prop_map(serde_json::Value::from),
        "[a-z ]{0,8}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::btree_map("[a-z]{1,4}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
    .prop_map(
        |items| serde_json::json!({"x": items.clone(), "y": 1, "items": [items, {"name": "n"}]}),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_templates_never_panic_or_hang(
        source in prop_oneof![template(), prop::collection::vec(balanced(), 1..4).prop_map(|v| v.concat())],
        globals in data(),
    ) {
        let snippets: HashMap<String, String> = [
            ("loop".to_string(), "{% render 'loop' %}{% include 'loop' %}".to_string()),
            ("other".to_string(), source.clone()),
        ]
        .into_iter()
        .collect();
        if let Ok(mut template) =
            LiquidTemplate::new("random.liquid", &source, Snippets::Map(Arc::new(snippets)))
        {
            // Small limits keep each case quick; they are the same code paths as the defaults.
            template.set_limits(Limits {
                max_render_depth: 8,
                max_output_bytes: 1 << 16,
                max_items: 10_000,
                fuel: 200_000,
                ..Limits::default()
            });
            // Nested renders recurse on the native stack: a thread with room for them, as a
            // server worker would have.
            let outcome = std::thread::Builder::new()
                .stack_size(64 << 20)
                .spawn(move || template.render_json(&globals).map(|_| ()))
                .map(|handle| handle.join());
            prop_assert!(matches!(outcome, Ok(Ok(_))), "the render panicked");
        }
    }
}
