//! Routes: the endpoint a request counts under is its route template (`/users/{id}/profile`),
//! not the URL it asked for (`/users/4711/profile?tab=1`), or every id becomes an endpoint of
//! its own.
//!
//! 1. A template field wins: `http.route`, `route`, `matched_path` (axum's `MatchedPath`
//!    recorded as a field). It is used as written.
//! 2. Otherwise the path comes from `url.path`, `path`, `http.target`, `uri`, `url.full` or
//!    `http.url`, in that order, without its query, fragment, scheme and host.
//! 3. The first `--route REGEX=TEMPLATE` whose regex matches that path replaces its match with
//!    the template (`$1`, `${name}` name the regex's groups); the result is the route.
//! 4. Otherwise the route is derived: every segment that is an id ([`is_id`]) becomes `{id}`.
//!
//! Routes of 2-4 are not what the service calls its routes: the row says where each came from
//! ([`RouteOrigin`]).

use crate::config::Config;
use std::borrow::Cow;

/// Fields that hold a route template, most specific first.
pub const TEMPLATE_KEYS: [&str; 3] = ["http.route", "route", "matched_path"];
/// Fields that hold the path (or URL) a request asked for, most specific first.
pub const PATH_KEYS: [&str; 6] = [
    "url.path",
    "path",
    "http.target",
    "uri",
    "url.full",
    "http.url",
];

/// Where a route that is not a template field came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RouteOrigin {
    /// Derived from this path field: its id segments collapsed into `{id}`.
    Derived { field: &'static str },
    /// The path matched this `--route` regex.
    Rule { regex: String },
}

/// A request's route and where it came from (`None`: a template field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub route: String,
    pub origin: Option<RouteOrigin>,
}

/// The route of a request whose fields are looked up by `field`; `None` without any route or
/// path field.
pub fn route<'a>(field: impl Fn(&str) -> Option<&'a str>, cfg: &Config) -> Option<Route> {
    let mut route = String::new();
    let origin = route_into(field, cfg, &mut route)?;
    Some(Route { route, origin })
}

/// [`route`], appended to `out` (no text made for it on the way): the route's origin
/// (`Some(None)` for a template field), or `None` without any route or path field (`out`
/// unchanged).
pub fn route_into<'a>(
    field: impl Fn(&str) -> Option<&'a str>,
    cfg: &Config,
    out: &mut String,
) -> Option<Option<RouteOrigin>> {
    if let Some(t) = TEMPLATE_KEYS.iter().find_map(|k| field(k)) {
        // Some frameworks write templates relative to the root: Django's `inventory/` is
        // served at `/inventory/` (its OpenTelemetry instrumentation records it so).
        if !(t.starts_with('/') || t.contains("://")) {
            out.push('/');
        }
        out.push_str(t);
        return Some(None);
    }
    let (key, raw) = PATH_KEYS.iter().find_map(|k| field(k).map(|v| (*k, v)))?;
    let path = path_of(raw);
    if let Some(rule) = cfg.routes.iter().find(|r| r.regex.is_match(path)) {
        out.push_str(&rule.regex.replace(path, rule.template.as_str()));
        return Some(Some(RouteOrigin::Rule {
            regex: rule.regex.as_str().to_string(),
        }));
    }
    out.push_str(&derive(path));
    Some(Some(RouteOrigin::Derived { field: key }))
}

/// The path of a URL or request target: no scheme and host (`https://h:80/a` -> `/a`), no
/// query, no fragment; `/` when nothing is left.
pub fn path_of(raw: &str) -> &str {
    let mut p = raw.split(['?', '#']).next().unwrap_or(raw);
    if let Some(i) = p.find("://") {
        let after = &p[i + 3..];
        p = after.find('/').map_or("/", |j| &after[j..]);
    }
    if p.is_empty() { "/" } else { p }
}

/// `path` with every id segment replaced by `{id}`; borrowed when nothing changed.
pub fn derive(path: &str) -> Cow<'_, str> {
    if !path.split('/').any(is_id) {
        return Cow::Borrowed(path);
    }
    let segments: Vec<&str> = path
        .split('/')
        .map(|s| if is_id(s) { "{id}" } else { s })
        .collect();
    Cow::Owned(segments.join("/"))
}

