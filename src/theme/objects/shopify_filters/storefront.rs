//! Filters backed by Shopify's services, as local stand-ins that render the markup themes
//! expect: `payment_type_svg_tag`, `payment_button`, `payment_terms`
//! (<https://shopify.dev/docs/api/liquid/filters/payment-filters>), `login_button`
//! (<https://shopify.dev/docs/api/liquid/filters/login_button>), `currency_selector`
//! (<https://shopify.dev/docs/api/liquid/filters/currency_selector>) and `avatar`
//! (<https://shopify.dev/docs/api/liquid/filters/avatar>). docs/theme.md lists them.

use minijinja::value::Kwargs;
use minijinja::{Environment, State, Value};

use super::super::context::current_page;
use super::{attr, attr_text, escape, html_attributes, markup, text};

pub fn register(env: &mut Environment<'_>) {
    env.add_filter("payment_type_svg_tag", payment_type_svg_tag);
    env.add_filter("payment_button", payment_button);
    env.add_filter("payment_terms", payment_terms);
    env.add_filter("login_button", login_button);
    env.add_filter("currency_selector", currency_selector);
    env.add_filter("avatar", avatar);
}

/// The names Shopify shows for its payment type handles; others are title-cased.
fn payment_name(handle: &str) -> String {
    let known = match handle {
        "american_express" => "American Express",
        "apple_pay" => "Apple Pay",
        "bitcoin" => "Bitcoin",
        "dankort" => "Dankort",
        "diners_club" => "Diners Club",
        "discover" => "Discover",
        "dogecoin" => "Dogecoin",
        "forbrugsforeningen" => "Forbrugsforeningen",
        "google_pay" => "Google Pay",
        "jcb" => "JCB",
        "klarna" => "Klarna",
        "litecoin" => "Litecoin",
        "maestro" => "Maestro",
        "master" => "Mastercard",
        "paypal" => "PayPal",
        "shopify_pay" => "Shop Pay",
        "unionpay" => "Union Pay",
        "visa" => "Visa",
        _ => "",
    };
    if !known.is_empty() {
        return known.to_string();
    }
    handle
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `'visa' | payment_type_svg_tag: class: 'icon'`: a card-shaped SVG with the method's name
/// (Shopify inlines its brand artwork, which vitrine does not ship).
fn payment_type_svg_tag(kind: Value, args: Kwargs) -> Value {
    let handle: String = text(&kind)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    let name = escape(&payment_name(&handle));
    markup(format!(
        "<svg{} xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"pi-{handle}\" \
         viewBox=\"0 0 38 24\" width=\"38\" height=\"24\"><title id=\"pi-{handle}\">{name}</title>\
         <rect x=\".5\" y=\".5\" width=\"37\" height=\"23\" rx=\"3\" fill=\"#fff\" stroke=\"#000\" \
         stroke-opacity=\".07\"/><text x=\"19\" y=\"15\" font-size=\"6\" text-anchor=\"middle\" \
         font-family=\"sans-serif\">{name}</text></svg>",
        html_attributes(&args, &[])
    ))
}

/// `form | payment_button`: Shopify's dynamic checkout container, holding a plain "Buy it now"
/// submit button instead of Shopify's scripted wallet buttons.
fn payment_button(_form: Value) -> Value {
    markup(
        "<div data-shopify=\"payment-button\" class=\"shopify-payment-button\">\
         <button type=\"submit\" name=\"checkout\" \
         class=\"shopify-payment-button__button shopify-payment-button__button--unbranded\">\
         Buy it now</button></div>"
            .to_string(),
    )
}

/// `form | payment_terms`: the `<shopify-payment-terms>` element, empty (installment offers
/// come from Shopify).
fn payment_terms(form: Value) -> Value {
    let variant = attr(&form, "id")
        .or_else(|| attr(&form, "variant_id"))
        .map(|v| format!(" variant-id=\"{}\"", escape(&text(&v))))
        .unwrap_or_default();
    markup(format!(
        "<shopify-payment-terms{variant} shopify-meta=\"{{}}\"></shopify-payment-terms>"
    ))
}

/// `shop | login_button`: a link to the storefront's own login page in place of Shop's
/// sign-in button.
fn login_button(state: &State, _shop: Value, args: Kwargs) -> Value {
    let action = args
        .get::<Option<Value>>("action")
        .ok()
        .flatten()
        .map(|v| text(&v).into_owned())
        .unwrap_or_else(|| "login".into());
    let prefix = current_page(state).map_or_else(String::new, |p| p.prefix.clone());
    let label = if action == "follow" {
        "Follow on Shop"
    } else {
        "Sign in with Shop"
    };
    markup(format!(
        "<shop-login-button action=\"{}\"><a class=\"shop-login-button\" \
         href=\"{prefix}/account/login\">{label}</a></shop-login-button>",
        escape(&action)
    ))
}

/// `form | currency_selector`: a `<select name="currency">` with the shop's currency
/// (vitrine sells in one).
fn currency_selector(state: &State, _form: Value, args: Kwargs) -> Value {
    let currency = current_page(state)
        .and_then(|p| p.global("shop"))
        .map(|shop| attr_text(&shop, "currency"))
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "USD".into());
    let currency = escape(&currency);
    markup(format!(
        "<select name=\"currency\"{}><option value=\"{currency}\" selected=\"selected\">\
         {currency}</option></select>",
        html_attributes(&args, &[])
    ))
}

/// `customer | avatar`: the customer's initials in a circle (Shopify shows the Shop app
/// avatar).
fn avatar(customer: Value, args: Kwargs) -> Value {
    let initials: String = [
        attr_text(&customer, "first_name"),
        attr_text(&customer, "last_name"),
    ]
    .iter()
    .filter_map(|name| name.chars().next())
    .flat_map(char::to_uppercase)
    .collect();
    let name = attr_text(&customer, "name");
    markup(format!(
        "<span class=\"avatar\" role=\"img\" aria-label=\"{}\"{}>{}</span>",
        escape(&name),
        html_attributes(&args, &[]),
        escape(&initials)
    ))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::render;
    use minijinja::{Value, context};

    #[test]
    fn stand_ins() {
        let one = |s: &str| render(s, Value::UNDEFINED);
        let svg = one("{{ 'visa'|payment_type_svg_tag(class='icon') }}");
        assert!(svg.starts_with("<svg class=\"icon\" xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("<title id=\"pi-visa\">Visa</title>"), "{svg}");
        assert!(one("{{ form|payment_button }}").contains("class=\"shopify-payment-button\""));
        assert_eq!(
            one("{{ form|payment_terms }}"),
            "<shopify-payment-terms shopify-meta=\"{}\"></shopify-payment-terms>"
        );
        assert!(one("{{ shop|login_button }}").contains("href=\"/account/login\""));
        assert_eq!(
            one("{{ form|currency_selector(class='sel') }}"),
            "<select name=\"currency\" class=\"sel\"><option value=\"USD\" \
             selected=\"selected\">USD</option></select>"
        );
        let ctx = context! { c => context! { first_name => "Polina", last_name => "Waters", name => "Polina Waters" } };
        assert_eq!(
            render("{{ c|avatar }}", ctx),
            "<span class=\"avatar\" role=\"img\" aria-label=\"Polina Waters\">PW</span>"
        );
    }
}
