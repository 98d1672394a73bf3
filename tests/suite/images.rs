//! `/static` resizes images: an SVG of the catalog answered as a PNG of the asked width, written
//! once to the disk cache and read from it afterwards; bad sizes answer 400, paths outside the
//! static folder 404; and the URL a page's `image_url` writes is one the endpoint serves.

use std::path::{Path, PathBuf};

use crate::common::TestApp;

const COAT: &str = "static/products/red-rain-coat.svg";

fn repo_file(path: &str) -> String {
    std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path))
        .expect("a file of the repo's theme")
}

/// The repo's theme with the red rain coat's picture in its `static/`.
async fn app() -> TestApp {
    let svg = repo_file(COAT);
    TestApp::with_real_theme(&[(COAT, &svg)], false).await
}

fn cached_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    let image = image::load_from_memory_with_format(bytes, image::ImageFormat::Png)
        .expect("the answer is a PNG");
    (image.width(), image.height())
}

#[tokio::test]
async fn an_svg_is_answered_as_a_png_of_the_asked_width_then_from_the_cache() {
    let app = app().await;
    let visitor = app.visitor();
    let cache = app.state.config().image_cache_dir();
    assert_eq!(cache, app.path().join("data").join("cache").join("images"));

    let first = visitor
        .get("/static/products/red-rain-coat.svg?width=400")
        .await;
    first.expect(200);
    assert_eq!(first.header("content-type"), Some("image/png"));
    assert_eq!(first.header("x-vitrine-image-cache"), Some("miss"));
    // No version in the URL: a short browser cache.
    assert_eq!(first.header("cache-control"), Some("public, max-age=60"));
    assert_eq!(png_size(&first.body), (400, 400));

    let entries = cached_files(&cache);
    assert_eq!(entries.len(), 1, "one cache entry: {entries:?}");
    assert_eq!(std::fs::read(&entries[0]).expect("entry"), first.body);

    let second = visitor
        .get("/static/products/red-rain-coat.svg?width=400")
        .await;
    second.expect(200);
    assert_eq!(second.header("x-vitrine-image-cache"), Some("hit"));
    assert_eq!(second.body, first.body);
    assert_eq!(cached_files(&cache).len(), 1);

    // Another size is another entry; a crop fills its box.
    let cropped = visitor
        .get("/static/products/red-rain-coat.svg?width=300&height=100&crop=top&v=1")
        .await;
    cropped.expect(200);
    assert_eq!(png_size(&cropped.body), (300, 100));
    assert_eq!(
        cropped.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(cached_files(&cache).len(), 2);

    let webp = visitor
        .get("/static/products/red-rain-coat.svg?width=64&format=webp")
        .await;
    webp.expect(200);
    assert_eq!(webp.header("content-type"), Some("image/webp"));
    assert_eq!(
        image::guess_format(&webp.body).expect("a known format"),
        image::ImageFormat::WebP
    );
}

#[tokio::test]
async fn an_edited_source_gets_a_new_entry() {
    let app = app().await;
    let visitor = app.visitor();
    let url = "/static/products/red-rain-coat.svg?width=40";
    let before = visitor.get(url).await;
    before.expect(200);
    let source = app.path().join(COAT);
    std::fs::write(
        &source,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50"><rect width="100" height="50" fill="black"/></svg>"#,
    )
    .expect("edit the source");
    let after = visitor.get(url).await;
    after.expect(200);
    assert_eq!(after.header("x-vitrine-image-cache"), Some("miss"));
    assert_eq!(png_size(&after.body), (40, 20));
}

#[tokio::test]
async fn bad_sizes_answer_400_and_paths_outside_static_404() {
    let app = app().await;
    std::fs::write(app.path().join("data").join("secret.svg"), repo_file(COAT))
        .expect("a file outside static/");
    let visitor = app.visitor();
    for query in [
        "width=0",
        "width=5761",
        "height=-4",
        "width=abc",
        "width=10&crop=middle",
        "width=10&format=avif",
        "width=10&crop=region",
    ] {
        let response = visitor
            .get(&format!("/static/products/red-rain-coat.svg?{query}"))
            .await;
        response.expect(400);
        assert_eq!(
            response.header("content-type"),
            Some("text/plain; charset=utf-8"),
            "{query}"
        );
        assert!(!response.text().is_empty(), "{query}");
    }
    assert_eq!(
        visitor
            .get("/static/products/red-rain-coat.svg?width=0")
            .await
            .text(),
        "width must be a whole number from 1 to 5760"
    );
    for path in [
        "/static/../data/secret.svg?width=10",
        "/static/products/../../data/secret.svg?width=10",
        "/static/%2e%2e/data/secret.svg?width=10",
        "/static/products/..%2f..%2fdata%2fsecret.svg?width=10",
        "/static/products/missing.svg?width=10",
        "/static/products?width=10",
    ] {
        let response = visitor.get(path).await;
        assert_eq!(response.status, 404, "{path}: {}", response.text());
    }
}

#[tokio::test]
async fn without_a_size_the_file_is_served_as_it_is() {
    let app = app().await;
    let response = app
        .visitor()
        .get("/static/products/red-rain-coat.svg?v=123")
        .await;
    response.expect(200);
    assert_eq!(response.header("content-type"), Some("image/svg+xml"));
    assert_eq!(response.text(), repo_file(COAT));
    assert!(cached_files(&app.state.config().image_cache_dir()).is_empty());
}

/// The `src` of the first `<img class="...{class}...">` of a page, with `&amp;` read back.
fn img_src(html: &str, class: &str) -> String {
    let at = html
        .find(&format!("class=\"{class}\""))
        .unwrap_or_else(|| panic!("no {class} image in the page"));
    let rest = &html[at..];
    let start = rest.find("src=\"").expect("a src") + 5;
    let end = rest[start..].find('"').expect("the src ends") + start;
    rest[start..end].replace("&amp;", "&")
}

#[tokio::test]
async fn a_pages_image_url_is_served() {
    let app = app().await;
    let visitor = app.visitor();
    let page = visitor.get("/products/red-rain-coat").await;
    page.expect(200);
    let src = img_src(&page.text(), "product__image");
    // The file's version first, then the section's width (800 by default).
    assert!(
        src.starts_with("/static/products/red-rain-coat.svg?v="),
        "{src}"
    );
    assert!(src.ends_with("&width=800"), "{src}");
    let image = visitor.get(&src).await;
    image.expect(200);
    assert_eq!(png_size(&image.body), (800, 800));
    assert_eq!(
        image.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
}

#[tokio::test]
async fn image_tag_on_a_page_knows_the_catalog_image() {
    let section = "<p class=\"tag-test\">{{ product.featured_image | image_url: width: 1000 | image_tag: loading: 'lazy', data-media-id: 7 }}</p>\n{% schema %}{\"name\": \"Image tag\"}{% endschema %}";
    let template = r#"{"sections": {"main": {"type": "image-tag-test"}}, "order": ["main"]}"#;
    let svg = repo_file(COAT);
    let app = TestApp::with_real_theme(
        &[
            (COAT, &svg),
            ("sections/image-tag-test.liquid", section),
            ("templates/product.tag.json", template),
        ],
        false,
    )
    .await;
    let page = app.visitor().get("/products/red-rain-coat?view=tag").await;
    page.expect(200);
    let html = page.text();
    let tag = html
        .split("<p class=\"tag-test\"><img ")
        .nth(1)
        .map(|rest| {
            format!(
                "<img {}",
                &rest[..rest.find('>').map_or(rest.len(), |i| i + 1)]
            )
        })
        .unwrap_or_else(|| panic!("no img in {html}"));
    // An SVG is drawn at the asked width: 1000 of an 800x800 picture.
    assert!(tag.contains(" width=\"1000\" height=\"1000\""), "{tag}");
    assert!(tag.contains(" alt=\"Red rain coat with a hood\""), "{tag}");
    assert!(tag.contains(" loading=\"lazy\""), "{tag}");
    // A keyword minijinja cannot take as a name reaches the filter all the same.
    assert!(tag.contains(" data-media-id=\"7\""), "{tag}");
    assert!(tag.contains("&amp;width=832 832w, "), "{tag}");
    assert!(tag.contains("&amp;width=1000 1000w\""), "{tag}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_for_one_new_size_all_get_the_whole_image() {
    let app = app().await;
    let url = "/static/products/red-rain-coat.svg?width=320&format=jpg";
    let answers = futures_util::future::join_all((0..6).map(|_| {
        let visitor = app.visitor();
        async move { visitor.get(url).await }
    }))
    .await;
    let first = &answers[0];
    for answer in &answers {
        answer.expect(200);
        assert_eq!(answer.header("content-type"), Some("image/jpeg"));
        assert_eq!(answer.body, first.body);
    }
    let image = image::load_from_memory(&first.body).expect("a whole JPEG");
    assert_eq!((image.width(), image.height()), (320, 320));
    let entries = cached_files(&app.state.config().image_cache_dir());
    assert_eq!(
        entries.len(),
        1,
        "one entry, no temporary files left: {entries:?}"
    );
}
