//! `/static/...`: the theme's files, and its images resized on request as Shopify's image CDN
//! resizes them: `/static/products/hat.svg?width=400` answers a 400-pixel-wide PNG.
//! <https://shopify.dev/docs/api/liquid/filters/image_url>
//!
//! A request for a PNG, JPEG, WebP, GIF or SVG file with `width` and/or `height` is resized
//! (see `crate::imaging`), written once to the disk cache and read from it afterwards. Every
//! other request, and any file of another kind, is answered by `ServeDir` as before.

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;
use tower::ServiceExt as _;
use tower_http::services::ServeDir;

use crate::imaging::{CacheKey, DiskCache, OutputFormat, RenderError, SourceKind, Transform};
use crate::theme::Theme;

/// A versioned URL (`?v=`) names one state of its source for good.
const CACHE_VERSIONED: &str = "public, max-age=31536000, immutable";
/// Without a version the same URL shows an edited source: browsers ask again soon.
const CACHE_UNVERSIONED: &str = "public, max-age=60";

/// Sources larger than this are not resized (a theme's images are far smaller).
const MAX_SOURCE_BYTES: u64 = 64 * 1024 * 1024;

/// Says whether the answer was read from the disk cache (`hit`) or made now (`miss`).
pub const CACHE_HEADER: &str = "x-vitrine-image-cache";

/// The `/static` service: resizes images, hands everything else to `files`.
#[derive(Clone)]
pub struct StaticFiles {
    inner: Arc<Inner>,
}

struct Inner {
    /// Where sources are looked for, in order (the theme's static folder, then any fallback).
    roots: Vec<PathBuf>,
    files: ServeDir<ServeDir>,
    cache: DiskCache,
    /// The theme, for its Liquid assets (`assets/theme.css.liquid` served as `theme.css`).
    theme: Option<Theme>,
    /// Resizes running at once. They share tokio's blocking threads with the store's reads:
    /// a page of uncached images must not take them all.
    resizing: Semaphore,
}

impl StaticFiles {
    pub fn new(
        roots: Vec<PathBuf>,
        files: ServeDir<ServeDir>,
        cache_dir: PathBuf,
        theme: Option<Theme>,
    ) -> StaticFiles {
        let permits = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        StaticFiles {
            inner: Arc::new(Inner {
                roots,
                files,
                cache: DiskCache::new(cache_dir),
                theme,
                resizing: Semaphore::new(permits),
            }),
        }
    }

