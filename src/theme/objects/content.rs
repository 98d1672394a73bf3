//! Shopify's content objects: `linklists` (alias `menus`) and `link`, `pages` and `page`,
//! `blogs`, `blog` and `article`, built once per locale at load. Which link is `active` depends
//! on the request: a link reads the path of the page being rendered on its thread (see
//! [`enter_nav`]) and notes that it did, so a snippet showing a menu is not reused for
//! another page.
//! Reference: <https://shopify.dev/docs/api/liquid/objects/linklists>,
//! <https://shopify.dev/docs/api/liquid/objects/link>,
//! <https://shopify.dev/docs/api/liquid/objects/page>,
//! <https://shopify.dev/docs/api/liquid/objects/blog>,
//! <https://shopify.dev/docs/api/liquid/objects/article>

use foldhash::HashMap;
use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use minijinja::Value;
use minijinja::value::{Enumerator, Object, ObjectRepr};

use super::image::opt_image;
use crate::catalog::{Article, Blog, Content, Menu, MenuLink, Page};

/// A list also indexable by handle (`pages.about`, `blogs['news']`, `linklists.footer`).
#[derive(Debug, Default)]
pub struct ByHandle {
    list: Vec<Value>,
    index: HashMap<String, usize>,
}

impl ByHandle {
    fn new(items: impl IntoIterator<Item = (String, Value)>) -> ByHandle {
        let mut by = ByHandle::default();
        for (handle, value) in items {
            by.index.entry(handle).or_insert(by.list.len());
            by.list.push(value);
        }
        by
    }

    pub fn get(&self, handle: &str) -> Option<&Value> {
        self.index.get(handle).map(|&i| &self.list[i])
    }
}

impl Object for ByHandle {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str() {
            Some("size") => Some(Value::from(self.list.len())),
            Some(handle) => self.get(handle).cloned(),
            None => self.list.get(key.as_usize()?).cloned(),
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.list.len())
    }
}

/// One blog with every article, as built at load.
#[derive(Debug)]
pub struct BlogBase {
    pub handle: String,
    pub title: String,
    /// Each article's tags, beside its value, for `/blogs/x/tagged/y`.
    articles: Vec<(Vec<String>, Value)>,
    pub by_article: HashMap<String, usize>,
    all_tags: Vec<String>,
    comments_enabled: bool,
    moderated: bool,
    url: String,
    id: i64,
    pub template_suffix: Option<String>,
}

impl BlogBase {
    fn build(blog: &Blog, root: &str) -> BlogBase {
        let url = format!("{root}{}", blog.url());
        let articles: Vec<(Vec<String>, Value)> = blog
            .articles
            .iter()
            .map(|a| (a.tags.clone(), article_value(a, blog, &url)))
            .collect();
        BlogBase {
            handle: blog.handle.clone(),
            title: blog.title.clone(),
            by_article: blog
                .articles
                .iter()
                .enumerate()
                .map(|(i, a)| (a.handle.clone(), i))
                .collect(),
            articles,
            all_tags: blog.all_tags().into_iter().map(str::to_owned).collect(),
            comments_enabled: blog.comments_enabled(),
            moderated: blog.comments == "moderated",
            url,
            id: blog.id,
            template_suffix: blog.template_suffix.clone(),
        }
    }

    pub fn article(&self, handle: &str) -> Option<Value> {
        self.by_article
            .get(handle)
            .map(|&i| self.articles[i].1.clone())
    }

    /// The `blog` object; with `tag`, `articles` holds only the articles tagged so (matched
    /// without regard to case, as Shopify's tag URLs are).
    pub fn value(&self, tag: Option<&str>) -> Value {
        let shown: Vec<&(Vec<String>, Value)> = self
            .articles
            .iter()
            .filter(|(tags, _)| tag.is_none_or(|t| tags.iter().any(|x| same_tag(x, t))))
            .collect();
        let mut tags: Vec<&str> = Vec::new();
        for tag in shown.iter().flat_map(|(tags, _)| tags) {
            if !tags.contains(&tag.as_str()) {
                tags.push(tag);
            }
        }
        let strings =
            |list: &[&str]| Value::from(list.iter().map(|s| Value::from(*s)).collect::<Vec<_>>());
        let all_tags: Vec<&str> = self.all_tags.iter().map(String::as_str).collect();
        Value::from_pairs([
            ("id", Value::from(self.id)),
            ("handle", Value::from(self.handle.as_str())),
            ("title", Value::from(self.title.as_str())),
            ("url", Value::from(self.url.as_str())),
            (
                "articles",
                Value::from(shown.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>()),
            ),
            ("articles_count", Value::from(shown.len())),
            ("all_tags", strings(&all_tags)),
            ("tags", strings(&tags)),
            ("comments_enabled?", Value::from(self.comments_enabled)),
            ("moderated?", Value::from(self.moderated)),
            (
                "template_suffix",
                self.template_suffix
                    .as_deref()
                    .map_or(Value::from(()), Value::from),
            ),
            (
                "metafields",
                Value::from_pairs(Vec::<(String, Value)>::new()),
            ),
        ])
    }
}

