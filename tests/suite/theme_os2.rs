//! Shopify Online Store 2.0 themes served unmodified: our own fixture theme
//! (`tests/fixtures/theme-os2`, one of each feature) and Helium, a real MIT theme nobody here
//! wrote (`../shared/thirdparty/helium-theme`, skipped with a message when absent).

use std::path::PathBuf;

use crate::common::*;
use crate::theme_support::copy_dir;

fn os2_fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/theme-os2")
}

fn helium() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/thirdparty/helium-theme");
    if dir.join("layout/theme.liquid").is_file() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: {} is absent (a fresh clone); CI has it and runs this test",
            dir.display()
        );
        None
    }
}

fn assert_has(html: &str, parts: &[&str]) {
    for part in parts {
        assert!(html.contains(part), "missing {part:?} in:\n{html}");
    }
}

#[tokio::test]
async fn layout_section_groups_static_sections_and_settings_render() {
    let app = TestApp::with_os2_theme(&os2_fixture()).await;
    let resp = app.visitor().get("/").await;
    resp.expect(200);
    let html = resp.text();
    assert_has(
        &html,
        &[
            "<title>",
            "class=\"template-index\"",
            // settings_data's current preset over settings_schema's default
            "--accent: #ff0066",
            "id=\"shopify-section-sections--header-group__announcement\" class=\"shopify-section shopify-section-group-header-group\"",
            "<p class=\"announcement\">Free shipping over $50</p>",
            "<header id=\"shopify-section-sections--header-group__header\" class=\"shopify-section shopify-section-group-header-group site-header\">",
            "Cart (0 items)",
            "<div id=\"shopify-section-template--index__intro\" class=\"shopify-section\">",
            "<h2>Hello from the index</h2><p>Default body</p>",
            "<h2>Welcome</h2>",
            // a static section with its schema default; an unknown filter passes its input
            "<footer>© Demo x</footer>",
            "/static/assets/theme.css?v=",
        ],
    );
    // An asset's URL holds `/assets/`, as on Shopify's CDN; the file answers at both paths.
    for path in ["/static/assets/theme.css", "/static/theme.css"] {
        let css = app.visitor().get(path).await;
        css.expect(200);
        assert!(css.text().contains("--accent"), "{path}");
    }
    let csp = resp
        .header("content-security-policy")
        .expect("a CSP header");
    assert!(csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
    // The video players Shopify's filters embed, and nothing else from elsewhere.
    assert!(
        csp.contains("frame-src 'self' https://www.youtube.com https://www.youtube-nocookie.com https://player.vimeo.com;"),
        "{csp}"
    );
    assert!(csp.contains("connect-src 'self';"), "{csp}");
}

#[tokio::test]
async fn product_page_has_theme_blocks_a_product_form_and_isolated_snippets() {
    let app = TestApp::with_os2_theme(&os2_fixture()).await;
    let html = app.visitor().get("/products/red-rain-coat").await.text();
    assert_has(
        &html,
        &[
            "<h1>Red Rain Coat</h1>",
            "<span class=\"price\">$129.00</span>",
            "<span class=\"badge\" >Bestseller in main-product</span>",
            "<span class=\"badge\" >New in main-product</span>",
            // A dynamic source in a block setting, filled in from the page's product.
            "<span class=\"badge\" >By Shopify in main-product</span>",
            "<form method=\"post\" action=\"/cart/add\" id=\"product_form_",
            "class=\"shopify-product-form buy\" enctype=\"multipart/form-data\"",
            "<input type=\"hidden\" name=\"form_type\" value=\"product\" />",
            "Add to cart</button>",
            "<style data-shopify>",
            "gap: 12px;",
        ],
    );
    // A rendered snippet sees the page's objects and its section, as on Shopify, but not the
    // caller's variables.
    assert!(
        !html.contains("LEAK"),
        "a snippet saw its caller's variable"
    );
    assert!(
        html.contains("<i class=\"seen\">Red Rain Coat in template--product__main</i>"),
        "a snippet did not see the page's product and its section"
    );
    // The alternate template, with its own layout.
    let alt = app
        .visitor()
        .get("/products/red-rain-coat?view=alt")
        .await
        .text();
    assert_has(
        &alt,
        &["<body class=\"minimal\">", "<h1>Red Rain Coat</h1>"],
    );
    // In French, through the locale prefix.
    let fr = app.visitor().get("/fr/products/red-rain-coat").await.text();
    assert_has(&fr, &["Ajouter au panier", "action=\"/fr/cart/add\""]);
}

/// `content_for 'block'` with `closest.product:` and other arguments, as Horizon renders its
/// product cards: the block and the blocks inside it see that product as `closest.product`,
/// the arguments as variables; the section itself sees the page's product. The product
/// template carries a comment header, a line comment and a trailing comma, as Shopify allows.
#[tokio::test]
async fn closest_and_static_block_arguments_reach_the_block_and_its_children() {
    let app = TestApp::with_os2_theme(&os2_fixture()).await;
    let html = app.visitor().get("/products/red-rain-coat").await.text();
    assert_has(
        &html,
        &[
            "<p class=\"section-closest\">Red Rain Coat</p>",
            "<p class=\"closest\">Great Granola Bar (static)</p><p class=\"closest\">Great Granola Bar</p>",
        ],
    );
}

/// `{% stylesheet %}` prints nothing where it stands: every section's, block's and snippet's
/// stylesheet is served in one bundle per kind, linked from `content_for_header`, as Shopify
/// does (its body is not Liquid).
#[tokio::test]
async fn stylesheet_tags_are_bundled_and_linked_from_the_head() {
    let app = TestApp::with_os2_theme(&os2_fixture()).await;
    let html = app.visitor().get("/products/red-rain-coat").await.text();
    assert!(!html.contains("letter-spacing: 0.02em"), "{html}");
    let link = |name: &str| {
        let start = html
            .find(&format!("href=\"/__vitrine/compiled_assets/{name}?v="))
            .unwrap_or_else(|| panic!("no link to {name}: {html}"));
        let href = &html[start + "href=\"".len()..];
        href[..href.find('"').unwrap_or(0)].to_owned()
    };
    let sections = app.visitor().get(&link("styles.css")).await;
    assert_eq!(sections.status.as_u16(), 200);
    assert!(
        sections.text().contains(
            "/* sections/main-product.liquid */\n.product h1 { letter-spacing: 0.02em; }"
        ),
        "{}",
        sections.text()
    );
    let blocks = app.visitor().get(&link("block-styles.css")).await.text();
    assert!(
        blocks.contains(".closest { font-style: italic; /* {{ not rendered }} */ }"),
        "{blocks}"
    );
    assert!(
        !html.contains("snippet-styles.css"),
        "no snippet has a stylesheet"
    );
    app.visitor()
        .get("/__vitrine/compiled_assets/snippet-styles.css")
        .await
        .expect(404);
}

/// In a Shopify theme the Section Rendering API renders an instance of any JSON template at any
/// URL, with that URL's objects, as Shopify does (a theme asks for its cart page's
/// recently-viewed section at `/search`); an unknown id is still nothing.
#[tokio::test]
async fn a_template_instance_renders_at_any_url() {
    let app = TestApp::with_os2_theme(&os2_fixture()).await;
    let response = app
        .visitor()
        .get("/search?q=rain&section_id=template--cart__main")
        .await;
    assert_eq!(response.status.as_u16(), 200);
    let html = response.text();
    assert!(
        html.starts_with(
            "<div id=\"shopify-section-template--cart__main\" class=\"shopify-section"
        ),
        "{html}"
    );
    let sections = app
        .visitor()
        .get("/pages/about?sections=template--product__main,template--cart__nope")
        .await
        .text();
    let sections: serde_json::Value = serde_json::from_str(&sections).expect("json");
    // The product section renders with the page's objects: no product here, so no title.
    let product = sections["template--product__main"]
        .as_str()
        .unwrap_or_default();
    assert!(product.contains("<h1></h1>"), "{sections}");
    assert!(sections["template--cart__nope"].is_null(), "{sections}");
}

/// `{% javascript %}` prints nothing where it stands either: the sections' scripts are one
/// bundle, loaded deferred from `content_for_header`, each in its own function and `try`,
/// guarded to run only where the page shows its section; the page lists the section types it
/// showed in the tag's `data-sections`, as Shopify does.
#[tokio::test]
async fn javascript_tags_are_bundled_and_run_only_where_their_section_shows() {
    let app = TestApp::with_os2_theme(&os2_fixture()).await;
    let html = app.visitor().get("/products/red-rain-coat").await.text();
    assert!(
        !html.contains("dataset.productScript"),
        "printed in place: {html}"
    );
    let start = html
        .find("<script src=\"/__vitrine/compiled_assets/scripts.js?v=")
        .unwrap_or_else(|| panic!("no scripts.js: {html}"));
    let tag = &html[start..start + html[start..].find("</script>").unwrap_or(0)];
    assert!(tag.contains("id=\"sections-script\""), "{tag}");
    assert!(tag.contains("defer=\"defer\""), "{tag}");
    let shown_on = |html: &str| -> Vec<String> {
        html.split("id=\"sections-script\" data-sections=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
            .split(',')
            .map(str::to_owned)
            .collect()
    };
    let shown = shown_on(&html);
    let shown: Vec<&str> = shown.iter().map(String::as_str).collect();
    for kind in ["header", "main-product", "footer"] {
        assert!(shown.contains(&kind), "{kind} not in {shown:?}");
    }
    assert!(!shown.contains(&"main-cart"), "{shown:?}");
    let src = tag
        .split("src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default();
    let bundle = app.visitor().get(src).await;
    assert_eq!(bundle.status.as_u16(), 200);
    assert!(
        bundle
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/javascript")),
        "{:?}",
        bundle.header("content-type")
    );
    let js = bundle.text();
    for expected in [
        "/* sections/main-cart.liquid */\n(function () {\n  if (!__vitrine_sections__[\"main-cart\"]) return;\n  try {\n",
        "/* sections/main-product.liquid */\n(function () {\n  if (!__vitrine_sections__[\"main-product\"]) return;",
        "} catch (e) {\n    console.error(e);\n  }",
    ] {
        assert!(js.contains(expected), "{expected:?} not in {js}");
    }
    // The cart page shows the cart section, whose script is then due.
    let cart = app.visitor().get("/cart").await.text();
    let shown = shown_on(&cart);
    assert!(shown.iter().any(|k| k == "main-cart"), "{shown:?}");
    assert!(!shown.iter().any(|k| k == "main-product"), "{shown:?}");
    assert!(
        !cart.contains("__vitrine_sections_shown__"),
        "the marker is filled in"
    );
}

/// As on a Shopify storefront, a snippet or a theme block that fails prints `Liquid error
/// (file line N): message` in its place and the rest of the page renders; a snippet that
/// renders itself without end still stops the page (a limit is no inline error).
#[tokio::test]
async fn a_failing_snippet_or_block_prints_its_error_in_place() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&os2_fixture(), dir.path());
    let write = |file: &str, text: &str| {
        std::fs::write(dir.path().join(file), text).expect("write");
    };
    write(
        "snippets/boom.liquid",
        "<b>before</b>\n{{ 1 | divided_by: 0 }}<b>after</b>",
    );
    write(
        "blocks/broken-badge.liquid",
        "<i>lost</i>\n{{ 'x' | image_url: width: 'wide' }}\n{% schema %}{ \"name\": \"Broken\" }{% endschema %}",
    );
    write(
        "sections/rich-text.liquid",
        "<p>rich</p>{% render 'boom' %}<p>still here</p>{% content_for 'block', type: 'broken-badge', id: 'b' %}<p>end</p>{% render 'no-such-snippet-here' %}\n{% schema %}{ \"name\": \"Rich text\" }{% endschema %}",
    );
    let app = TestApp::with_os2_theme(dir.path()).await;
    let resp = app.visitor().get("/").await;
    assert_eq!(resp.status.as_u16(), 200, "{}", resp.text());
    let html = resp.text();
    assert_has(
        &html,
        &[
            "<p>rich</p>Liquid error (snippets/boom.liquid line 2): divided by 0<p>still here</p>",
            // A block that fails is replaced by its error, its own output with it.
            "<p>still here</p>Liquid error (blocks/broken-badge.liquid line 2): image_url: width must be a whole number from 1 to 5760<p>end</p>",
            "<p>end</p>Liquid error (snippets/no-such-snippet-here.liquid): ",
            "</html>",
        ],
    );
    write("snippets/boom.liquid", "{% render 'boom' %}");
    let app = TestApp::with_os2_theme(dir.path()).await;
    let resp = app.visitor().get("/").await;
    assert_eq!(resp.status.as_u16(), 500, "{}", resp.text());
    assert!(resp.text().contains("nested"), "{}", resp.text());
}

/// A section that fails at run time prints its error inside its wrapper and the rest of the
/// page renders, as on Shopify; in development the page also lists every error printed in place
/// (with the source line) for the live-reload client's overlay. The Section Rendering API still
/// answers `null` for it, and a section that does not parse still fails the page.
#[tokio::test]
async fn a_failing_section_prints_its_error_in_place_and_the_overlay_lists_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&os2_fixture(), dir.path());
    let write = |file: &str, text: &str| {
        std::fs::write(dir.path().join(file), text).expect("write");
    };
    write(
        "snippets/boom.liquid",
        "<b>before</b>\n{{ 1 | divided_by: 0 }}<b>after</b>",
    );
    write(
        "sections/rich-text.liquid",
        "<p>rich</p>\n{% render 'boom' %}{% render 'boom' %}\n{{ 'x' | image_url: width: 'wide' }}<p>lost</p>\n{% schema %}{ \"name\": \"Rich text\" }{% endschema %}",
    );
    let expected_section = "class=\"shopify-section\">Liquid error (sections/rich-text.liquid line 3): image_url: width must be a whole number from 1 to 5760</div>";

    let app = TestApp::with_os2_theme_watched(dir.path(), true).await;
    let resp = app.visitor().get("/").await;
    assert_eq!(resp.status.as_u16(), 200, "{}", resp.text());
    let html = resp.text();
    assert_has(&html, &[expected_section, "</html>"]);
    assert!(
        !html.contains("<p>lost</p>"),
        "the failed section's output is replaced"
    );
    let (_, block) = html
        .split_once("<script type=\"application/json\" id=\"vitrine-inline-errors\">")
        .expect("the page lists its printed errors in development");
    let (json, after) = block.split_once("</script>").expect("the block ends");
    assert!(after.trim_start().starts_with("</body>"), "{after}");
    let listed: serde_json::Value = serde_json::from_str(json).expect("JSON");
    assert_eq!(
        listed,
        serde_json::json!([
            {"file": "snippets/boom.liquid", "line": 2, "message": "divided by 0",
             "excerpt": "{{ 1 | divided_by: 0 }}<b>after</b>"},
            {"file": "sections/rich-text.liquid", "line": 3,
             "message": "image_url: width must be a whole number from 1 to 5760",
             "excerpt": "{{ 'x' | image_url: width: 'wide' }}<p>lost</p>"},
        ]),
        "each error once, in order, with its source line"
    );
    let api = app
        .visitor()
        .get("/?sections=template--index__intro,header")
        .await
        .json();
    assert!(api["template--index__intro"].is_null(), "{api}");
    assert!(api["header"].is_string(), "{api}");

    // Without live reload the page still prints the error, but lists nothing.
    let quiet = TestApp::with_os2_theme(dir.path()).await;
    let html = quiet.visitor().get("/").await.text();
    assert_has(&html, &[expected_section]);
    assert!(!html.contains("vitrine-inline-errors"));

    // A section that does not parse is the author's to fix at once: the error page.
    write(
        "sections/rich-text.liquid",
        "{% if %}\n{% schema %}{ \"name\": \"Rich text\" }{% endschema %}",
    );
    let app = TestApp::with_os2_theme_watched(dir.path(), true).await;
    let resp = app.visitor().get("/").await;
    assert_eq!(resp.status.as_u16(), 500, "{}", resp.text());
    assert!(
        resp.text().contains("sections/rich-text.liquid:1"),
        "{}",
        resp.text()
    );
}

