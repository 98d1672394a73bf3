//! The runtime side of Shopify's theme tags that need no theme files: `paginate` and `form`.
//! `section`, `sections` and `content_for` render theme files, so the theme loader registers
//! them; here they only have stand-ins that explain the error outside a theme.
//!
//! <https://shopify.dev/docs/api/liquid/tags/paginate>, <https://shopify.dev/docs/api/liquid/tags/form>

use std::sync::Arc;

use minijinja::value::{Object, ObjectRepr, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State};

use crate::theme::objects::context::{Listing, current_page, paginate};
use crate::theme::objects::html::escape_html;

/// Shopify's largest page size for `paginate`.
const MAX_PAGE_SIZE: usize = 250;

pub fn register(env: &mut Environment<'_>) {
    env.add_function("_lq_paginate", paginate_function);
    env.add_function("_lq_form", form_function);
    env.add_filter("_lq_form_open", |form: Value| {
        form.downcast_object_ref::<Form>()
            .map(|f| Value::from_safe_string(f.open_tag.clone()))
            .unwrap_or_default()
    });
    for tag in ["section", "sections", "content_for"] {
        env.add_function(format!("_lq_{tag}"), move |_: Value, _: Value| {
            Err::<Value, _>(Error::new(
                ErrorKind::InvalidOperation,
                format!("the '{tag}' tag only works in a theme"),
            ))
        });
    }
}

/// The `paginate` object, with the page of items the tag's body sees in place of the list.
#[derive(Debug)]
struct Paginated {
    object: Value,
    items: Value,
}

impl Object for Paginated {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "_lq_items" => Some(self.items.clone()),
            other => self
                .object
                .get_attr(other)
                .ok()
                .filter(|v| !v.is_undefined()),
        }
    }
}

/// A page size as Liquid reads one: a number, or a string of digits (a `text` or `select`
/// setting holds its number as a string, and Shopify accepts it).
fn whole_number(value: &Value) -> Option<usize> {
    if let Some(s) = value.as_str() {
        return s.trim().parse().ok();
    }
    if let Ok(n) = usize::try_from(value.clone()) {
        return Some(n);
    }
    f64::try_from(value.clone())
        .ok()
        .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= MAX_PAGE_SIZE as f64)
        .map(|f| f as usize)
}

fn paginate_function(
    state: &State,
    items: Value,
    page_size: Value,
    _window: Value,
) -> Result<Value, Error> {
    let size = whole_number(&page_size)
        .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
        .ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("paginate: the page size must be 1 to {MAX_PAGE_SIZE}, not {page_size}"),
            )
        })?;
    let all: Vec<Value> = match items.kind() {
        ValueKind::Undefined | ValueKind::None => Vec::new(),
        _ => items.try_iter().map(|it| it.collect()).unwrap_or_default(),
    };
    let page = current_page(state);
    let fallback = Listing::default();
    let listing = page.as_deref().map_or(&fallback, |p| &p.listing);
    let current = listing.page.max(1);
    let start = (current - 1).saturating_mul(size).min(all.len());
    let end = start.saturating_add(size).min(all.len());
    let object = paginate(listing, current, all.len(), size);
    Ok(Value::from_object(Paginated {
        object,
        items: Value::from(all[start..end].to_vec()),
    }))
}

/// The `form` object inside `{% form %}`, and the opening tag it prints.
#[derive(Debug)]
struct Form {
    open_tag: String,
    id: String,
    /// A contact or customer form that was just sent: the page came back with
    /// `?contact_posted=true`, as Shopify redirects after `POST /contact`.
    posted: bool,
    /// `form.errors`: nil, or why a customer form sent just before was refused.
    errors: Value,
}

impl Object for Form {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(match key.as_str()? {
            "id" => Value::from(self.id.as_str()),
            "posted_successfully?" => Value::from(self.posted),
            "errors" => self.errors.clone(),
            _ => return None,
        })
    }
}

/// Shopify's `form_errors`: iterates the field names (`form` here: the message is about the
/// whole form), with `messages` and `translated_fields` by field.
/// <https://shopify.dev/docs/api/liquid/objects/form_errors>
#[derive(Debug)]
struct FormErrors(String);