    /// Answers one request below `/static` (the path is the one under it).
    pub async fn answer(&self, mut request: Request) -> Response {
        if self.inner.theme.is_some() {
            request = without_assets_folder(request);
        }
        let path = request.uri().path().to_string();
        let query = request.uri().query().unwrap_or("").to_string();
        if let Some(theme) = &self.inner.theme {
            let name = path.trim_start_matches('/');
            if crate::theme::served_asset_name(name).is_some() {
                // The Liquid source is the theme's, not a file the storefront serves.
                return plain(StatusCode::NOT_FOUND, "not found".into());
            }
            if (request.method() == Method::GET || request.method() == Method::HEAD)
                && let Some(rendered) = theme.render_asset(name)
            {
                let versioned = form_urlencoded::parse(query.as_bytes()).any(|(k, _)| k == "v");
                return liquid_asset_response(name, rendered, versioned);
            }
        }
        let Some(kind) = SourceKind::from_path(&path) else {
            return self.serve_file(request).await;
        };
        let transform = match Transform::from_query(&query) {
            Ok(Some(transform)) => transform,
            Ok(None) => return self.serve_file(request).await,
            Err(e) => return plain(StatusCode::BAD_REQUEST, e.to_string()),
        };
        if request.method() != Method::GET && request.method() != Method::HEAD {
            let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "use GET".into());
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return response;
        }
        let versioned = form_urlencoded::parse(query.as_bytes()).any(|(k, _)| k == "v");
        match self.resized(path, kind, transform).await {
            Ok(image) => image.response(versioned),
            Err(failure) => failure.response(),
        }
    }

    async fn serve_file(&self, request: Request) -> Response {
        let font = request.uri().path().starts_with("/fonts/");
        let response = match self.inner.files.clone().oneshot(request).await {
            Ok(response) => response.into_response(),
            Err(never) => match never {},
        };
        // Shopify's font library is not here offline: a font the theme does not ship itself
        // answers empty, so the page falls back to the theme's fallback families without a
        // failed request in the console for every font the theme preloads.
        if font && response.status() == StatusCode::NOT_FOUND {
            return StatusCode::NO_CONTENT.into_response();
        }
        // A missing asset says so in words: without a type, the browser's console reports a
        // refused MIME type instead of the missing file.
        if response.status() == StatusCode::NOT_FOUND
            && !response.headers().contains_key(header::CONTENT_TYPE)
        {
            return plain(StatusCode::NOT_FOUND, "not found".into());
        }
        response
    }

    async fn resized(
        &self,
        path: String,
        kind: SourceKind,
        transform: Transform,
    ) -> Result<Image, Failure> {
        let format = transform.output_format(kind);
        let inner = self.inner.clone();
        let lookup = tokio::task::spawn_blocking(move || -> Result<Lookup, Failure> {
            let source = find(&inner.roots, &path).ok_or(Failure::NotFound)?;
            let meta = std::fs::metadata(&source).map_err(|_| Failure::NotFound)?;
            let key = CacheKey::new(&source, &meta, &transform, format);
            match inner.cache.read(&key) {
                Ok(Some(bytes)) => return Ok(Lookup::Hit(bytes)),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "image cache: cannot read an entry"),
            }
            if meta.len() > MAX_SOURCE_BYTES {
                return Err(Failure::Unreadable(
                    "the image is too large to resize".into(),
                ));
            }
            Ok(Lookup::Miss {
                source,
                key,
                transform,
            })
        })
        .await
        .map_err(|_| Failure::Internal)??;
        let (source, key, transform) = match lookup {
            Lookup::Hit(bytes) => {
                return Ok(Image {
                    bytes,
                    format,
                    hit: true,
                });
            }
            Lookup::Miss {
                source,
                key,
                transform,
            } => (source, key, transform),
        };
        let _permit = self
            .inner
            .resizing
            .acquire()
            .await
            .map_err(|_| Failure::Internal)?;
        let inner = self.inner.clone();
        let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, Failure> {
            // Another request may have made it while this one waited for a permit.
            if let Ok(Some(bytes)) = inner.cache.read(&key) {
                return Ok(bytes);
            }
            let data = std::fs::read(&source).map_err(|_| Failure::NotFound)?;
            let rendered =
                crate::imaging::render(&data, kind, &transform).map_err(|e| match e {
                    RenderError::Decode(why) => Failure::Unreadable(why),
                    RenderError::Encode(why) => {
                        tracing::error!(error = %why, "image resize: cannot encode");
                        Failure::Internal
                    }
                })?;
            if let Err(e) = inner.cache.write(&key, &rendered.bytes) {
                // Still answered; the next request resizes again.
                tracing::warn!(error = %e, dir = %inner.cache.dir().display(), "image cache: cannot write");
            }
            Ok(rendered.bytes)
        })
        .await
        .map_err(|_| Failure::Internal)??;
        Ok(Image {
            bytes,
            format,
            hit: false,
        })
    }
}

/// A Shopify theme's `asset_url` is `/static/assets/NAME`: a file's URL holds `/assets/`, as on
/// Shopify's CDN, where theme scripts look for their own files by it
/// (`script[src*="/assets/lazysizes.min.js"]`). The file is `assets/NAME` all the same.
fn without_assets_folder(mut request: Request) -> Request {
    let uri = request.uri();
    let Some(rest) = uri.path().strip_prefix("/assets/") else {
        return request;
    };
    let path_and_query = match uri.query() {
        Some(query) => format!("/{rest}?{query}"),
        None => format!("/{rest}"),
    };
    let mut parts = uri.clone().into_parts();
    match path_and_query.parse() {
        Ok(pq) => parts.path_and_query = Some(pq),
        Err(_) => return request,
    }
    if let Ok(uri) = axum::http::Uri::from_parts(parts) {
        *request.uri_mut() = uri;
    }
    request
}

/// A tower service, for `Router::nest_service`.
impl tower::Service<Request> for StaticFiles {
    type Response = Response;
    type Error = Infallible;
    type Future = futures_util::future::BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let files = self.clone();
        Box::pin(async move { Ok(files.answer(request).await) })
    }
}

enum Lookup {
    Hit(Vec<u8>),
    Miss {
        source: PathBuf,
        key: CacheKey,
        transform: Transform,
    },
}

struct Image {
    bytes: Vec<u8>,
    format: OutputFormat,
    hit: bool,
}

impl Image {
    fn response(self, versioned: bool) -> Response {
        let cache_control = if versioned {
            CACHE_VERSIONED
        } else {
            CACHE_UNVERSIONED
        };
        (
            [
                (header::CONTENT_TYPE, self.format.content_type()),
                (header::CACHE_CONTROL, cache_control),
                (
                    header::HeaderName::from_static(CACHE_HEADER),
                    if self.hit { "hit" } else { "miss" },
                ),
            ],
            Body::from(self.bytes),
        )
            .into_response()
    }
}

