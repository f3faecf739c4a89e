//! Security: token lifetimes and the reasons a token is refused, the failed-sign-in
//! throttle, CORS closed by default, security headers, introspection and GraphiQL off for
//! production, no token in the logs, and HTTPS through rustls.

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::Duration;

use camptrack::config::ServeArgs;
use camptrack_tests::{ScratchDatabase, admin_token, spawn_app, spawn_app_with};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

const ME: &str = "{ me { id } }";

fn serve(args: &[&'static str]) -> ServeArgs {
    ServeArgs::parse_from(std::iter::once("serve").chain(args.iter().copied()))
}

#[tokio::test]
async fn a_new_token_is_256_random_bits_shown_once_and_stored_only_as_its_sha256() {
    let app = spawn_app().await;
    let me = app.admin(ME, json!({})).await.data()["me"]["id"].clone();
    let mut tokens = Vec::new();
    for name in ["a", "b"] {
        let created = app
            .admin(
                "mutation($id: UUID!, $n: String!) { createToken(accountId: $id, name: $n) { token } }",
                json!({ "id": me, "n": name }),
            )
            .await;
        tokens.push(
            created.data()["createToken"]["token"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    for token in &tokens {
        let hex = token.strip_prefix("ct_").expect("prefix");
        assert_eq!(hex.len(), 64);
        assert!(hex.chars().all(|c| c.is_ascii_hexdigit()));
    }
    assert_ne!(tokens[0], tokens[1]);
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT token_hash FROM api_tokens",
        ))
        .await
        .unwrap();
    let hashes: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String>("", "token_hash").unwrap())
        .collect();
    for token in &tokens {
        assert!(hashes.contains(&camptrack::auth::hash_token(token)));
        assert!(!hashes.contains(token));
    }
}

#[tokio::test]
async fn a_refused_token_says_why_expired_revoked_or_unknown() {
    let app = spawn_app().await;
    let me = app.admin(ME, json!({})).await.data()["me"]["id"].clone();
    let account = uuid::Uuid::parse_str(me.as_str().unwrap()).unwrap();
    let expired_at = chrono::Utc::now() - chrono::Duration::seconds(1);
    let (_, expired) = camptrack::storage::accounts::create_token(
        &app.db,
        None,
        account,
        "expired".into(),
        Some(expired_at),
    )
    .await
    .unwrap();
    let answer = app.gql(Some(expired.expose()), ME, json!({})).await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.code(), "UNAUTHENTICATED");
    assert_eq!(answer.body["errors"][0]["extensions"]["reason"], "EXPIRED");
    assert!(answer.message().contains("expired"), "{}", answer.message());

    let created = app
        .admin(
            "mutation($id: UUID!) { createToken(accountId: $id, name: \"soon revoked\", expiresAt: \"2999-01-01T00:00:00Z\") { token apiToken { id expiresAt } } }",
            json!({ "id": me }),
        )
        .await;
    let created = created.data()["createToken"].clone();
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(
        created["apiToken"]["expiresAt"]
            .as_str()
            .unwrap()
            .starts_with("2999-01-01")
    );
    app.gql(Some(&token), ME, json!({})).await.data();
    app.admin(
        "mutation($id: UUID!) { revokeToken(id: $id) { revokedAt } }",
        json!({ "id": created["apiToken"]["id"] }),
    )
    .await
    .data();
    let answer = app.gql(Some(&token), ME, json!({})).await;
    assert_eq!(answer.code(), "UNAUTHENTICATED");
    assert_eq!(answer.body["errors"][0]["extensions"]["reason"], "REVOKED");

    let answer = app.gql(Some("ct_0000"), ME, json!({})).await;
    assert_eq!(
        answer.body["errors"][0]["extensions"]["reason"],
        "UNKNOWN_TOKEN"
    );
}

/// Runs `camptrack token create ARGS` on `url`; answers (exit success, stdout, stderr).
fn token_create(url: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_camptrack-test-server"))
        .args(["token", "create"])
        .args(args)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run token create");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn token_create_with_expires_in_prints_a_token_that_expires_then() {
    let database = ScratchDatabase::new().await;
    let db = database.connect().await;
    let (ok, token, err) = token_create(&database.url, &["--role", "ADMIN", "--expires-in", "90d"]);
    assert!(ok, "{err}");
    assert!(token.starts_with("ct_") && token.len() == 67, "{token}");
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            if camptrack_tests::on_postgres() {
                "SELECT expires_at FROM api_tokens WHERE token_hash = $1"
            } else {
                "SELECT expires_at FROM api_tokens WHERE token_hash = ?"
            },
            [camptrack::auth::hash_token(&token).into()],
        ))
        .await
        .unwrap()
        .expect("stored");
    let expires: chrono::DateTime<chrono::Utc> = row.try_get("", "expires_at").unwrap();
    let days = (expires - chrono::Utc::now()).num_hours() as f64 / 24.0;
    assert!((89.0..=90.0).contains(&days), "{days} days");

    for bad in ["0d", "90", "ninety days", "5y"] {
        let (ok, out, err) = token_create(&database.url, &["--role", "ADMIN", "--expires-in", bad]);
        assert!(!ok, "{bad} accepted");
        assert!(out.is_empty(), "no token printed for {bad}");
        assert!(err.contains("lifetime"), "{err}");
    }
}

