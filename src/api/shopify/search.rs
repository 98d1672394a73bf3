//! The JSON answers of predictive search and product recommendations:
//! `GET /search/suggest.json?q=` and `GET /recommendations/products.json?product_id=`.
//! Their HTML forms (`?section_id=`) render the theme's section with the `predictive_search`
//! and `recommendations` objects instead (see `crate::pages`).
//! <https://shopify.dev/docs/api/ajax/reference/predictive-search>,
//! <https://shopify.dev/docs/api/ajax/reference/product-recommendations>

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::error::ShopifyError;
use super::products::product_json;
use crate::catalog::{Catalog, Product};
use crate::state::AppState;

/// Shopify's default and largest number of results per resource type (and of recommendations).
const MAX_RESULTS: usize = 10;

fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    crate::theme::objects::context::pair_value(query, name)
}

fn limit(query: &[(String, String)], name: &str) -> usize {
    param(query, name)
        .and_then(|n| n.trim().parse::<usize>().ok())
        .map_or(MAX_RESULTS, |n| n.clamp(1, MAX_RESULTS))
}

/// Whether every term is in one of `texts` (all lowercase).
fn matches(terms: &[String], texts: &[&str]) -> bool {
    !terms.is_empty()
        && terms.iter().all(|term| {
            texts
                .iter()
                .any(|text| text.to_lowercase().contains(term.as_str()))
        })
}

fn product_matches(product: &Product, terms: &[String]) -> bool {
    let mut texts = vec![
        product.title.as_str(),
        product.vendor.as_str(),
        product.product_type.as_str(),
    ];
    texts.extend(product.tags.iter().map(String::as_str));
    matches(terms, &texts)
}

/// GET /search/suggest.json?q=&resources[type]=&resources[limit]=
pub async fn suggest(
    State(state): State<AppState>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let catalog = state.catalog();
    let q = param(&query, "q").unwrap_or("").trim();
    if q.is_empty() {
        return ShopifyError::BadRequest("q is required".into()).into_response();
    }
    let terms: Vec<String> = q.split_whitespace().map(str::to_lowercase).collect();
    let limit = limit(&query, "resources[limit]");
    let asked = param(&query, "resources[type]").unwrap_or("product,collection,page,article,query");
    let wants = |kind: &str| asked.split(',').any(|t| t.trim() == kind);
    axum::Json(json!({ "resources": { "results": results(catalog, q, &terms, limit, &wants) } }))
        .into_response()
}

fn results(
    catalog: &Catalog,
    q: &str,
    terms: &[String],
    limit: usize,
    wants: &dyn Fn(&str) -> bool,
) -> Value {
    let mut out = serde_json::Map::new();
    if wants("product") {
        let products: Vec<Value> = catalog
            .products
            .iter()
            .filter(|p| product_matches(p, terms))
            .take(limit)
            .map(|p| json!(product_json(p)))
            .collect();
        out.insert("products".into(), Value::from(products));
    }
    if wants("collection") {
        let collections: Vec<Value> = catalog
            .collections
            .iter()
            .filter(|c| matches(terms, &[&c.title]))
            .take(limit)
            .map(|c| {
                json!({
                    "handle": c.handle,
                    "title": c.title,
                    "body": c.description,
                    "url": format!("/collections/{}", c.handle),
                })
            })
            .collect();
        out.insert("collections".into(), Value::from(collections));
    }
    if wants("page") {
        let pages: Vec<Value> = catalog
            .content
            .pages
            .iter()
            .filter(|p| matches(terms, &[&p.title, &p.body]))
            .take(limit)
            .map(|p| {
                json!({
                    "id": p.id,
                    "handle": p.handle,
                    "title": p.title,
                    "author": p.author,
                    "body": p.body,
                    "published_at": p.published_at,
                    "template_suffix": p.template_suffix,
                    "url": format!("/pages/{}", p.handle),
                })
            })
            .collect();
        out.insert("pages".into(), Value::from(pages));
    }
    if wants("article") {
        let articles: Vec<Value> = catalog
            .content
            .blogs
            .iter()
            .flat_map(|b| b.articles.iter().map(move |a| (b, a)))
            .filter(|(_, a)| matches(terms, &[&a.title, &a.author, &a.content]))
            .take(limit)
            .map(|(b, a)| {
                json!({
                    "id": a.id,
                    "handle": a.handle,
                    "title": a.title,
                    "author": a.author,
                    "body": a.content,
                    "summary_html": a.excerpt,
                    "tags": a.tags,
                    "published_at": a.published_at,
                    "image": a.image.as_ref().map(|i| i.src.as_str()),
                    "url": format!("{}/{}", b.url(), a.handle),
                })
            })
            .collect();
        out.insert("articles".into(), Value::from(articles));
    }
    if wants("query") {
        let url = format!(
            "/search?q={}",
            form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
        );
        out.insert(
            "queries".into(),
            json!([{ "text": q, "styled_text": q, "url": url }]),
        );
    }
    Value::Object(out)
}

/// GET /recommendations/products.json?product_id=&limit=
pub async fn recommendations(
    State(state): State<AppState>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let catalog = state.catalog();
    let Some(index) = param(&query, "product_id")
        .and_then(|id| id.trim().parse::<i64>().ok())
        .and_then(|id| catalog.product_index(id))
    else {
        return ShopifyError::NotFound("Product".into()).into_response();
    };
    let products: Vec<Value> = catalog
        .related(index, limit(&query, "limit"))
        .into_iter()
        .filter_map(|i| catalog.products.get(i))
        .map(|p| json!(product_json(p)))
        .collect();
    axum::Json(json!({ "products": products })).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_term_must_match_somewhere() {
        let terms = vec!["rain".to_string(), "coat".to_string()];
        assert!(matches(&terms, &["Red Rain Coat"]));
        assert!(matches(&terms, &["Rain boots", "a coat"]));
        assert!(!matches(&terms, &["Rain boots"]));
        assert!(!matches(&[], &["anything"]));
    }
}