/// Whether a path segment is an id rather than a word. An id is:
///
/// | shape | examples | not |
/// |---|---|---|
/// | decimal digits | `42`, `2024` | `v2`, `2fa` |
/// | a UUID (8-4-4-4-12 hex, or 32 hex) | `3f2b...-...` | |
/// | hex of 8 or more with a digit | `5f3a9c1b`, a git hash, a 24-hex ObjectId | `deadbeef`, `facade` |
/// | a token of 16 or more of `A-Z a-z 0-9 - _` with 2+ digits, 2+ letters and letters and digits side by side 3+ times | a ULID, a nanoid, a base64url key | `my-post-2024-title`, `orders`, `api` |
///
/// Words never have all of these shapes: `orders`, `v2`, `api`, `profile`, `2fa`, `oauth2`
/// stay. Percent-encoded text and file names stay as written.
pub fn is_id(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() {
        return false;
    }
    if b.iter().all(u8::is_ascii_digit) {
        return true;
    }
    let hex = |c: &u8| c.is_ascii_hexdigit();
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    if b.len() >= 8 && digits > 0 && b.iter().all(hex) {
        return true;
    }
    if is_uuid(b) {
        return true;
    }
    let token = |c: &u8| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_';
    if b.len() >= 16 && b.iter().all(token) {
        let letters = b.iter().filter(|c| c.is_ascii_alphabetic()).count();
        let turns = b
            .windows(2)
            .filter(|w| {
                (w[0].is_ascii_alphabetic() && w[1].is_ascii_digit())
                    || (w[0].is_ascii_digit() && w[1].is_ascii_alphabetic())
            })
            .count();
        return digits >= 2 && letters >= 2 && turns >= 3;
    }
    false
}

fn is_uuid(b: &[u8]) -> bool {
    let groups = [8usize, 4, 4, 4, 12];
    if b.len() == 36 {
        let mut at = 0;
        for (i, g) in groups.iter().enumerate() {
            if !b[at..at + g].iter().all(u8::is_ascii_hexdigit) {
                return false;
            }
            at += g;
            if i < 4 {
                if b[at] != b'-' {
                    return false;
                }
                at += 1;
            }
        }
        return true;
    }
    b.len() == 32 && b.iter().all(u8::is_ascii_hexdigit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RouteRule;

    #[test]
    fn ids_collapse() {
        for id in [
            "42",
            "0",
            "2024",
            "5f3a9c1b",
            "507f1f77bcf86cd799439011",
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "123e4567-e89b-12d3-a456-426614174000",
            "123E4567E89B12D3A456426614174000",
            "01ARZ3NDEKTSV4RRFFQ69G5FAV",
            "V1StGXR8_Z5jdHi6B-myT",
            "aGVsbG8gd29ybGQ1MjM0NQ",
        ] {
            assert!(is_id(id), "{id} is an id");
        }
    }

    #[test]
    fn words_stay() {
        for word in [
            "orders",
            "v2",
            "api",
            "profile",
            "2fa",
            "oauth2",
            "deadbeef",
            "facade",
            "abc123",
            "my-post-2024-title",
            "getUserProfileSettings",
            "index.html",
            "",
            "{id}",
            ":id",
            "12ab",
        ] {
            assert!(!is_id(word), "{word} is a word");
        }
    }

    #[test]
    fn paths() {
        assert_eq!(derive("/users/4711/profile"), "/users/{id}/profile");
        assert_eq!(derive("/api/v2/orders"), "/api/v2/orders");
        assert_eq!(
            derive("/o/123e4567-e89b-12d3-a456-426614174000/items/7"),
            "/o/{id}/items/{id}"
        );
        assert_eq!(path_of("/a/b?x=1#f"), "/a/b");
        assert_eq!(path_of("https://example.com:8443/a/9?q"), "/a/9");
        assert_eq!(path_of("http://example.com"), "/");
        assert_eq!(path_of("?x=1"), "/");
    }

    fn fields<'a>(kv: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> {
        move |k| kv.iter().find(|e| e.0 == k).map(|e| e.1)
    }

    #[test]
    fn template_fields_win_and_paths_say_they_were_derived() {
        let cfg = Config::default();
        let r = route(
            fields(&[("uri", "/users/1"), ("matched_path", "/users/{user}")]),
            &cfg,
        );
        assert_eq!(
            r.map(|r| (r.route, r.origin)),
            Some(("/users/{user}".into(), None))
        );
        let r = route(fields(&[("uri", "/users/1?x=2")]), &cfg);
        assert_eq!(
            r.map(|r| (r.route, r.origin)),
            Some((
                "/users/{id}".into(),
                Some(RouteOrigin::Derived { field: "uri" })
            ))
        );
        assert_eq!(route(fields(&[("method", "GET")]), &cfg), None);
        // Django's templates are relative to the root.
        let r = route(fields(&[("http.route", "orders/<int:id>/")]), &cfg);
        assert_eq!(r.map(|r| r.route), Some("/orders/<int:id>/".into()));
    }

    #[test]
    fn the_first_matching_rule_wins() {
        let rule = |re: &str, t: &str| RouteRule {
            regex: regex::Regex::new(re).expect("a valid test regex"),
            template: t.into(),
        };
        let cfg = Config {
            routes: vec![
                rule("^/files/.*", "/files/*"),
                rule("^/(\\w+)/[a-z]+$", "/$1/{name}"),
                rule("^/files/a", "/never"),
            ],
            ..Config::default()
        };
        let r = |p: &str| route(move |k| (k == "uri").then_some(p), &cfg).map(|r| r.route);
        assert_eq!(r("/files/a/b.txt").as_deref(), Some("/files/*"));
        assert_eq!(r("/users/alice").as_deref(), Some("/users/{name}"));
        assert_eq!(r("/users/42").as_deref(), Some("/users/{id}"));
    }
}