impl Object for FormErrors {
    // A list of field names, so `for field in form.errors` gives `form`.
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(match key.as_str() {
            Some("messages") => Value::from_pairs([("form", Value::from(self.0.as_str()))]),
            Some("translated_fields") => Value::from_pairs([("form", Value::from("Form"))]),
            Some("size") => Value::from(1),
            Some(_) => return None,
            None if key.as_usize() == Some(0) => Value::from("form"),
            None => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Seq(1)
    }
}

/// Action, id and class of each form type, as Shopify renders them.
fn form_shape(kind: &str, object: &Value, prefix: &str) -> Option<(String, String, &'static str)> {
    let attr = |name: &str| {
        object
            .get_attr(name)
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_none())
            .map(|v| v.to_string())
    };
    let p = prefix;
    Some(match kind {
        "product" => (
            format!("{p}/cart/add"),
            format!("product_form_{}", attr("id").unwrap_or_default()),
            "shopify-product-form",
        ),
        "cart" => (format!("{p}/cart"), "cart_form".into(), "shopify-cart-form"),
        "contact" => (
            format!("{p}/contact#contact_form"),
            "contact_form".into(),
            "contact-form",
        ),
        "customer" => (
            format!("{p}/contact#customer_form"),
            "customer_form".into(),
            "",
        ),
        "customer_login" => (format!("{p}/account/login"), "customer_login".into(), ""),
        "guest_login" => (
            format!("{p}/account/login"),
            "customer_login_guest".into(),
            "",
        ),
        "create_customer" => (format!("{p}/account"), "create_customer".into(), ""),
        "recover_customer_password" => (
            format!("{p}/account/recover"),
            "recover_customer_password".into(),
            "",
        ),
        "reset_customer_password" => (
            format!("{p}/account/reset"),
            "reset_customer_password".into(),
            "",
        ),
        "activate_customer_password" => (
            format!("{p}/account/activate"),
            "activate_customer_password".into(),
            "",
        ),
        "customer_address" => match attr("id") {
            Some(id) => (
                format!("{p}/account/addresses/{id}"),
                format!("address_form_{id}"),
                "",
            ),
            None => (
                format!("{p}/account/addresses"),
                "address_form_new".into(),
                "",
            ),
        },
        "localization" => (
            format!("{p}/localization"),
            "localization_form".into(),
            "shopify-localization-form",
        ),
        "new_comment" => (
            format!("{}/comments", attr("url").unwrap_or_default()),
            "comment_form".into(),
            "comment-form",
        ),
        "storefront_password" => (format!("{p}/password"), "login_form".into(), ""),
        "currency" => (format!("{p}/cart/update"), "currency_form".into(), ""),
        _ => return None,
    })
}

/// `{% form 'product', product, id: 'x', class: 'y', data-foo: 'z' %}`.
fn form_function(state: &State, kind: Value, object: Value, attrs: Value) -> Result<Value, Error> {
    let kind = kind.to_string();
    let page = current_page(state);
    let prefix = page.as_deref().map_or("", |p| p.prefix.as_str());
    let (action, default_id, class) = form_shape(&kind, &object, prefix).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("unknown form type '{kind}'"),
        )
    })?;
    let lookup = |name: &str| {
        attrs
            .get_attr(name)
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_none())
            .map(|v| v.to_string())
    };
    let id = lookup("id").unwrap_or(default_id);
    let class = match lookup("class") {
        Some(extra) if class.is_empty() => extra,
        Some(extra) => format!("{class} {extra}"),
        None => class.to_owned(),
    };
    let mut tag = format!(
        "<form method=\"post\" action=\"{}\" id=\"{}\" accept-charset=\"UTF-8\"",
        escape_html(&action),
        escape_html(&id)
    );
    if !class.is_empty() {
        tag.push_str(&format!(" class=\"{}\"", escape_html(&class)));
    }
    if kind == "product" {
        tag.push_str(" enctype=\"multipart/form-data\"");
    }
    let mut return_to = None;
    if let Ok(keys) = attrs.try_iter() {
        for key in keys {
            let name = key.to_string();
            if matches!(name.as_str(), "id" | "class") {
                continue;
            }
            let Some(value) = lookup(&name) else { continue };
            if name == "return_to" {
                return_to = Some(value);
                continue;
            }
            // Attribute names come from the template; keep only what HTML allows unquoted.
            if name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':'))
            {
                tag.push_str(&format!(" {name}=\"{}\"", escape_html(&value)));
            }
        }
    }
    tag.push('>');
    tag.push_str(&format!(
        "<input type=\"hidden\" name=\"form_type\" value=\"{}\" /><input type=\"hidden\" name=\"utf8\" value=\"✓\" />",
        escape_html(&kind)
    ));
    if kind == "localization" {
        let here = page
            .as_deref()
            .map(|p| format!("{}{}", p.prefix, p.listing.path))
            .unwrap_or_else(|| "/".into());
        return_to.get_or_insert(here);
        tag.push_str("<input type=\"hidden\" name=\"_method\" value=\"put\" />");
    }
    if kind == "customer" {
        tag.push_str("<input type=\"hidden\" name=\"contact[tags]\" value=\"newsletter\" />");
    }
    if let Some(to) = return_to {
        tag.push_str(&format!(
            "<input type=\"hidden\" name=\"return_to\" value=\"{}\" />",
            escape_html(&to)
        ));
    }
    let posted = matches!(kind.as_str(), "contact" | "customer")
        && page
            .as_deref()
            .and_then(|p| p.query_param("contact_posted"))
            == Some("true");
    // A customer form comes back with the server's refusal (there are no accounts offline) as
    // its errors, where Shopify would say the password was wrong.
    let errors = match (
        kind.as_str(),
        page.as_deref().and_then(|p| p.flash_message()),
    ) {
        (
            "customer_login"
            | "create_customer"
            | "recover_customer_password"
            | "reset_customer_password"
            | "activate_customer_password",
            Some(message),
        ) => Value::from_object(FormErrors(message)),
        _ => Value::from(()),
    };
    Ok(Value::from_object(Form {
        open_tag: tag,
        id,
        posted,
        errors,
    }))
}