/// Whether two tags are the same tag: Shopify's tag URLs are lowercase and handleized.
pub fn same_tag(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b) || handleize(a) == handleize(b)
}

fn handleize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

fn html(text: &str) -> Value {
    Value::from_safe_string(text.to_owned())
}

fn opt_str(text: &Option<String>) -> Value {
    text.as_deref().map_or(Value::from(()), Value::from)
}

fn article_value(article: &Article, blog: &Blog, blog_url: &str) -> Value {
    let url = format!("{blog_url}/{}", article.handle);
    let excerpt_or_content = if article.excerpt.trim().is_empty() {
        &article.content
    } else {
        &article.excerpt
    };
    let created = if article.created_at.is_empty() {
        &article.published_at
    } else {
        &article.created_at
    };
    let (first, last) = article
        .author
        .split_once(' ')
        .unwrap_or((article.author.as_str(), ""));
    let user = Value::from_pairs([
        ("name", Value::from(article.author.as_str())),
        ("first_name", Value::from(first)),
        ("last_name", Value::from(last)),
        ("account_owner", Value::from(false)),
        ("bio", Value::from(())),
        ("email", Value::from(())),
        ("homepage", Value::from(())),
        ("image", Value::from(())),
    ]);
    Value::from_pairs([
        ("id", Value::from(article.id)),
        ("handle", Value::from(article.handle.as_str())),
        ("title", Value::from(article.title.as_str())),
        ("url", Value::from(url.as_str())),
        ("author", Value::from(article.author.as_str())),
        ("user", user),
        ("content", html(&article.content)),
        ("excerpt", html(&article.excerpt)),
        ("excerpt_or_content", html(excerpt_or_content)),
        ("published_at", Value::from(article.published_at.as_str())),
        ("created_at", Value::from(created.as_str())),
        ("updated_at", Value::from(created.as_str())),
        (
            "tags",
            Value::from(
                article
                    .tags
                    .iter()
                    .map(|t| Value::from(t.as_str()))
                    .collect::<Vec<_>>(),
            ),
        ),
        ("image", opt_image(article.image.as_ref())),
        ("comments", Value::from(Vec::<Value>::new())),
        ("comments_count", Value::from(0)),
        ("comment_post_url", Value::from(format!("{url}/comments"))),
        ("comments_enabled?", Value::from(blog.comments_enabled())),
        ("moderated?", Value::from(blog.comments == "moderated")),
        ("blog_id", Value::from(blog.id)),
        ("template_suffix", Value::from(())),
        ("object_type", Value::from("article")),
        (
            "metafields",
            Value::from_pairs(Vec::<(String, Value)>::new()),
        ),
    ])
}

fn page_value(page: &Page, root: &str) -> Value {
    let body = html(&page.body);
    Value::from_pairs([
        ("id", Value::from(page.id)),
        ("handle", Value::from(page.handle.as_str())),
        ("title", Value::from(page.title.as_str())),
        ("url", Value::from(format!("{root}/pages/{}", page.handle))),
        ("author", Value::from(page.author.as_str())),
        ("content", body.clone()),
        ("body", body),
        ("template_suffix", opt_str(&page.template_suffix)),
        ("published_at", Value::from(page.published_at.as_str())),
        ("created_at", Value::from(page.created_at.as_str())),
        ("object_type", Value::from("page")),
        (
            "metafields",
            Value::from_pairs(Vec::<(String, Value)>::new()),
        ),
    ])
}