/// Shopify's `/variants/{id}` goes to the product page with the variant chosen (the query
/// kept, so `?section_id=` still asks for a section), and a path with doubled slashes (a
/// theme joining `shop.url`, `routes.root_url` and a path) is answered at the single-slash path.
#[tokio::test]
async fn variant_urls_and_doubled_slashes_reach_the_product() {
    let app = TestApp::with_os2_theme(&os2_fixture()).await;
    let product = app.visitor().get("/products/red-rain-coat.js").await.json();
    let id = product["variants"][0]["id"].as_i64().expect("a variant id");
    let resp = app
        .visitor()
        .get(&format!("/variants/{id}?section_id=header&variant=1"))
        .await;
    assert_eq!(resp.status.as_u16(), 303);
    assert_eq!(
        resp.location(),
        Some(format!("/products/red-rain-coat?variant={id}&section_id=header").as_str())
    );
    app.visitor().get("/variants/1").await.expect(404);
    app.visitor().get("/variants/nope").await.expect(404);
    let doubled = app
        .visitor()
        .get(&format!("//variants/{id}?section_id=header"))
        .await;
    assert_eq!(doubled.status.as_u16(), 308);
    assert_eq!(
        doubled.location(),
        Some(format!("/variants/{id}?section_id=header").as_str())
    );
    let away = app.visitor().get("//evil.example/x").await;
    assert_eq!(away.location(), Some("/evil.example/x"));
}

