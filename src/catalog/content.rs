//! The shop's content besides products: navigation menus (`data/menus.json`), pages
//! (`data/pages.json`) and blogs with their articles (`data/blogs.json`). Shaped like Shopify's
//! `linklist`, `page`, `blog` and `article` objects; which link is active depends on the request,
//! so that is left to the theme objects.

use serde::{Deserialize, Serialize};

use super::Image;

/// A navigation menu (Shopify's `linklist`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Menu {
    pub handle: String,
    pub title: String,
    #[serde(default)]
    pub links: Vec<MenuLink>,
}

/// One menu entry, possibly with nested entries (Shopify allows three levels).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MenuLink {
    pub title: String,
    pub url: String,
    /// Shopify's link type: `frontpage_link`, `collection_link`, `product_link`, `page_link`,
    /// `blog_link`, `search_link`, `collections_link`, `http_link`, ...
    #[serde(rename = "type", default = "http_link")]
    pub link_type: String,
    /// Handle of the collection, product, page or blog the link points to, if any.
    #[serde(default)]
    pub object: Option<String>,
    #[serde(default)]
    pub links: Vec<MenuLink>,
}

fn http_link() -> String {
    "http_link".into()
}

/// A content page: `/pages/<handle>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Page {
    pub id: i64,
    pub handle: String,
    pub title: String,
    #[serde(default)]
    pub author: String,
    /// HTML (Shopify calls it both `content` and `body`).
    #[serde(default, alias = "content")]
    pub body: String,
    /// Renders with `templates/page.<suffix>` when the theme has it.
    #[serde(default)]
    pub template_suffix: Option<String>,
    pub published_at: String,
    #[serde(default)]
    pub created_at: String,
}

/// A blog: `/blogs/<handle>`, holding its articles newest first as listed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Blog {
    pub id: i64,
    pub handle: String,
    pub title: String,
    /// `disabled`, `moderated` or `enabled`, as Shopify's blog setting.
    #[serde(default = "comments_disabled")]
    pub comments: String,
    #[serde(default)]
    pub template_suffix: Option<String>,
    #[serde(default)]
    pub articles: Vec<Article>,
}

fn comments_disabled() -> String {
    "disabled".into()
}

impl Blog {
    pub fn url(&self) -> String {
        format!("/blogs/{}", self.handle)
    }

    pub fn comments_enabled(&self) -> bool {
        self.comments != "disabled"
    }

    /// Every tag of its articles, each once, in the order first met.
    pub fn all_tags(&self) -> Vec<&str> {
        let mut tags: Vec<&str> = Vec::new();
        for tag in self.articles.iter().flat_map(|a| a.tags.iter()) {
            if !tags.contains(&tag.as_str()) {
                tags.push(tag);
            }
        }
        tags
    }
}

/// A blog post: `/blogs/<blog>/<handle>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Article {
    pub id: i64,
    pub handle: String,
    pub title: String,
    #[serde(default)]
    pub author: String,
    /// HTML.
    #[serde(default)]
    pub content: String,
    /// HTML; empty when the article has none (`excerpt_or_content` falls back to the content).
    #[serde(default)]
    pub excerpt: String,
    #[serde(default)]
    pub tags: Vec<String>,
    pub published_at: String,
    #[serde(default)]
    pub created_at: String,
    #[serde(default)]
    pub image: Option<Image>,
}

/// Menus, pages and blogs, looked up by handle (the lists are short: a scan is enough).
#[derive(Debug, Clone, Default)]
pub struct Content {
    pub menus: Vec<Menu>,
    pub pages: Vec<Page>,
    pub blogs: Vec<Blog>,
}

impl Content {
    pub fn menu(&self, handle: &str) -> Option<&Menu> {
        self.menus.iter().find(|m| m.handle == handle)
    }

    pub fn page(&self, handle: &str) -> Option<&Page> {
        self.pages.iter().find(|p| p.handle == handle)
    }

    pub fn blog(&self, handle: &str) -> Option<&Blog> {
        self.blogs.iter().find(|b| b.handle == handle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blog_tags_are_listed_once_in_order() {
        let article = |tags: &[&str]| Article {
            id: 1,
            handle: "a".into(),
            title: "A".into(),
            author: String::new(),
            content: String::new(),
            excerpt: String::new(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            published_at: String::new(),
            created_at: String::new(),
            image: None,
        };
        let blog = Blog {
            id: 1,
            handle: "news".into(),
            title: "News".into(),
            comments: comments_disabled(),
            template_suffix: None,
            articles: vec![article(&["b", "a"]), article(&["a", "c"])],
        };
        assert_eq!(blog.all_tags(), ["b", "a", "c"]);
        assert!(!blog.comments_enabled());
        assert_eq!(blog.url(), "/blogs/news");
    }

    #[test]
    fn a_link_without_type_is_an_http_link() {
        let link: MenuLink =
            serde_json::from_str(r#"{"title":"x","url":"https://example.com"}"#).unwrap();
        assert_eq!(link.link_type, "http_link");
        assert!(link.links.is_empty());
    }
}
