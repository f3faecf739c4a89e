//! The dashboard page and its assets: served at `/` from the binary with their media types,
//! ETags and revalidation, nothing inline (so a strict CSP holds), nothing from elsewhere.
//! The page's behaviour in a browser is tested by `scripts/browser-tests.sh`.

use camptrack_tests::{TestApp, spawn_app};

async fn get(app: &TestApp, path: &str, etag: Option<&str>) -> reqwest::Response {
    let mut request = app.http.get(format!("{}{path}", app.address));
    if let Some(etag) = etag {
        request = request.header("if-none-match", etag);
    }
    request.send().await.unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// The `/dashboard/...` paths the page's `src` and `href` attributes name.
fn referenced_assets(html: &str) -> Vec<String> {
    ["src=\"", "href=\""]
        .iter()
        .flat_map(|attr| html.split(attr).skip(1))
        .filter_map(|rest| rest.split('"').next())
        .filter(|url| url.starts_with("/dashboard/"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn the_page_is_served_at_root_without_a_token_and_without_inline_code() {
    let app = spawn_app().await;
    let response = get(&app, "/", None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-type"),
        "text/html; charset=utf-8"
    );
    assert_eq!(header(&response, "cache-control"), "no-cache");
    assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    let csp = header(&response, "content-security-policy");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let html = response.text().await.unwrap();
    assert!(
        html.contains("<label for=\"token\">API token</label>"),
        "{html}"
    );
    // Every script is a same-origin file; no inline style or script, no other origin.
    for tag in html.split("<script").skip(1) {
        let open = tag.split('>').next().unwrap();
        assert!(
            open.contains("src=\"/dashboard/"),
            "inline script: <script{open}>"
        );
    }
    assert!(!html.contains("<style"), "inline <style> in {html}");
    assert!(
        !html.contains(" style="),
        "inline style attribute in {html}"
    );
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    assert!(referenced_assets(&html).len() >= 2, "{html}");
}

#[tokio::test]
async fn every_referenced_asset_is_served_with_its_type_and_revalidates() {
    let app = spawn_app().await;
    let html = get(&app, "/", None).await.text().await.unwrap();
    for path in referenced_assets(&html) {
        let response = get(&app, &path, None).await;
        assert_eq!(response.status(), 200, "{path}");
        let expected = if path.ends_with(".js") {
            "text/javascript; charset=utf-8"
        } else if path.ends_with(".css") {
            "text/css; charset=utf-8"
        } else {
            panic!("unexpected asset {path}")
        };
        assert_eq!(header(&response, "content-type"), expected, "{path}");
        assert_eq!(header(&response, "cache-control"), "no-cache", "{path}");
        let etag = header(&response, "etag");
        assert!(etag.starts_with('"') && etag.len() > 8, "{path}: {etag}");
        let body = response.bytes().await.unwrap();
        assert!(!body.is_empty(), "{path}");
        if path.ends_with(".css") {
            assert!(
                !String::from_utf8_lossy(&body).contains("url(http"),
                "{path}"
            );
        }

        let again = get(&app, &path, Some(&etag)).await;
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(header(&again, "etag"), etag, "{path}");
        assert!(again.bytes().await.unwrap().is_empty(), "{path}");

        let stale = get(&app, &path, Some("\"something-else\"")).await;
        assert_eq!(stale.status(), 200, "{path}");
    }
    let page = get(&app, "/", None).await;
    let etag = header(&page, "etag");
    assert_eq!(get(&app, "/", Some(&etag)).await.status(), 304);
}

#[tokio::test]
async fn unknown_assets_are_not_found_and_graphiql_stays_at_graphql() {
    let app = spawn_app().await;
    for path in [
        "/dashboard/nothing.js",
        "/dashboard/..%2FCargo.toml",
        "/dashboard/",
    ] {
        assert_eq!(get(&app, path, None).await.status(), 404, "{path}");
    }
    let graphiql = app
        .http
        .get(format!("{}/graphql", app.address))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(graphiql.status(), 200);
    assert!(graphiql.text().await.unwrap().contains("graphiql"));
}