/// Shopify's standard events module, which themes import from Shopify's CDN by URL, is served
/// locally and the page's import map points at it.
#[tokio::test]
async fn the_standard_events_module_is_served_locally() {
    let app = TestApp::with_os2_theme(&os2_fixture()).await;
    let html = app.visitor().get("/").await.text();
    assert_has(
        &html,
        &[r#"{"imports": {"@shopify/events": "/__vitrine/shopify/standard-events.js"}}"#],
    );
    assert!(!html.contains("cdn.shopify.com"), "{html}");
    let module = app
        .visitor()
        .get("/__vitrine/shopify/standard-events.js")
        .await;
    assert_eq!(module.status.as_u16(), 200);
    assert_has(
        &module.text(),
        &[
            "export const CartLinesUpdateEvent",
            "export function createViewEventElement",
        ],
    );
}

#[tokio::test]
async fn the_product_form_adds_to_the_cart_without_javascript() {
    let app = TestApp::with_os2_theme(&os2_fixture()).await;
    let visitor = app.visitor();
    let html = visitor.get("/products/great-granola-bar").await.text();
    let id = html
        .split("name=\"id\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the form carries the variant id")
        .to_owned();
    let resp = visitor
        .post_form(
            "/cart/add",
            &[("form_type", "product"), ("id", &id), ("quantity", "2")],
        )
        .await;
    assert!(resp.status.is_redirection(), "{}", resp.status);
    let cart = visitor.get("/cart").await.text();
    assert_has(
        &cart,
        &[
            "<p class=\"line\">2 × Great Granola Bar</p>",
            // A line item's `image` is an image object, as Shopify's is (Dawn divides by it).
            "<img class=\"line-image\" src=\"/static/products/",
            "width=140\" width=\"150\" height=\"100\"",
            "Cart (2 items)",
            "action=\"/cart\" id=\"cart_form\"",
        ],
    );
}

#[tokio::test]
async fn paginate_slices_the_collection_and_links_the_next_page() {
    let app = TestApp::with_os2_theme(&os2_fixture()).await;
    // The tag pages the whole collection, not the server's page of 12.
    let products = app
        .state
        .catalog()
        .collection_products("all")
        .expect("the all collection")
        .len();
    let pages = products.div_ceil(2);
    let first = app.visitor().get("/collections/all").await.text();
    assert_eq!(first.matches("<li class=\"card\">").count(), 2, "{first}");
    assert_has(
        &first,
        &[
            &format!("page 1 of {pages}"),
            "href=\"/collections/all?page=2\"",
        ],
    );
    let last = app
        .visitor()
        .get(&format!("/collections/all?page={pages}"))
        .await
        .text();
    assert_has(&last, &[&format!("page {pages} of {pages}")]);
    assert_eq!(
        last.matches("<li class=\"card\">").count(),
        products - (pages - 1) * 2,
        "{last}"
    );
    assert!(!last.contains("class=\"next\""));
}

#[tokio::test]
async fn liquid_templates_choose_their_layout_and_unknown_pages_are_404() {
    let app = TestApp::with_os2_theme(&os2_fixture()).await;
    let search = app.visitor().get("/search?q=rain").await;
    search.expect(200);
    // `{% layout none %}`: the template alone.
    assert!(
        search.text().starts_with("<p class=\"search\">"),
        "{}",
        search.text()
    );
    let list = app.visitor().get("/collections").await.text();
    assert_has(
        &list,
        &[
            "<main id=\"main\"><ul><li>",
            "class=\"template-list-collections\"",
        ],
    );
    let missing = app.visitor().get("/products/nope").await;
    missing.expect(404);
    assert!(missing.text().contains("<h1>Not here</h1>"));
}

#[tokio::test]
async fn section_rendering_reaches_group_sections() {
    let app = TestApp::with_os2_theme(&os2_fixture()).await;
    let resp = app
        .visitor()
        .get("/?sections=sections--header-group__header,template--index__intro")
        .await;
    resp.expect(200);
    let json = resp.json();
    assert!(
        json["sections--header-group__header"]
            .as_str()
            .is_some_and(|h| h.contains("Cart (0 items)")),
        "{json}"
    );
    assert!(json["template--index__intro"].is_string(), "{json}");
}

#[tokio::test]
async fn the_working_folder_stays_out_of_the_themes_repository() {
    let app = TestApp::with_os2_theme(&os2_fixture()).await;
    let folder = app.path().join(".vitrine");
    assert!(folder.join("data/store.db").is_file());
    for file in ["products.json", "menus.json", "pages.json", "blogs.json"] {
        assert!(folder.join("data").join(file).is_file(), "{file}");
    }
    assert_eq!(
        std::fs::read_to_string(folder.join(".gitignore"))
            .expect("read")
            .lines()
            .last(),
        Some("*")
    );
    // Catalog images come from the working folder when the theme's assets lack them.
    app.visitor()
        .get("/static/products/red-rain-coat.svg")
        .await
        .expect(200);
}

#[tokio::test]
async fn menus_mark_the_link_of_the_page_being_viewed() {
    let app = TestApp::with_os2_theme(&os2_fixture()).await;
    let about = app.visitor().get("/pages/about").await;
    about.expect(200);
    let html = about.text();
    assert_has(
        &html,
        &[
            "<a href=\"/pages/about\" class=\"current active\" data-levels=\"0\">About</a>",
            // the home link is not active everywhere
            "<a href=\"/\" class=\"\" data-levels=\"0\">Home</a>",
            "<a href=\"/collections/all\" class=\"\" data-levels=\"1\">Catalog</a>",
            "<ul class=\"submenu\"><li>Rainwear</li>",
            // a `link_list` setting names the menu; `linklists` finds it by handle
            "<nav class=\"menu\" aria-label=\"Main menu\">",
            // `menus` is `linklists` under another name
            "<nav class=\"footer-menu\"><a href=\"/search\">Search</a><a href=\"/pages/about\" aria-current=\"page\">About us</a>",
        ],
    );
    // The footer menu is a snippet: its output for one page is not reused on another.
    let contact = app.visitor().get("/pages/contact").await.text();
    assert_has(
        &contact,
        &[
            "<a href=\"/pages/about\">About us</a><a href=\"/pages/contact\" aria-current=\"page\">Contact</a>",
        ],
    );
    // A product inside a collection: the collection's link is active, its parent's child is.
    let product = app
        .visitor()
        .get("/collections/rainwear/products/red-rain-coat")
        .await
        .text();
    assert_has(
        &product,
        &[
            "class=\" child-active\" data-levels=\"1\">Catalog</a>",
            "<a href=\"/blogs/news\" class=\"\"",
        ],
    );
    // An article: its blog's link is active, not current.
    let article = app
        .visitor()
        .get("/blogs/news/caring-for-waxed-cotton")
        .await
        .text();
    assert_has(&article, &["<a href=\"/blogs/news\" class=\"active\""]);
    // Under /fr the links carry the prefix.
    let fr = app.visitor().get("/fr/pages/about").await;
    fr.expect(200);
    assert_has(
        &fr.text(),
        &[
            "<a href=\"/fr/pages/about\" class=\"current active\"",
            "<a href=\"/fr\" class=\"\"",
        ],
    );
}

#[tokio::test]
async fn pages_render_their_template_and_suffix_and_unknown_handles_are_404() {
    let app = TestApp::with_os2_theme(&os2_fixture()).await;
    let about = app.visitor().get("/pages/about").await.text();
    assert_has(
        &about,
        &[
            "<title>About us – ",
            "class=\"template-page\"",
            "<h1 class=\"page-title\">About us</h1>",
            "<div class=\"rte\"><p>We are a small shop",
        ],
    );
    assert!(!about.contains("contact_form"), "{about}");
    // `template_suffix: contact` picks templates/page.contact.json.
    let contact = app.visitor().get("/pages/contact").await.text();
    assert_has(
        &contact,
        &[
            "class=\"template-page suffix-contact\"",
            "<h1 class=\"page-title\">Contact</h1>",
            "<form method=\"post\" action=\"/contact#contact_form\" id=\"contact_form\"",
        ],
    );
    assert!(!contact.contains("class=\"posted\""));
    for missing in [
        "/pages/nope",
        "/blogs/nope",
        "/blogs/news/nope",
        "/blogs/nope/x",
        "/fr/pages/nope",
    ] {
        let resp = app.visitor().get(missing).await;
        assert_eq!(resp.status.as_u16(), 404, "{missing}");
        assert!(resp.text().contains("<h1>Not here</h1>"), "{missing}");
    }
}

#[tokio::test]
async fn the_contact_form_comes_back_posted() {
    let app = TestApp::with_os2_theme(&os2_fixture()).await;
    let sent = app
        .visitor()
        .post_form_with(
            "/contact",
            &[
                ("form_type", "contact"),
                ("contact[email]", "a@example.com"),
                ("contact[body]", "Hello"),
            ],
            &[
                ("referer", "http://store.test/pages/contact"),
                ("host", "store.test"),
            ],
        )
        .await;
    assert_eq!(sent.status.as_u16(), 303);
    assert_eq!(
        sent.location(),
        Some("/pages/contact?contact_posted=true#contact_form")
    );
    let back = app
        .visitor()
        .get("/pages/contact?contact_posted=true")
        .await
        .text();
    assert_has(
        &back,
        &["<p class=\"posted\">Thanks for writing to us.</p>"],
    );
    // return_to wins over the Referer, but only when it is a path on this store.
    let to = app
        .visitor()
        .post_form("/fr/contact", &[("return_to", "/fr/pages/contact")])
        .await;
    assert_eq!(
        to.location(),
        Some("/fr/pages/contact?contact_posted=true#contact_form")
    );
    let away = app
        .visitor()
        .post_form("/contact", &[("return_to", "//evil.example/")])
        .await;
    assert_eq!(away.location(), Some("/?contact_posted=true#contact_form"));
    // A path no header can hold as it is comes back encoded, not as a crash.
    let odd = app
        .visitor()
        .post_form("/contact", &[("return_to", "/pages/café")])
        .await;
    assert_eq!(
        odd.location(),
        Some("/pages/caf%C3%A9?contact_posted=true#contact_form")
    );
}

#[tokio::test]
async fn blogs_list_their_articles_by_tag_and_page() {
    let app = TestApp::with_os2_theme(&os2_fixture()).await;
    let blog = app.visitor().get("/blogs/news").await;
    blog.expect(200);
    let html = blog.text();
    assert_has(
        &html,
        &[
            "<title>Journal – ",
            "class=\"template-blog\"",
            "<h1 class=\"blog-title\">Journal</h1>",
            "<a href=\"/blogs/news/tagged/rainwear\">Rainwear</a><a href=\"/blogs/news/tagged/guides\">Guides</a><a href=\"/blogs/news/tagged/pantry\">Pantry</a>",
            "<p class=\"count\">3 articles</p>",
            "<article><a href=\"/blogs/news/rain-gear-for-the-coast\">Rain gear for the coast</a> <time>March 02, 2024</time> by Maya Lindqvist<div class=\"excerpt\"><p>Coastal rain comes sideways: here is the whole kit.</p></div></article>",
            // no excerpt: the content stands in
            "<div class=\"excerpt\"><p>Honey in the tea",
            "<a class=\"next\" href=\"/blogs/news?page=2\">Older</a>",
        ],
    );
    assert!(!html.contains("Caring for waxed cotton"), "paginated by 2");
    let second = app.visitor().get("/blogs/news?page=2").await.text();
    assert!(second.contains("Caring for waxed cotton"), "{second}");
    let tagged = app.visitor().get("/blogs/news/tagged/guides").await.text();
    assert_has(
        &tagged,
        &[
            "<h1 class=\"blog-title\">Journal tagged guides</h1>",
            "<p class=\"count\">2 articles</p>",
            "Rain gear for the coast",
            "Caring for waxed cotton",
        ],
    );
    assert!(!tagged.contains("A pantry for grey days"), "{tagged}");
    let spelled = app
        .visitor()
        .get("/blogs/news/tagged/Pantry%20")
        .await
        .text();
    assert_has(
        &spelled,
        &[
            "<p class=\"count\">1 articles</p>",
            "A pantry for grey days",
        ],
    );
}

#[tokio::test]
async fn an_article_shows_its_blog_author_and_image() {
    let app = TestApp::with_os2_theme(&os2_fixture()).await;
    let resp = app
        .visitor()
        .get("/blogs/news/rain-gear-for-the-coast")
        .await;
    resp.expect(200);
    assert_has(
        &resp.text(),
        &[
            "<title>Rain gear for the coast – ",
            "class=\"template-article\"",
            "<p class=\"breadcrumb\"><a href=\"/blogs/news\">Journal</a></p>",
            "<h1 class=\"article-title\">Rain gear for the coast</h1>",
            "<p class=\"byline\">Maya (Maya Lindqvist), 2024-03-02</p>",
            "alt=\"A red rain coat\"",
            "<a href=\"/products/red-rain-coat\">Red Rain Coat</a>",
            "<p class=\"article-tags\">Rainwear / Guides</p>",
            "<p class=\"comments\">0 comments, closed</p>",
            "action=\"/blogs/news/rain-gear-for-the-coast/comments\" id=\"comment_form\"",
            "<time datetime=\"2024-03-02T15:00:00Z\">March 02, 2024</time>",
            "Coastal rain comes sideways:...",
        ],
    );
    let comment = app
        .visitor()
        .post_form(
            "/blogs/news/rain-gear-for-the-coast/comments",
            &[("comment[body]", "Nice")],
        )
        .await;
    assert_eq!(comment.status.as_u16(), 303);
    assert_eq!(
        comment.location(),
        Some("/blogs/news/rain-gear-for-the-coast#comments")
    );
}

#[tokio::test]
async fn search_finds_products_pages_and_articles_and_filters_by_type() {
    let app = TestApp::with_os2_theme(&os2_fixture()).await;
    let all = app.visitor().get("/search?q=coast").await.text();
    assert_has(
        &all,
        &[
            "<a class=\"result-article\" href=\"/blogs/news/rain-gear-for-the-coast\">Rain gear for the coast</a>",
        ],
    );
    let pages = app
        .visitor()
        .get("/search?q=harbour&type=page")
        .await
        .text();
    assert_has(
        &pages,
        &[
            "1 results for harbour",
            "<a class=\"result-page\" href=\"/pages/about\">About us</a>",
        ],
    );
    let products_only = app
        .visitor()
        .get("/search?q=rain&type=product")
        .await
        .text();
    assert!(products_only.contains("result-product"), "{products_only}");
    assert!(!products_only.contains("result-article"), "{products_only}");
    let json = app.visitor().get("/search/suggest.json?q=waxed").await;
    json.expect(200);
    let body = json.json();
    assert_eq!(
        body["resources"]["results"]["articles"][0]["url"], "/blogs/news/caring-for-waxed-cotton",
        "{body}"
    );
    assert_eq!(body["resources"]["results"]["queries"][0]["text"], "waxed");
    // The section a theme's predictive search fetches.
    let section = app
        .visitor()
        .get("/search/suggest?q=coast&resources[type]=article,query&section_id=predictive-search")
        .await;
    section.expect(200);
    assert_has(
        &section.text(),
        &[
            "<ul class=\"predictive\"><li>Rain gear for the coast</li><li class=\"query\">coast</li></ul>",
            "<p class=\"globals\">About us / Journal: 3 / 2 pages</p>",
        ],
    );
}

#[tokio::test]
async fn recommendations_answer_with_products_of_the_same_collection() {
    let app = TestApp::with_os2_theme(&os2_fixture()).await;
    let coat = app.visitor().get("/products/red-rain-coat.js").await.json()["id"].clone();
    let resp = app
        .visitor()
        .get(&format!(
            "/recommendations/products.json?product_id={coat}&limit=2"
        ))
        .await;
    resp.expect(200);
    let handles: Vec<String> = resp.json()["products"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|p| p["handle"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(handles, ["sou-wester-rain-hat", "classic-rain-boots"]);
    app.visitor()
        .get("/recommendations/products.json?product_id=1")
        .await
        .expect(404);
    // The product page holds the section empty, with the URL that fills it in.
    let url = format!(
        "/recommendations/products?section_id=template--product__related&product_id={coat}"
    );
    let page = app.visitor().get("/products/red-rain-coat").await.text();
    assert_has(
        &page,
        &["data-performed=\"false\"", &format!("data-url=\"{url}\"")],
    );
    // With section_id, the product template's section renders with `recommendations` filled in.
    let section = app
        .visitor()
        .get(&format!(
            "/recommendations/products?product_id={coat}&limit=2&section_id=template--product__related"
        ))
        .await;
    section.expect(200);
    assert_has(
        &section.text(),
        &[
            "<div id=\"shopify-section-template--product__related\" class=\"shopify-section\">",
            "data-performed=\"true\"",
            ">Sou'wester Rain Hat, Classic Rain Boots</p>",
        ],
    );
    // A section file works too, as in Shopify's Section Rendering API.
    let by_file = app
        .visitor()
        .get(&format!(
            "/recommendations/products?product_id={coat}&limit=1&section_id=recommendations"
        ))
        .await
        .text();
    assert!(by_file.contains(">Sou'wester Rain Hat</p>"), "{by_file}");
}

#[tokio::test]
async fn customer_password_and_gift_card_pages_render_without_an_account() {
    let app = TestApp::with_os2_theme(&os2_fixture()).await;
    let login = app.visitor().get("/account/login").await;
    login.expect(200);
    assert_has(
        &login.text(),
        &[
            "class=\"template-login\"",
            "<h1 class=\"customers\">Log in</h1>",
            "action=\"/account/login\" id=\"customer_login\"",
            "<p class=\"account-links\"><a href=\"/account/register\">Register</a> <a href=\"/account\">Account</a></p>",
        ],
    );
    assert!(!login.text().contains("Hello"));
    let register = app.visitor().get("/fr/account/register").await;
    register.expect(200);
    assert!(
        register
            .text()
            .contains("action=\"/fr/account\" id=\"create_customer\"")
    );
    let account = app.visitor().get("/account").await;
    assert_eq!(account.status.as_u16(), 302);
    assert_eq!(account.location(), Some("/account/login"));
    let logout = app.visitor().get("/fr/account/logout").await;
    assert_eq!(logout.location(), Some("/fr"));
    let orders = app.visitor().get("/fr/account/orders/1").await;
    assert_eq!(orders.location(), Some("/fr/account/login"));
    let visitor = app.visitor();
    let posted = visitor
        .post_form("/account/login", &[("customer[email]", "a@example.com")])
        .await;
    assert_eq!(posted.status.as_u16(), 303);
    assert_eq!(posted.location(), Some("/account/login"));
    // Back on the login page, the form says why, as Shopify's form errors do.
    let refused = visitor.get("/account/login").await.text();
    assert_has(
        &refused,
        &[
            "<div class=\"errors\"><ul><li>Customer accounts are not available in vitrine: nobody can log in offline.</li></ul></div>",
            "<p class=\"error-field\">form</p>",
        ],
    );
    // Only once.
    let again = visitor.get("/account/login").await.text();
    assert!(!again.contains("class=\"errors\""), "{again}");
    let password = app.visitor().get("/password").await;
    password.expect(200);
    assert!(
        password
            .text()
            .contains("<h1 class=\"password\">Opening soon</h1>")
    );
    let gift = app.visitor().get("/gift_cards/abcd-1234").await;
    gift.expect(404); // the fixture has no gift_card template: the theme's 404
}

#[tokio::test]
async fn the_localization_form_switches_the_language_of_the_page() {
    let app = TestApp::with_os2_theme(&os2_fixture()).await;
    let to_fr = app
        .visitor()
        .post_form(
            "/localization",
            &[("locale_code", "fr"), ("return_to", "/pages/about")],
        )
        .await;
    assert_eq!(to_fr.status.as_u16(), 303);
    assert_eq!(to_fr.location(), Some("/fr/pages/about"));
    let to_en = app
        .visitor()
        .post_form(
            "/fr/localization",
            &[("locale_code", "en"), ("return_to", "/fr/pages/about")],
        )
        .await;
    assert_eq!(to_en.location(), Some("/pages/about"));
    let home = app
        .visitor()
        .post_form(
            "/localization",
            &[("locale_code", "fr"), ("return_to", "/")],
        )
        .await;
    assert_eq!(home.location(), Some("/fr"));
    let unknown = app
        .visitor()
        .post_form(
            "/localization",
            &[("locale_code", "xx"), ("return_to", "/cart")],
        )
        .await;
    assert_eq!(unknown.location(), Some("/cart"));
    // `shop.url` is the origin the visitor reached, as Shopify's is the shop's full URL.
    let page = app
        .visitor()
        .get_with("/", &[("host", "shop.test:8080")])
        .await
        .text();
    assert_has(
        &page,
        &["<a class=\"home\" href=\"http://shop.test:8080/\">home</a>"],
    );
    let proxied = app
        .visitor()
        .get_with(
            "/",
            &[("host", "shop.test"), ("x-forwarded-proto", "https")],
        )
        .await
        .text();
    assert_has(&proxied, &["href=\"https://shop.test/\">home</a>"]);
    let hostile = app
        .visitor()
        .get_with("/", &[("host", "x\"><script>alert(1)</script>")])
        .await
        .text();
    assert_has(&hostile, &["<a class=\"home\" href=\"/\">home</a>"]);
    // The shop sells in one country, its own, with its currency.
    let page = app.visitor().get("/fr/pages/about").await.text();
    assert_has(
        &page,
        &["<span class=\"country\">Canada (CAD $, metric) of 1</span>"],
    );
}

#[tokio::test]
async fn helium_renders_every_page_unmodified() {
    let Some(helium) = helium() else { return };
    let app = TestApp::with_os2_theme(&helium).await;
    let pages = [
        ("/", 200, "template-index"),
        ("/products/red-rain-coat", 200, "template-product"),
        ("/collections/rainwear", 200, "template-collection"),
        ("/collections", 200, "template-list-collections"),
        ("/cart", 200, "template-cart"),
        ("/search?q=rain", 200, "template-search"),
        ("/pages/about", 200, "template-page"),
        ("/pages/contact", 200, "template-page"),
        ("/blogs/news", 200, "template-blog"),
        ("/blogs/news/tagged/guides", 200, "template-blog"),
        (
            "/blogs/news/rain-gear-for-the-coast",
            200,
            "template-article",
        ),
        ("/account/login", 200, "template-login"),
        ("/account/register", 200, "template-register"),
        ("/nope", 404, "template-404"),
        ("/pages/nope", 404, "template-404"),
        ("/blogs/news/nope", 404, "template-404"),
        ("/fr/products/red-rain-coat", 200, "template-product"),
        ("/fr/pages/about", 200, "template-page"),
    ];
    for (path, status, body_class) in pages {
        let resp = app.visitor().get(path).await;
        assert_eq!(resp.status.as_u16(), status, "{path}: {}", resp.text());
        let html = resp.text();
        assert_has(
            &html,
            &[
                body_class,
                "<div id=\"shopify-section-header\" class=\"shopify-section\">",
                "<footer id=\"shopify-section-footer\" class=\"shopify-section\">",
                "/static/assets/base.css?v=",
                "id=\"shopify-globals\"",
                "</html>",
            ],
        );
        assert!(!html.contains("Liquid error"), "{path}: {html}");
    }
    // Pages with a layout of their own (`password`, `giftcard`).
    for (path, body_class) in [
        ("/password", "layout-password template-password"),
        ("/gift_cards/abcd1234", "layout-giftcard template-gift_card"),
    ] {
        let resp = app.visitor().get(path).await;
        assert_eq!(resp.status.as_u16(), 200, "{path}: {}", resp.text());
        let html = resp.text();
        assert_has(&html, &[body_class, "</html>"]);
        assert!(!html.contains("Liquid error"), "{path}: {html}");
    }
    let index = app.visitor().get("/").await.text();
    assert_has(
        &index,
        &[
            "Supports Shopify CLI",
            "Modern Shopify<br>development Workflow.",
            // font_picker and color settings are font and color objects in the layout's style
            "--font-heading-family: sans-serif, sans-serif;",
            "--font-body-weight: 400;",
            "--color-base-text: 37, 37, 37;",
        ],
    );
    app.visitor().get("/static/base.css").await.expect(200);
}

#[test]
fn check_names_unknown_filters_at_their_line_in_theme_checks_json_shape() {
    let problems = vitrine::theme::check(&os2_fixture());
    let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        listed,
        [
            "sections/footer.liquid:1: unknown filter 'no_such_filter' (it passes its input through unchanged)"
        ],
    );
    let json = vitrine::theme::engine::check::problems_json(&problems);
    assert_eq!(json[0]["path"], "sections/footer.liquid");
    assert_eq!(json[0]["offenses"][0]["check"], "UnknownFilter");
    assert_eq!(json[0]["offenses"][0]["start_row"], 0);
}

#[test]
fn helium_checks_clean() {
    let Some(helium) = helium() else { return };
    let listed: Vec<String> = vitrine::theme::check(&helium)
        .iter()
        .map(ToString::to_string)
        .collect();
    let empty: [&str; 0] = [];
    assert_eq!(listed, empty);
}

#[tokio::test]
async fn liquid_assets_render_with_settings_under_the_name_asset_url_gives() {
    let app = TestApp::with_os2_theme(&os2_fixture()).await;
    let html = app.visitor().get("/").await.text();
    let url = html
        .split("href=\"/static/assets/settings.css?v=")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|v| format!("/static/assets/settings.css?v={v}"))
        .expect("asset_url versions the Liquid asset under its served name");
    let css = app.visitor().get(&url).await;
    css.expect(200);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert!(
        css.header("cache-control")
            .is_some_and(|c| c.contains("immutable")),
        "a versioned URL is cached for good"
    );
    assert_has(
        &css.text(),
        &[
            "--accent: #ff0066;",
            "--font-body: Assistant, sans-serif;",
            "--font-heading-weight: 700;",
            "--shop: \"Vitrine Demo Store\";",
            "font-family: Assistant;\n  font-weight: 400;\n  font-style: normal;\n  font-display: swap;",
            "src: url(\"/static/fonts/assistant_n7.woff2\")",
        ],
    );
    let js = app.visitor().get("/static/theme.js").await;
    js.expect(200);
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(
        js.text().trim(),
        "window.themeSettings = { showBadges: true, accent: \"#ff0066\" };"
    );
    // The Liquid source itself is not a storefront file.
    app.visitor()
        .get("/static/settings.css.liquid")
        .await
        .expect(404);
}

#[tokio::test]
async fn a_liquid_asset_error_names_its_file_and_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&os2_fixture(), dir.path());
    std::fs::write(
        dir.path().join("assets/broken.js.liquid"),
        // An operator Liquid does not know: an error even for the lax parser themes use.
        "let a = 1;\n{% if a = 1 %}a{% endif %}\n",
    )
    .expect("write");
    let app = TestApp::with_os2_theme(dir.path()).await;
    let resp = app.visitor().get("/static/broken.js").await;
    resp.expect(500);
    let body = resp.text();
    assert!(
        body.starts_with("/* Liquid error (assets/broken.js.liquid line 2): "),
        "{body}"
    );
}