/// A menu entry as built at load: its URL carries the locale prefix.
#[derive(Debug)]
struct LinkBase {
    title: String,
    handle: String,
    url: String,
    /// The URL's path, the way `current` compares it (query and fragment dropped).
    path: String,
    link_type: String,
    object: Value,
    links: Vec<Arc<LinkBase>>,
    levels: usize,
}

/// A menu as built at load.
#[derive(Debug)]
struct MenuBase {
    handle: String,
    title: String,
    links: Vec<Arc<LinkBase>>,
    levels: usize,
}

/// Every menu, page and blog of one locale.
#[derive(Debug, Default)]
pub struct ContentValues {
    pub pages: Arc<ByHandle>,
    page_suffixes: HashMap<String, Option<String>>,
    pub blogs: Vec<Arc<BlogBase>>,
    pub blogs_value: Value,
    /// `linklists`: every menu, by handle.
    pub linklists: Value,
    menus: Arc<ByHandle>,
    /// Every page and article, for search: its value and its text in lowercase.
    pub searchable: Vec<(&'static str, Value, String)>,
}

impl ContentValues {
    /// `object` resolves a link's `type` and `object` handle to the catalog's object (a
    /// collection or product), when the content itself does not hold it.
    pub fn build(
        content: &Content,
        root: &str,
        object: &dyn Fn(&str, &str) -> Option<Value>,
    ) -> ContentValues {
        let pages = Arc::new(ByHandle::new(
            content
                .pages
                .iter()
                .map(|p| (p.handle.clone(), page_value(p, root))),
        ));
        let blogs: Vec<Arc<BlogBase>> = content
            .blogs
            .iter()
            .map(|b| Arc::new(BlogBase::build(b, root)))
            .collect();
        let blogs_value = Value::from_object(ByHandle::new(
            blogs.iter().map(|b| (b.handle.clone(), b.value(None))),
        ));
        let resolve = |kind: &str, handle: &str| -> Value {
            let found = match kind {
                "page_link" => pages.get(handle).cloned(),
                "blog_link" => blogs
                    .iter()
                    .find(|b| b.handle == handle)
                    .map(|b| b.value(None)),
                _ => object(kind, handle),
            };
            found.unwrap_or(Value::from(()))
        };
        let menus: Vec<Arc<MenuBase>> = content
            .menus
            .iter()
            .map(|m| Arc::new(menu_base(m, root, &resolve)))
            .collect();
        let mut searchable = Vec::new();
        for page in &content.pages {
            if let Some(value) = pages.get(&page.handle) {
                let text = format!("{} {}", page.title, strip_tags(&page.body)).to_lowercase();
                searchable.push(("page", value.clone(), text));
            }
        }
        for (blog, base) in content.blogs.iter().zip(&blogs) {
            for article in &blog.articles {
                if let Some(value) = base.article(&article.handle) {
                    let text = format!(
                        "{} {} {} {}",
                        article.title,
                        article.author,
                        article.tags.join(" "),
                        strip_tags(&article.content)
                    )
                    .to_lowercase();
                    searchable.push(("article", value, text));
                }
            }
        }
        let linklists = Arc::new(ByHandle::new(menus.iter().map(|m| {
            (
                m.handle.clone(),
                Value::from_object(Linklist {
                    links: link_values(&m.links),
                    menu: m.clone(),
                }),
            )
        })));
        ContentValues {
            linklists: Value::from_dyn_object(linklists.clone()),
            menus: linklists,
            pages,
            page_suffixes: content
                .pages
                .iter()
                .map(|p| (p.handle.clone(), p.template_suffix.clone()))
                .collect(),
            blogs,
            blogs_value,
            searchable,
        }
    }

    /// A page's value and its template suffix.
    pub fn page(&self, handle: &str) -> Option<(Value, Option<&str>)> {
        let value = self.pages.get(handle)?.clone();
        let suffix = self.page_suffixes.get(handle).and_then(|s| s.as_deref());
        Some((value, suffix))
    }

    pub fn blog(&self, handle: &str) -> Option<&Arc<BlogBase>> {
        self.blogs.iter().find(|b| b.handle == handle)
    }

    /// A menu by handle (what a `link_list` setting names).
    pub fn linklist(&self, handle: &str) -> Option<Value> {
        self.menus.get(handle).cloned()
    }