#[tokio::test]
async fn repeated_failed_sign_ins_from_one_address_get_429_with_retry_after() {
    let app = spawn_app_with(serve(&["--auth-failure-limit", "3"])).await;
    // Challenges to requests without credentials are how HTTP Basic starts: not counted.
    for _ in 0..5 {
        let challenge = app
            .http
            .get(format!("{}/openrosa/formList", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(challenge.status(), 401);
    }
    for _ in 0..2 {
        assert_eq!(app.gql(Some("ct_guess"), ME, json!({})).await.status, 401);
    }
    // A wrong token in an OpenRosa URL counts too.
    let by_url = app
        .http
        .get(format!("{}/key/ct_guess/openrosa/formList", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(by_url.status(), 401);
    let response = app
        .http
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&app.admin_token)
        .json(&json!({ "query": ME }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        429,
        "the address is slowed, whatever it sends now"
    );
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED");
    // Probes are not refused.
    let health = app
        .http
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn cors_is_closed_by_default_and_opens_only_to_configured_origins() {
    let preflight = |app: &camptrack_tests::TestApp, origin: &str| {
        app.http
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let closed = spawn_app().await;
    let response = preflight(&closed, "https://evil.example").await.unwrap();
    assert!(
        !response
            .headers()
            .contains_key("access-control-allow-origin")
    );
    let post = closed
        .http
        .post(format!("{}/graphql", closed.address))
        .header("origin", "https://evil.example")
        .json(&json!({ "query": "{ codeLists { roles { code } } }" }))
        .send()
        .await
        .unwrap();
    assert!(!post.headers().contains_key("access-control-allow-origin"));

    let open = spawn_app_with(serve(&[
        "--cors-origins",
        "https://dash.example.org,https://maps.example.org",
    ]))
    .await;
    let allowed = preflight(&open, "https://dash.example.org").await.unwrap();
    assert!(allowed.status().is_success());
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://dash.example.org"
    );
    let methods = allowed.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(methods.contains("POST"), "{methods}");
    let refused = preflight(&open, "https://evil.example").await.unwrap();
    assert!(
        !refused
            .headers()
            .contains_key("access-control-allow-origin")
    );
}

#[tokio::test]
async fn html_gets_a_closed_content_security_policy_and_every_response_nosniff() {
    let app = spawn_app().await;
    let page = app
        .http
        .get(format!("{}/graphql", app.address))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let h = page.headers().clone();
    assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("object-src 'none'"), "{csp}");
    assert!(
        !csp.contains("http:") && !csp.contains("https:") && !csp.contains('*'),
        "no external source: {csp}"
    );
    assert!(!csp.contains("unsafe-eval"), "{csp}");
    assert!(
        !csp.split(';')
            .any(|d| d.trim().starts_with("script-src") && d.contains("unsafe-inline")),
        "scripts only from the server or by hash: {csp}"
    );
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["x-content-type-options"], "nosniff");
    for (method, path) in [
        ("POST", "/graphql"),
        ("GET", "/healthz"),
        ("GET", "/nowhere"),
        ("GET", "/graphiql/graphiql.min.js"),
    ] {
        let request = if method == "POST" {
            app.http
                .post(format!("{}{path}", app.address))
                .json(&json!({ "query": "{ codeLists { roles { code } } }" }))
        } else {
            app.http.get(format!("{}{path}", app.address))
        };
        let response = request.send().await.unwrap();
        assert_eq!(
            response.headers()["x-content-type-options"],
            "nosniff",
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn introspection_and_graphiql_can_be_turned_off_for_production() {
    let app = spawn_app_with(serve(&["--introspection", "false", "--graphiql", "false"])).await;
    for query in [
        "{ __schema { types { name } } }",
        "{ __type(name: \"Site\") { name } }",
    ] {
        let answer = app.admin(query, json!({})).await;
        assert_eq!(answer.code(), "FORBIDDEN", "{:#}", answer.body);
        assert!(
            answer.message().contains("introspection is disabled"),
            "{}",
            answer.message()
        );
    }
    // Ordinary queries still answer, `__typename` included.
    let answer = app.admin("{ __typename me { id } }", json!({})).await;
    assert!(answer.data()["me"]["id"].is_string());
    let page = app
        .http
        .get(format!("{}/graphql", app.address))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
    let asset = app
        .http
        .get(format!("{}/graphiql/graphiql.min.js", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(asset.status(), 404);

    let default = spawn_app().await;
    let answer = default
        .admin("{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(answer.data()["__schema"]["queryType"]["name"], "Query");
}

#[tokio::test]
async fn tokens_sql_and_personal_data_never_reach_the_logs() {
    let database = ScratchDatabase::new().await;
    let db = database.connect().await;
    let token = admin_token(&db).await;
    // The most verbose level the server can be asked for.
    let mut child = Command::new(env!("CARGO_BIN_EXE_camptrack-test-server"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("DATABASE_URL", &database.url)
        .env("CAMPTRACK_LOG_FORMAT", "json")
        .env("RUST_LOG", "trace")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start camptrack-test-server");
    let stderr = child.stderr.take().expect("stderr");
    let (address_tx, address_rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut log = String::new();
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Ok(entry) = serde_json::from_str::<Value>(&line)
                && let Some(address) = entry["fields"]["address"].as_str()
            {
                let _ = address_tx.send(address.to_owned());
            }
            log.push_str(&line);
            log.push('\n');
        }
        log
    });
    let address = format!(
        "http://{}",
        address_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server logs its address")
    );
    let http = reqwest::Client::new();
    let person = "Zainab Quux-Personal";
    // A token in the header, valid and not; a token in an OpenRosa URL and in HTTP Basic;
    // a write carrying a person's name; an internal-looking failure.
    for bearer in [token.as_str(), "ct_deadbeefdeadbeefdeadbeefdeadbeef"] {
        http.post(format!("{address}/graphql"))
            .bearer_auth(bearer)
            .json(&json!({ "query": "mutation($n: String!) { createAccount(input: { name: $n, role: COORDINATOR }) { id } }", "variables": { "n": person } }))
            .send()
            .await
            .unwrap();
    }
    for path in ["formList", "submission"] {
        http.get(format!("{address}/key/{token}/openrosa/{path}"))
            .send()
            .await
            .unwrap();
    }
    http.get(format!("{address}/openrosa/formList"))
        .basic_auth("device", Some(&token))
        .send()
        .await
        .unwrap();
    http.get(format!(
        "{address}/graphql?query=%7Bme%7Bid%7D%7D&token={token}"
    ))
    .bearer_auth(&token)
    .send()
    .await
    .unwrap();
    // The account was really written (so its name passed through the server).
    let stored = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM accounts WHERE name = '{person}'"),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(stored, 1);
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let log = reader.join().expect("log reader");
    assert!(
        log.contains("served"),
        "the requests were logged at all:\n{log}"
    );
    let secret = token.strip_prefix("ct_").unwrap();
    assert!(!log.contains(secret), "a token reached the log:\n{log}");
    assert!(
        !log.contains(&camptrack::auth::hash_token(&token)),
        "a token hash reached the log"
    );
    assert!(
        !log.contains("deadbeefdeadbeef"),
        "a guessed token reached the log"
    );
    assert!(!log.contains(person), "personal data reached the log");
    for sql in ["SELECT ", "INSERT INTO", "UPDATE \""] {
        assert!(!log.contains(sql), "SQL ({sql}) reached the log");
    }
}

#[tokio::test]
async fn with_a_certificate_the_server_speaks_https_through_rustls() {
    use rustls_pki_types::pem::PemObject;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls;

    let dir = std::env::temp_dir().join(format!("camptrack-tls-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
        ])
        .args([
            "-addext",
            "subjectAltName=DNS:localhost",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status();
    let Ok(made) = made else {
        eprintln!("openssl is not installed; skipping the TLS test");
        return;
    };
    assert!(made.success());
    let mut settings = serve(&[]);
    settings.tls_cert = Some(cert.clone());
    settings.tls_key = Some(key.clone());
    let app = spawn_app_with(settings).await;
    let port = app.address.rsplit(':').next().unwrap().to_owned();

    // Plain HTTP is not answered as HTTP.
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .timeout(Duration::from_secs(15))
        .send()
        .await;
    assert!(plain.is_err() || plain.unwrap().status() != 200);

    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_pki_types::CertificateDer::pem_file_iter(&cert).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(format!("127.0.0.1:{port}"))
        .await
        .unwrap();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.expect("TLS handshake");
    tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    tls.read_to_string(&mut answer).await.ok();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("strict-transport-security"),
        "{answer}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