#[tokio::test]
async fn font_picker_settings_are_font_objects() {
    let app = TestApp::with_os2_theme(&os2_fixture()).await;
    let html = app.visitor().get("/").await.text();
    assert_has(
        &html,
        &[
            // the schema default (settings_data names no body font)
            "<meta name=\"body-font\" content=\"/static/fonts/assistant_n4.woff2\">",
            // settings_data's value over the default; a system font loads with local()
            "font-family: Georgia;\n  font-weight: 700;\n  font-style: normal;\n  src: local(Georgia);",
            "h1, h2 { font-family: Georgia, Times New Roman, serif; font-weight: 700; }",
            // section settings: the instance's value, then the schema default
            "data-font=\"Georgia italic 700\"",
            "data-font=\"Helvetica normal 400\"",
        ],
    );
}

#[tokio::test]
async fn theme_blocks_nest_and_static_blocks_render_where_their_tag_is() {
    let app = TestApp::with_os2_theme(&os2_fixture()).await;
    let html = app.visitor().get("/products/red-rain-coat").await.text();
    let group = html
        .split("<div class=\"group\"")
        .nth(1)
        .and_then(|rest| rest.split("</div>").next())
        .expect("the group block renders");
    let squeezed = |s: &str| s.replace(char::is_whitespace, "");
    assert_eq!(
        squeezed(group),
        squeezed(
            "data-id=\"g1\" ><h3>Details</h3><span class=\"badge\" >Inner in main-product</span>\
             <span class=\"children\"><span class=\"badge\" >Deep in main-product</span></span>\
             <span class=\"badge\" >Pinned in main-product</span>\
             <span class=\"badge\" >New in main-product</span>"
        )
    );
    // The static block is not among the group's ordered children; the disabled one is gone.
    assert!(!html.contains("Hidden"), "{html}");
    assert_eq!(html.matches("Pinned in").count(), 1);
}