#[cfg(test)]
mod tests {
    use super::super::{LiquidTemplate, Snippets};

    fn render(source: &str, data: serde_json::Value) -> String {
        let template = LiquidTemplate::new("t.liquid", source, Snippets::None).expect("parses");
        template.render_json(&data).expect("renders")
    }

    #[test]
    fn paginate_slices_the_list_and_fills_the_object() {
        let out = render(
            "{% paginate items by 2 %}{% for i in items %}{{ i }}{% endfor %}|{{ paginate.pages }} {{ paginate.items }} {{ paginate.current_page }} {{ paginate.next.url }}{% endpaginate %}",
            serde_json::json!({"items": [1, 2, 3, 4, 5]}),
        );
        assert_eq!(out, "12|3 5 1 ?page=2");
    }

    #[test]
    fn a_page_size_may_be_a_string_of_digits_but_not_a_word() {
        let source =
            "{% paginate items by size %}{% for i in items %}{{ i }}{% endfor %}{% endpaginate %}";
        let data =
            |size: serde_json::Value| serde_json::json!({"items": [1, 2, 3, 4], "size": size});
        assert_eq!(render(source, data("3".into())), "123");
        assert_eq!(render(source, data(2.0.into())), "12");
        let template = LiquidTemplate::new("t.liquid", source, Snippets::None).expect("parses");
        let err = template
            .render_json(&data("many".into()))
            .expect_err("not a number");
        assert!(err.message.contains("page size"), "{}", err.message);
    }

    #[test]
    fn product_form_has_shopify_action_and_hidden_inputs() {
        let out = render(
            "{% form 'product', product, class: 'f', data-x: 'y' %}<b>{{ form.id }}</b>{% endform %}",
            serde_json::json!({"product": {"id": 7}}),
        );
        assert_eq!(
            out,
            "<form method=\"post\" action=\"/cart/add\" id=\"product_form_7\" accept-charset=\"UTF-8\" class=\"shopify-product-form f\" enctype=\"multipart/form-data\" data-x=\"y\"><input type=\"hidden\" name=\"form_type\" value=\"product\" /><input type=\"hidden\" name=\"utf8\" value=\"✓\" /><b>product_form_7</b></form>"
        );
    }

    #[test]
    fn theme_tags_outside_a_theme_are_errors_not_panics() {
        let template =
            LiquidTemplate::new("t.liquid", "{% section 'x' %}", Snippets::None).expect("parses");
        let err = template
            .render_json(&serde_json::json!({}))
            .expect_err("no theme");
        assert!(
            err.message.contains("only works in a theme"),
            "{}",
            err.message
        );
    }
}
