//! `forloop` and `break`/`continue` where the loop is not lexically around them: in a file
//! pulled in with `include` (which shares the includer's scope, `forloop` with it) and inside a
//! `when` of several values. Expected outputs are Ruby Liquid 5.13's.

use std::collections::HashMap;
use std::sync::Arc;

use super::{LiquidTemplate, Snippets};

fn render(source: &str, snippets: &[(&str, &str)]) -> String {
    let snippets: HashMap<String, String> = snippets
        .iter()
        .map(|(name, text)| (name.to_string(), text.to_string()))
        .collect();
    LiquidTemplate::new("t.liquid", source, Snippets::Map(Arc::new(snippets)))
        .and_then(|t| t.render_json(&serde_json::json!({})))
        .unwrap_or_else(|e| format!("error: {e}"))
}

#[test]
fn an_included_file_sees_the_includers_forloop() {
    let idx = (
        "idx",
        "{{ forloop.index }}/{{ forloop.length }}{% if forloop.last %}.{% endif %},",
    );
    assert_eq!(
        render(
            "{% for i in (1..3) %}{% include 'idx' %}{% endfor %}",
            &[idx]
        ),
        "1/3,2/3,3/3.,"
    );
    assert_eq!(
        render(
            "{% for i in (1..2) %}{% include 'idx', x: 1 %}{% endfor %}",
            &[idx]
        ),
        "1/2,2/2.,"
    );
    let parent = ("p", "{{ forloop.parentloop.index }}{{ forloop.index }} ");
    assert_eq!(
        render(
            "{% for a in (1..2) %}{% for b in (1..2) %}{% include 'p' %}{% endfor %}{% endfor %}",
            &[parent]
        ),
        "11 12 21 22 "
    );
    // Outside a loop there is none; `render` never sees the caller's.
    assert_eq!(render("{% include 'idx' %}", &[idx]), "/,");
    assert_eq!(
        render(
            "{% for i in (1..2) %}{% render 'idx' %}{% endfor %}",
            &[idx]
        ),
        "/,/,"
    );
}

#[test]
fn break_and_continue_inside_a_when_of_several_values() {
    assert_eq!(
        render(
            "{% for i in (1..4) %}{% case i %}{% when 1, 3 %}{% continue %}{% endcase %}{{ i }}{% endfor %}",
            &[]
        ),
        "24"
    );
    assert_eq!(
        render(
            "{% for i in (1..4) %}{{ i }}{% case i %}{% when 2, 3 %}x{% break %}y{% endcase %}{% endfor %}",
            &[]
        ),
        "12x"
    );
    // Both values match: the body would render twice, but `break` ends the loop at once.
    assert_eq!(
        render(
            "{% for i in (1..4) %}{{ i }}{% case i %}{% when 2, 2 %}x{% break %}{% endcase %}{% endfor %}",
            &[]
        ),
        "12x"
    );
    let stop = (
        "stop",
        "{% case i %}{% when 2, 3 %}{% break %}{% endcase %}-",
    );
    assert_eq!(
        render(
            "{% for i in (1..4) %}{{ i }}{% include 'stop' %}{% endfor %}",
            &[stop]
        ),
        "1-2"
    );
    assert_eq!(
        render(
            "{% for i in (1..2) %}{% for j in (1..3) %}{% case j %}{% when 2, 9 %}{% break %}{% endcase %}{{ i }}{{ j }} {% endfor %}{% endfor %}",
            &[]
        ),
        "11 21 "
    );
}