#[test]
fn check_finds_missing_files_and_keys_invalid_schemas_and_unknown_tags_at_their_lines() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&os2_fixture(), dir.path());
    let write = |file: &str, text: &str| {
        std::fs::write(dir.path().join(file), text).expect("write");
    };
    write(
        "snippets/card.liquid",
        "<p>{{ 'product.add' | t }}</p>\n{{ 'product.no_such_key' | t }}\n{% render 'no-such-snippet' %}\n",
    );
    write(
        "sections/promo.liquid",
        "{% section 'no-such-section' %}\n{% content_for 'block', type: 'no-such-block', id: 'x' %}\n{% sparkle %}\n",
    );
    write(
        "blocks/broken.liquid",
        "<b></b>\n{% schema %}\n{ \"name\": \"Broken\", }\n{% endschema %}\n",
    );
    write(
        "templates/page.json",
        "{\n  \"sections\": {\n    \"main\": { \"type\": \"no-such-type\" }\n  },\n  \"order\": [\"main\"]\n}\n",
    );
    write(
        "sections/footer-group.json",
        "{\n  \"type\": \"footer\",\n  \"name\": \"Footer\",\n  \"sections\": {\n    \"f\": { \"type\": \"gone\" }\n  },\n  \"order\": [\"f\"]\n}\n",
    );
    let problems = vitrine::theme::check(dir.path());
    let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
    for expected in [
        "snippets/card.liquid:2: translation key 'product.no_such_key' is not in the default locale",
        "snippets/card.liquid:3: snippet 'no-such-snippet' does not exist (snippets/no-such-snippet.liquid)",
        "sections/promo.liquid:1: section 'no-such-section' does not exist (sections/no-such-section.liquid)",
        "sections/footer-group.json:5: section 'f' has unknown type 'gone' (no sections/gone.liquid)",
        "templates/page.json:3: section 'main' has unknown type 'no-such-type' (no sections/no-such-type.liquid)",
    ] {
        assert!(
            listed.iter().any(|l| l == expected),
            "{expected} not in {listed:#?}"
        );
    }
    let starts = |prefix: &str| listed.iter().any(|l| l.starts_with(prefix));
    assert!(
        starts("sections/promo.liquid:3: unknown tag 'sparkle'"),
        "{listed:#?}"
    );
    assert!(
        starts("blocks/broken.liquid:3: invalid schema JSON"),
        "{listed:#?}"
    );
    // A theme block missing is reported only once the file's own syntax error is fixed.
    write(
        "sections/promo.liquid",
        "{% content_for 'block', type: 'no-such-block', id: 'x' %}\n\
         {% assign shown = product.title %}{{ shown }}{{ mystery.title | default: section.id }}\n",
    );
    let listed: Vec<String> = vitrine::theme::check(dir.path())
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        listed.iter().any(|l| l
            == "sections/promo.liquid:1: theme block 'no-such-block' does not exist (blocks/no-such-block.liquid)"),
        "{listed:#?}"
    );
    // Shopify's objects and the file's own names are known; anything else is nil.
    let unknown: Vec<&String> = listed
        .iter()
        .filter(|l| l.contains("unknown object"))
        .collect();
    assert_eq!(
        unknown,
        ["sections/promo.liquid:2: unknown object 'mystery' (it is nil here)"],
        "{listed:#?}"
    );
    let json = vitrine::theme::engine::check::problems_json(&problems);
    let check_of = |path: &str, row: u64| {
        json.as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["path"] == path)
            .flat_map(|f| f["offenses"].as_array().cloned().unwrap_or_default())
            .find(|o| o["start_row"] == row)
            .map(|o| o["check"].as_str().unwrap_or_default().to_owned())
    };
    assert_eq!(
        check_of("snippets/card.liquid", 1).as_deref(),
        Some("TranslationKeyExists")
    );
    assert_eq!(
        check_of("snippets/card.liquid", 2).as_deref(),
        Some("MissingTemplate")
    );
    assert_eq!(
        check_of("templates/page.json", 2).as_deref(),
        Some("MissingTemplate")
    );
    assert_eq!(
        check_of("sections/promo.liquid", 2).as_deref(),
        Some("SyntaxError")
    );
    assert_eq!(
        check_of("blocks/broken.liquid", 2).as_deref(),
        Some("ValidSchema")
    );
}