    /// An article by `blog/article` handle (how an `article` setting names it), or by its
    /// handle alone in any blog.
    pub fn article(&self, handle: &str) -> Option<Value> {
        match handle.split_once('/') {
            Some((blog, article)) => self.blog(blog)?.article(article),
            None => self.blogs.iter().find_map(|b| b.article(handle)),
        }
    }
}

fn menu_base(menu: &Menu, root: &str, resolve: &dyn Fn(&str, &str) -> Value) -> MenuBase {
    let links: Vec<Arc<LinkBase>> = menu
        .links
        .iter()
        .map(|l| Arc::new(link_base(l, root, resolve)))
        .collect();
    MenuBase {
        handle: menu.handle.clone(),
        title: menu.title.clone(),
        levels: levels(&links),
        links,
    }
}

fn levels(links: &[Arc<LinkBase>]) -> usize {
    links.iter().map(|l| l.levels + 1).max().unwrap_or(0)
}

fn link_base(link: &MenuLink, root: &str, resolve: &dyn Fn(&str, &str) -> Value) -> LinkBase {
    // Links inside the shop follow the visitor's locale; others are left as written.
    let url = if link.url.starts_with('/') && !link.url.starts_with("//") {
        match link.url.as_str() {
            "/" if !root.is_empty() => root.to_owned(),
            _ => format!("{root}{}", link.url),
        }
    } else {
        link.url.clone()
    };
    let path = if url.starts_with('/') {
        comparable_path(&url)
    } else {
        String::new()
    };
    let links: Vec<Arc<LinkBase>> = link
        .links
        .iter()
        .map(|l| Arc::new(link_base(l, root, resolve)))
        .collect();
    LinkBase {
        title: link.title.clone(),
        handle: handleize(&link.title),
        object: link
            .object
            .as_deref()
            .map_or(Value::from(()), |h| resolve(&link.link_type, h)),
        link_type: link.link_type.clone(),
        path,
        url,
        levels: levels(&links),
        links,
    }
}

/// A path as `current` compares it: no query or fragment, no trailing slash, and a product
/// inside a collection (`/collections/x/products/y`) the same as the product itself.
fn comparable_path(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let path = path.trim_end_matches('/');
    let path = match path.find("/collections/") {
        Some(at) => {
            let rest = &path[at + "/collections/".len()..];
            match rest.split_once("/products/") {
                Some((_, product)) => format!("{}/products/{product}", &path[..at]),
                None => path.to_owned(),
            }
        }
        None => path.to_owned(),
    };
    if path.is_empty() {
        "/".to_owned()
    } else {
        path
    }
}

/// Whether a link to `link` is active on `path`: the path is the link's, or lies below it.
/// `home` links (the shop's root, `/` or `/fr`) are only active on the home page, or they would
/// be active everywhere.
fn is_active(link: &str, path: &str, home: bool) -> bool {
    if link.is_empty() {
        return false;
    }
    link == path
        || (!home && link != "/" && path.starts_with(link) && path[link.len()..].starts_with('/'))
}

/// The request path as links compare it: `current` for `link.current` (a product inside a
/// collection counts as the product), `raw` for `link.active` (so the collection's link is
/// active on its products).
#[derive(Debug)]
struct RequestPath {
    current: String,
    raw: String,
}

/// The page being rendered on this thread, as links see it.
#[derive(Debug, Clone)]
pub struct Nav {
    path: Arc<RequestPath>,
    /// Counts reads of per-request values (the page's counter, see `fragments`).
    reads: Arc<AtomicU64>,
}

impl Nav {
    /// `path` is the request path with its locale prefix.
    pub fn new(path: &str, reads: Arc<AtomicU64>) -> Nav {
        let raw = path
            .split(['?', '#'])
            .next()
            .unwrap_or("")
            .trim_end_matches('/');
        Nav {
            path: Arc::new(RequestPath {
                current: comparable_path(path),
                raw: if raw.is_empty() {
                    "/".into()
                } else {
                    raw.into()
                },
            }),
            reads,
        }
    }
}

thread_local! {
    static NAV: RefCell<Option<Nav>> = const { RefCell::new(None) };
}

/// Makes `nav` the page links compare against on this thread; returns the one before, to put
/// back when the render ends.
pub fn enter_nav(nav: Option<Nav>) -> Option<Nav> {
    NAV.with(|current| current.replace(nav))
}

/// Whether `test` holds for the page being rendered (false outside a render).
fn on_page(test: impl Fn(&RequestPath) -> bool) -> bool {
    NAV.with(|nav| {
        nav.borrow().as_ref().is_some_and(|nav| {
            nav.reads.fetch_add(1, Ordering::Relaxed);
            test(&nav.path)
        })
    })
}

#[derive(Debug)]
struct Linklist {
    menu: Arc<MenuBase>,
    links: Value,
}

fn link_values(links: &[Arc<LinkBase>]) -> Value {
    Value::from(
        links
            .iter()
            .map(|l| {
                Value::from_object(LinkObject {
                    link: l.clone(),
                    links: link_values(&l.links),
                })
            })
            .collect::<Vec<_>>(),
    )
}

impl Object for Linklist {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(match key.as_str()? {
            "handle" => Value::from(self.menu.handle.as_str()),
            "title" => Value::from(self.menu.title.as_str()),
            "levels" => Value::from(self.menu.levels),
            "links" => self.links.clone(),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(&["handle", "title", "levels", "links"])
    }
}

/// A `link`.
#[derive(Debug)]
struct LinkObject {
    link: Arc<LinkBase>,
    links: Value,
}

fn current(link: &LinkBase, path: &RequestPath) -> bool {
    !link.path.is_empty() && link.path == path.current
}

fn active(link: &LinkBase, path: &RequestPath) -> bool {
    let home = link.link_type == "frontpage_link";
    is_active(&link.path, &path.raw, home) || is_active(&link.path, &path.current, home)
}

fn any_below(
    link: &LinkBase,
    path: &RequestPath,
    test: fn(&LinkBase, &RequestPath) -> bool,
) -> bool {
    link.links
        .iter()
        .any(|child| test(child, path) || any_below(child, path, test))
}

impl Object for LinkObject {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let link = &*self.link;
        Some(match key.as_str()? {
            "title" => Value::from(link.title.as_str()),
            "handle" => Value::from(link.handle.as_str()),
            "url" => Value::from(link.url.as_str()),
            "type" => Value::from(link.link_type.as_str()),
            "object" => link.object.clone(),
            "active" => Value::from(on_page(|path| active(link, path))),
            "current" => Value::from(on_page(|path| current(link, path))),
            "child_active" => Value::from(on_page(|path| any_below(link, path, active))),
            "child_current" => Value::from(on_page(|path| any_below(link, path, current))),
            "levels" => Value::from(link.levels),
            "links" => self.links.clone(),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(&[
            "title",
            "handle",
            "url",
            "type",
            "object",
            "active",
            "current",
            "child_active",
            "child_current",
            "levels",
            "links",
        ])
    }

    /// `{{ link }}` prints its title, as Shopify's drop does.
    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.link.title)
    }
}

/// The text of an HTML fragment, for search: tags dropped.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_compare_without_query_slash_or_collection() {
        assert_eq!(comparable_path("/pages/about/?x=1#top"), "/pages/about");
        assert_eq!(
            comparable_path("/collections/rainwear/products/red-rain-coat"),
            "/products/red-rain-coat"
        );
        assert_eq!(
            comparable_path("/fr/collections/rainwear/products/hat"),
            "/fr/products/hat"
        );
        assert_eq!(comparable_path("/"), "/");
        assert_eq!(comparable_path(""), "/");
    }

    #[test]
    fn a_link_is_active_on_its_page_and_below_it() {
        // Shopify's example: an article of the potion-notions blog.
        let path = "/blogs/potion-notions/new-potions-for-spring";
        assert!(is_active("/blogs/potion-notions", path, false));
        assert!(is_active(path, path, false));
        assert!(!is_active("/blogs/potion", path, false));
        assert!(!is_active("/", path, true));
        assert!(!is_active("/fr", "/fr/pages/about", true));
        assert!(is_active("/", "/", true));
    }

    #[test]
    fn tags_match_by_handle() {
        assert!(same_tag("Rain Gear", "rain-gear"));
        assert!(same_tag("Guides", "guides"));
        assert!(!same_tag("Guides", "recipes"));
        assert_eq!(handleize("  Rain & Gear! "), "rain-gear");
    }

    #[test]
    fn text_of_html() {
        assert_eq!(strip_tags("<p>Hi <b>there</b></p>").trim(), "Hi  there");
    }
}