enum Failure {
    NotFound,
    /// The source is not a readable image (the reason is logged, a short one answered).
    Unreadable(String),
    Internal,
}

impl Failure {
    fn response(self) -> Response {
        match self {
            Failure::NotFound => plain(StatusCode::NOT_FOUND, "not found".into()),
            Failure::Unreadable(why) => {
                tracing::warn!(error = %why, "image resize: unreadable source");
                plain(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "this image cannot be resized".into(),
                )
            }
            Failure::Internal => plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the image could not be resized".into(),
            ),
        }
    }
}

/// A rendered Liquid asset, or its error as a comment in the asset's own language (so the
/// browser's developer tools show it) with status 500.
fn liquid_asset_response(
    name: &str,
    rendered: Result<Arc<str>, crate::theme::RenderError>,
    versioned: bool,
) -> Response {
    let content_type = if name.ends_with(".css") {
        "text/css; charset=utf-8"
    } else {
        "text/javascript; charset=utf-8"
    };
    match rendered {
        Ok(body) => {
            let cache_control = if versioned {
                CACHE_VERSIONED
            } else {
                CACHE_UNVERSIONED
            };
            (
                [
                    (header::CONTENT_TYPE, content_type),
                    (header::CACHE_CONTROL, cache_control),
                ],
                body.to_string(),
            )
                .into_response()
        }
        Err(err) => {
            tracing::warn!(file = %err.file, line = ?err.line, "theme: {}", err.message);
            let line = err.line.map(|l| format!(" line {l}")).unwrap_or_default();
            let text = format!("Liquid error ({}{line}): {}", err.file, err.message);
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [
                    (header::CONTENT_TYPE, content_type),
                    (header::CACHE_CONTROL, "no-store"),
                ],
                format!("/* {} */\n", text.replace("*/", "* /")),
            )
                .into_response()
        }
    }
}

fn plain(status: StatusCode, message: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

/// The file `uri_path` names under one of `roots`, or `None`: a `.` or `..` segment, a
/// backslash or NUL, or a path that leaves its root through a symlink finds nothing.
fn find(roots: &[PathBuf], uri_path: &str) -> Option<PathBuf> {
    let decoded = percent_encoding::percent_decode_str(uri_path)
        .decode_utf8()
        .ok()?;
    let mut relative = PathBuf::new();
    for segment in decoded.split('/') {
        match segment {
            // `//` is one separator, as ServeDir reads it.
            "" => {}
            "." | ".." => return None,
            s if s.contains(['\\', '\0']) || Path::new(s).is_absolute() => return None,
            s => relative.push(s),
        }
    }
    if relative.as_os_str().is_empty() {
        return None;
    }
    roots.iter().find_map(|root| {
        let root = root.canonicalize().ok()?;
        let file = root.join(&relative).canonicalize().ok()?;
        (file.starts_with(&root) && file.is_file()).then_some(file)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_stays_inside_the_roots() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("static");
        std::fs::create_dir_all(root.join("products")).expect("dirs");
        std::fs::write(root.join("products/hat.svg"), "<svg/>").expect("file");
        std::fs::write(dir.path().join("secret.svg"), "<svg/>").expect("file");
        let roots = vec![root.clone()];
        assert!(find(&roots, "/products/hat.svg").is_some());
        assert!(find(&roots, "//products///hat.svg").is_some());
        assert!(find(&roots, "/products/%68at.svg").is_some());
        for bad in [
            "/../secret.svg",
            "/products/../../secret.svg",
            "/%2e%2e/secret.svg",
            "/products/..%2f..%2fsecret.svg",
            "/products",
            "/",
            "/products/missing.svg",
            "/products\\..\\..\\secret.svg",
            "/%00.svg",
            "/%ff.svg",
        ] {
            assert_eq!(find(&roots, bad), None, "{bad}");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("secret.svg"), root.join("link.svg"))
                .expect("symlink");
            assert_eq!(find(&roots, "/link.svg"), None);
        }
    }

    #[test]
    fn a_later_root_is_a_fallback() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (first, second) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir_all(&first).expect("dir");
        std::fs::create_dir_all(&second).expect("dir");
        std::fs::write(second.join("x.png"), "png").expect("file");
        let found = find(&[first, second.clone()], "/x.png").expect("found in the fallback");
        assert!(found.starts_with(second.canonicalize().expect("canonical")));
    }
}