#[tokio::test]
async fn our_own_theme_shows_pages_and_the_blog_too() {
    let app = TestApp::with_real_theme(&[], false).await;
    let about = app.visitor().get("/fr/pages/about").await;
    about.expect(200);
    assert_has(
        &about.text(),
        &[
            "<h1 class=\"page-title\">About us</h1>",
            "<div class=\"rte\"><p>We are a small shop",
        ],
    );
    let blog = app.visitor().get("/blogs/news/tagged/pantry").await;
    blog.expect(200);
    let html = blog.text();
    assert_has(
        &html,
        &[
            "<h1 class=\"page-title\">Journal – pantry</h1>",
            "<a href=\"/blogs/news/a-pantry-for-grey-days\">A pantry for grey days</a>",
        ],
    );
    assert!(!html.contains("Caring for waxed cotton"), "{html}");
    let article = app
        .visitor()
        .get("/blogs/news/caring-for-waxed-cotton")
        .await;
    article.expect(200);
    assert!(
        article
            .text()
            .contains("<time datetime=\"2024-05-20T09:15:00-04:00\">May 20, 2024</time>")
    );
    app.visitor().get("/pages/nope").await.expect(404);
}

#[tokio::test]
async fn a_collection_filters_by_tag_and_shows_its_products_within() {
    let app = TestApp::with_os2_theme(&os2_fixture()).await;
    let tagged = app.visitor().get("/collections/rainwear/footwear").await;
    tagged.expect(200);
    let html = tagged.text();
    assert_has(
        &html,
        &[
            "<h1>Rainwear & Outdoors (footwear)</h1>",
            "<li class=\"card\">Classic Rain Boots</li>",
            "page 1 of 1",
        ],
    );
    assert!(!html.contains("Red Rain Coat</li>"), "{html}");
    let none = app
        .visitor()
        .get("/fr/collections/rainwear/no-such-tag")
        .await;
    none.expect(200);
    assert!(none.text().contains("page 1 of 1"));
    // A product seen through a collection is the product page, with status 200.
    let within = app
        .visitor()
        .get("/collections/rainwear/products/red-rain-coat")
        .await;
    within.expect(200);
    assert!(within.text().contains("class=\"template-product\""));
    app.visitor()
        .get("/collections/nope/footwear")
        .await
        .expect(404);
}
