//! OpenRosa as ODK Collect speaks it: the form list, forms and media downloaded, and real
//! multipart submissions built from the served XForm (its instance template filled in),
//! over HTTP Basic and token URLs, chunked or not: success, identical and conflicting
//! resends, edits (current and stale), invalid answers, size limits, bad tokens, media
//! split over several POSTs, and the roles' reach.

use std::collections::BTreeMap;

use base64::Engine as _;
use camptrack::auth::AccountArea;
use camptrack::config::ServeArgs;
use camptrack_domain::codes::Role;
use camptrack_domain::pcode::PCode;
use camptrack_tests::{TestApp, fixtures, spawn_app_with};
use md5::Digest as _;
use quick_xml::events::Event;
use serde_json::json;
use sha2::Digest as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ASSESSMENT: &str = "camptrack_site_assessment";
const DISTRIBUTION: &str = "camptrack_nfi_distribution";

/// An XML element as the tests build and write instances.
#[derive(Debug, Clone, Default)]
struct El {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<El>,
}

impl El {
    fn parse(xml: &str) -> El {
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut stack: Vec<El> = vec![El::default()];
        loop {
            match reader.read_event().expect("well-formed XML") {
                Event::Start(s) => stack.push(El::from_start(&s)),
                Event::Empty(s) => {
                    let e = El::from_start(&s);
                    stack.last_mut().expect("parent").children.push(e);
                }
                Event::End(_) => {
                    let done = stack.pop().expect("open element");
                    stack.last_mut().expect("parent").children.push(done);
                }
                Event::Text(t) => {
                    stack
                        .last_mut()
                        .expect("parent")
                        .text
                        .push_str(&t.xml10_content());
                }
                Event::GeneralRef(r) => {
                    let s = quick_xml::escape::resolve_predefined_entity(&r).unwrap_or("?");
                    stack.last_mut().expect("parent").text.push_str(s);
                }
                Event::Eof => break,
                _ => {}
            }
        }
        stack.pop().expect("document").children.remove(0)
    }

    fn from_start(s: &quick_xml::events::BytesStart<'_>) -> El {
        El {
            name: s.name().as_ref().to_owned(),
            attrs: s
                .attributes()
                .map(|a| {
                    let a = a.expect("attribute");
                    (
                        a.key.as_ref().to_owned(),
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .expect("value")
                            .into_owned(),
                    )
                })
                .collect(),
            ..El::default()
        }
    }

    fn local(&self) -> &str {
        self.name.rsplit(':').next().unwrap_or(&self.name)
    }

    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn find_all<'a>(&'a self, local: &str, out: &mut Vec<&'a El>) {
        if self.local() == local {
            out.push(self);
        }
        for c in &self.children {
            c.find_all(local, out);
        }
    }

    fn all(&self, local: &str) -> Vec<&El> {
        let mut out = Vec::new();
        self.find_all(local, &mut out);
        out
    }

    fn at_mut(&mut self, path: &str) -> &mut El {
        let mut e = self;
        for part in path.split('/') {
            e = e
                .children
                .iter_mut()
                .find(|c| c.local() == part)
                .unwrap_or_else(|| panic!("the served form has no node {path}"));
        }
        e
    }

    fn write(&self, out: &mut String) {
        let escape = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
        };
        out.push('<');
        out.push_str(&self.name);
        for (k, v) in &self.attrs {
            out.push_str(&format!(" {k}=\"{}\"", escape(v)));
        }
        if self.children.is_empty() && self.text.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        out.push_str(&escape(&self.text));
        for c in &self.children {
            c.write(out);
        }
        out.push_str(&format!("</{}>", self.name));
    }
}

/// A blank instance of a served XForm: its primary instance's root, repeat templates kept
/// aside (by node name) and removed.
struct Instance {
    root: El,
    templates: BTreeMap<String, El>,
}

impl Instance {
    fn of(xform: &str) -> Instance {
        let form = El::parse(xform);
        let primary = form
            .all("instance")
            .into_iter()
            .find(|i| i.attr("id").is_none())
            .expect("a primary instance")
            .children[0]
            .clone();
        let mut root = primary;
        root.attrs.retain(|(k, _)| k == "id" || k == "version");
        let mut templates = BTreeMap::new();
        root.children.retain(|c| {
            if c.attr("jr:template").is_some() {
                let mut t = c.clone();
                t.attrs.clear();
                templates.insert(c.local().to_owned(), t);
                false
            } else {
                true
            }
        });
        Instance { root, templates }
    }

    fn set(&mut self, path: &str, value: &str) -> &mut Self {
        self.root.at_mut(path).text = value.to_owned();
        self
    }

    fn repeat(&mut self, name: &str, values: &[(&str, &str)]) -> &mut Self {
        let mut item = self.templates.get(name).expect("a repeat").clone();
        for (path, value) in values {
            item.at_mut(path).text = (*value).to_owned();
        }
        let meta = self
            .root
            .children
            .iter()
            .position(|c| c.local() == "meta")
            .unwrap_or(self.root.children.len());
        self.root.children.insert(meta, item);
        self
    }

    fn xml(&self) -> Vec<u8> {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        self.root.write(&mut out);
        out.into_bytes()
    }
}

/// A multipart body: the XML part and media parts, as Collect sends them.
fn multipart(xml: &[u8], files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = format!("camptrack-{}", uuid::Uuid::new_v4().simple());
    let mut body = Vec::new();
    let mut part = |name: &str, content_type: &str, bytes: &[u8]| {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    };
    part("xml_submission_file", "text/xml", xml);
    for (name, bytes) in files {
        part(name, "image/jpeg", bytes);
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// An answer from an OpenRosa endpoint.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: BTreeMap<String, String>,
    body: String,
}

impl Answer {
    fn message(&self) -> String {
        let root = El::parse(&self.body);
        assert_eq!(root.local(), "OpenRosaResponse", "{}", self.body);
        root.all("message")[0].text.clone()
    }

    fn has_openrosa_headers(&self) {
        assert_eq!(
            self.headers.get("x-openrosa-version").map(String::as_str),
            Some("1.0")
        );
        assert!(
            self.headers
                .get("x-openrosa-accept-content-length")
                .is_some_and(|v| v.parse::<u64>().is_ok())
        );
        assert!(self.headers.contains_key("date"));
        assert!(self.headers.contains_key("content-language"));
    }
}

/// How a request authenticates.
#[derive(Debug, Clone)]
enum Auth {
    /// `/openrosa/...` with HTTP Basic (any user name, the token as password).
    Basic(String),
    /// `/key/<token>/openrosa/...`.
    Key(String),
    /// Nothing.
    None,
}

async fn call(
    app: &TestApp,
    method: reqwest::Method,
    auth: &Auth,
    path: &str,
    body: Option<(String, Vec<u8>)>,
) -> Answer {
    let url = match auth {
        Auth::Key(token) => format!("{}/key/{token}/openrosa/{path}", app.address),
        _ => format!("{}/openrosa/{path}", app.address),
    };
    let mut request = app
        .http
        .request(method, url)
        .header("X-OpenRosa-Version", "1.0");
    if let Auth::Basic(token) = auth {
        request = request.basic_auth("amina", Some(token));
    }
    if let Some((content_type, bytes)) = body {
        request = request.header("Content-Type", content_type).body(bytes);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let body = response.text().await.expect("body");
    Answer {
        status,
        headers,
        body,
    }
}

async fn get(app: &TestApp, auth: &Auth, path: &str) -> Answer {
    call(app, reqwest::Method::GET, auth, path, None).await
}

async fn submit(app: &TestApp, auth: &Auth, xml: &[u8], files: &[(&str, &[u8])]) -> Answer {
    call(
        app,
        reqwest::Method::POST,
        auth,
        "submission",
        Some(multipart(xml, files)),
    )
    .await
}

/// POSTs a submission with `Transfer-Encoding: chunked`, written by hand over TCP.
async fn submit_chunked(app: &TestApp, token: &str, xml: &[u8], files: &[(&str, &[u8])]) -> Answer {
    let (content_type, body) = multipart(xml, files);
    let host = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    let mut request = format!(
        "POST /key/{token}/openrosa/submission HTTP/1.1\r\nHost: {host}\r\nX-OpenRosa-Version: 1.0\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    for chunk in body.chunks(700) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    stream.write_all(&request).await.expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = raw.split_once("\r\n\r\n").expect("a response");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status");
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let body = if headers
        .get("transfer-encoding")
        .is_some_and(|v| v == "chunked")
    {
        let mut out = String::new();
        let mut rest = rest;
        while let Some((size, tail)) = rest.split_once("\r\n") {
            let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if size == 0 {
                break;
            }
            out.push_str(&tail[..size]);
            rest = &tail[size + 2..];
        }
        out
    } else {
        rest.to_owned()
    };
    Answer {
        status,
        headers,
        body,
    }
}

struct World {
    app: TestApp,
    /// An enumerator of NRC bound to NG002001.
    enumerator: String,
    /// A partner of NRC.
    partner: String,
    /// The code of the site in the enumerator's area.
    site_code: &'static str,
}

async fn world() -> World {
    world_with(ServeArgs::parse_from(["serve"])).await
}

async fn world_with(settings: ServeArgs) -> World {
    let app = spawn_app_with(settings).await;
    let nrc = app.organisation("NRC").await;
    fixtures::round(&app, 1).await;
    let site_code = "CCCM-NG002001-0001";
    fixtures::site(&app, fixtures::site_input(site_code, 11.84, 13.15)).await;
    fixtures::site(
        &app,
        json!({
            "code": "CCCM-SO1101-0001", "name": "Far away", "siteType": "SELF_SETTLED_CAMP", "formalStatus": "INFORMAL",
            "lat": 3.11, "lon": 43.65, "admin0Pcode": "SOM", "admin1Pcode": "SO11", "admin2Pcode": "SO1101"
        }),
    )
    .await;
    let area = AccountArea {
        cells: vec![],
        pcodes: vec![PCode::parse("p", "NG002001").expect("p-code")],
    };
    let enumerator = app.token_for(Role::Enumerator, Some(nrc), area).await;
    let partner = app
        .token_for(Role::Partner, Some(nrc), AccountArea::default())
        .await;
    World {
        app,
        enumerator,
        partner,
        site_code,
    }
}

/// The served assessment form, filled with valid answers for `site_code`.
async fn filled_assessment(w: &World, instance_id: &str) -> Instance {
    let xform = get(
        &w.app,
        &Auth::Key(w.enumerator.clone()),
        &format!("forms/{ASSESSMENT}.xml"),
    )
    .await;
    assert_eq!(xform.status, 200, "{}", xform.body);
    let mut i = Instance::of(&xform.body);
    i.set("site", w.site_code)
        .set("round_number", "1")
        .set("assessed_on", "2024-03-10")
        .set("location", "11.8401 13.1502 312.0 4.5")
        .set("households", "120")
        .set("individuals", "640")
        .set("sadd/f_under_1", "12")
        .set("sadd/f_1_5", "60")
        .set("sadd/m_18_59", "100")
        .set("sadd/f_60_plus", "9")
        .set("arrivals_3m", "40")
        .set("displacement_reasons", "CONFLICT FLOOD")
        .set("shelter_type", "EMERGENCY_SHELTER")
        .set("shelter_conditions", "OVERCROWDED")
        .set("services", "WASH HEALTH")
        .set("priority_needs/priority_need_1", "FOOD")
        .set("priority_needs/priority_need_2", "WATER")
        .set("vulnerabilities/disability", "7")
        .set("start", "2024-03-10T09:02:11.000+01:00")
        .set("end", "2024-03-10T09:31:40.000+01:00")
        .set("deviceid", "collect:tablet07")
        .set("meta/instanceID", instance_id);
    i
}

async fn assessments(app: &TestApp) -> serde_json::Value {
    app.admin(
        "{ assessments(first: 10) { totalCount edges { node { id clientUuid version households individuals deviceId capturedLocation { lat lon } priorityNeeds displacementReasons sadd { sex ageMin ageMax count } vulnerabilities { kind count } } } } }",
        json!({}),
    )
    .await
    .data()["assessments"]
        .clone()
}

async fn submissions(app: &TestApp, token: &str) -> Vec<serde_json::Value> {
    app.gql(
        Some(token),
        "{ openrosaSubmissions(first: 50) { edges { node { id formId instanceId deprecatedId status httpStatus error xml xmlSha256 recordKind recordId recordVersion attachments { id filename size sha256 downloadPath } } } } }",
        json!({}),
    )
    .await
    .data()["openrosaSubmissions"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

fn instance_id() -> String {
    format!("uuid:{}", uuid::Uuid::new_v4())
}

#[tokio::test]
async fn the_form_list_offers_each_role_its_forms_with_hashes_that_match_the_downloads() {
    let w = world().await;
    let key = Auth::Key(w.enumerator.clone());
    let list = get(&w.app, &key, "formList").await;
    assert_eq!(list.status, 200);
    list.has_openrosa_headers();
    assert_eq!(list.headers["content-type"], "text/xml; charset=utf-8");
    let doc = El::parse(&list.body);
    let forms = doc.all("xform");
    assert_eq!(forms.len(), 2, "{}", list.body);
    for form in forms {
        let text = |n: &str| form.all(n)[0].text.clone();
        let download = text("downloadUrl");
        assert!(
            download.starts_with(&format!("{}/key/", w.app.address)),
            "{download}"
        );
        let xml = w
            .app
            .http
            .get(&download)
            .send()
            .await
            .expect("download")
            .text()
            .await
            .expect("xml");
        assert_eq!(
            text("hash"),
            format!("md5:{}", hex::encode(md5::Md5::digest(xml.as_bytes())))
        );
        let version = El::parse(&xml).all("instance")[0].children[0]
            .attr("version")
            .expect("version")
            .to_owned();
        assert_eq!(text("version"), version);
        let manifest = w
            .app
            .http
            .get(text("manifestUrl"))
            .send()
            .await
            .expect("manifest")
            .text()
            .await
            .expect("body");
        for media in El::parse(&manifest).all("mediaFile") {
            let url = media.all("downloadUrl")[0].text.clone();
            let csv = w
                .app
                .http
                .get(&url)
                .send()
                .await
                .expect("media")
                .text()
                .await
                .expect("csv");
            assert_eq!(
                media.all("hash")[0].text,
                format!("md5:{}", hex::encode(md5::Md5::digest(csv.as_bytes())))
            );
            if media.all("filename")[0].text == "sites.csv" {
                // The enumerator's area only.
                assert_eq!(
                    csv,
                    format!("name,label\n{0},{0} – Site {0}\n", w.site_code)
                );
            }
        }
    }
    let only = get(&w.app, &key, &format!("formList?formID={DISTRIBUTION}")).await;
    assert_eq!(El::parse(&only.body).all("xform").len(), 1);
    assert!(only.body.contains(DISTRIBUTION) && !only.body.contains(ASSESSMENT));

    // A partner fills distribution reports, never assessments.
    let partner = get(&w.app, &Auth::Basic(w.partner.clone()), "formList").await;
    assert!(partner.body.contains(DISTRIBUTION) && !partner.body.contains(ASSESSMENT));
    assert!(
        partner
            .body
            .contains(&format!("{}/openrosa/forms/", w.app.address))
    );
    // The admin sees every site in sites.csv.
    let all = get(
        &w.app,
        &Auth::Basic(w.app.admin_token.clone()),
        &format!("forms/{ASSESSMENT}/media/sites.csv"),
    )
    .await;
    assert_eq!(all.body.lines().count(), 3, "{}", all.body);
    // The preflight.
    let head = call(&w.app, reqwest::Method::HEAD, &key, "submission", None).await;
    assert_eq!(head.status, 204);
    head.has_openrosa_headers();
}

#[tokio::test]
async fn a_chunked_submission_becomes_an_assessment_and_identical_resends_change_nothing() {
    let w = world().await;
    let id = instance_id();
    let form = filled_assessment(&w, &id).await;
    let first = submit_chunked(&w.app, &w.enumerator, &form.xml(), &[]).await;
    assert_eq!(first.status, 201, "{}", first.body);
    first.has_openrosa_headers();
    assert_eq!(first.message(), "Full submission upload was successful!");

    let stored = assessments(&w.app).await;
    assert_eq!(stored["totalCount"], 1);
    let a = &stored["edges"][0]["node"];
    assert_eq!(a["clientUuid"], id.trim_start_matches("uuid:"));
    assert_eq!(
        (a["households"].as_i64(), a["individuals"].as_i64()),
        (Some(120), Some(640))
    );
    assert_eq!(a["deviceId"], "collect:tablet07");
    assert_eq!(a["capturedLocation"]["lat"], 11.8401);
    assert_eq!(a["priorityNeeds"], json!(["FOOD", "WATER"]));
    assert_eq!(a["displacementReasons"], json!(["CONFLICT", "FLOOD"]));
    assert_eq!(
        a["vulnerabilities"],
        json!([{ "kind": "DISABILITY", "count": 7 }])
    );
    assert!(
        a["sadd"]
            .as_array()
            .expect("sadd")
            .contains(&json!({ "sex": "F", "ageMin": 60, "ageMax": null, "count": 9 }))
    );

    for _ in 0..2 {
        let again = submit(&w.app, &Auth::Basic(w.enumerator.clone()), &form.xml(), &[]).await;
        assert_eq!(again.status, 201, "{}", again.body);
    }
    assert_eq!(assessments(&w.app).await["totalCount"], 1);
    let kept = submissions(&w.app, &w.app.admin_token).await;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["status"], "ACCEPTED");
    assert_eq!(kept[0]["recordKind"], "ASSESSMENT");
    assert_eq!(kept[0]["recordId"], a["id"]);
    assert_eq!(
        kept[0]["xml"].as_str().map(str::as_bytes),
        Some(&form.xml()[..])
    );
    assert_eq!(
        kept[0]["xmlSha256"],
        hex::encode(sha2::Sha256::digest(form.xml()))
    );
    // The submitting organisation sees it too; assessment edits by GraphQL are audited.
    assert_eq!(submissions(&w.app, &w.partner).await.len(), 1);
}

#[tokio::test]
async fn other_content_under_the_same_instance_id_is_a_conflict_and_its_xml_is_kept() {
    let w = world().await;
    let id = instance_id();
    let mut form = filled_assessment(&w, &id).await;
    let auth = Auth::Key(w.enumerator.clone());
    assert_eq!(submit(&w.app, &auth, &form.xml(), &[]).await.status, 201);
    form.set("households", "121");
    let conflict = submit(&w.app, &auth, &form.xml(), &[]).await;
    assert_eq!(conflict.status, 409, "{}", conflict.body);
    conflict.has_openrosa_headers();
    assert!(
        conflict
            .message()
            .contains("already received with different content")
    );
    assert_eq!(
        assessments(&w.app).await["edges"][0]["node"]["households"],
        120
    );
    let kept = submissions(&w.app, &w.app.admin_token).await;
    let rejected: Vec<_> = kept.iter().filter(|s| s["status"] == "REJECTED").collect();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["httpStatus"], 409);
    assert!(
        rejected[0]["xml"]
            .as_str()
            .unwrap_or("")
            .contains("<households>121</households>")
    );
}

#[tokio::test]
async fn an_edit_naming_the_current_instance_makes_a_new_version_and_a_stale_one_is_a_conflict() {
    let w = world().await;
    let auth = Auth::Basic(w.enumerator.clone());
    let first = instance_id();
    let original = filled_assessment(&w, &first).await;
    assert_eq!(
        submit(&w.app, &auth, &original.xml(), &[]).await.status,
        201
    );

    let second = instance_id();
    let mut edit = filled_assessment(&w, &second).await;
    edit.set("households", "130")
        .set("meta/deprecatedID", &first);
    let edited = submit(&w.app, &auth, &edit.xml(), &[]).await;
    assert_eq!(edited.status, 201, "{}", edited.body);
    let stored = assessments(&w.app).await;
    assert_eq!(stored["totalCount"], 1);
    let a = &stored["edges"][0]["node"];
    assert_eq!(
        (a["version"].as_i64(), a["households"].as_i64()),
        (Some(2), Some(130))
    );
    // Resending the edit is a replay, not a second edit.
    assert_eq!(submit(&w.app, &auth, &edit.xml(), &[]).await.status, 201);

    // Another edit of the first (now superseded) instance.
    let mut stale = filled_assessment(&w, &instance_id()).await;
    stale
        .set("households", "140")
        .set("meta/deprecatedID", &first);
    let refused = submit(&w.app, &auth, &stale.xml(), &[]).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(
        refused.message().contains("out of date"),
        "{}",
        refused.body
    );

    // An edit of the current instance after a coordinator changed the record is stale too.
    let review = w.app.admin(
        "mutation($id: UUID!) { reviewAssessment(id: $id, version: 2, status: APPROVED) { version } }",
        json!({ "id": a["id"] }),
    ).await;
    review.data();
    let mut late = filled_assessment(&w, &instance_id()).await;
    late.set("households", "150")
        .set("meta/deprecatedID", &second);
    let late = submit(&w.app, &auth, &late.xml(), &[]).await;
    assert_eq!(late.status, 409, "{}", late.body);

    let mut unknown = filled_assessment(&w, &instance_id()).await;
    unknown.set("meta/deprecatedID", &instance_id());
    assert_eq!(submit(&w.app, &auth, &unknown.xml(), &[]).await.status, 404);
    let a = &assessments(&w.app).await["edges"][0]["node"];
    assert_eq!(
        (a["version"].as_i64(), a["households"].as_i64()),
        (Some(3), Some(130))
    );
}

#[tokio::test]
async fn invalid_answers_are_refused_naming_the_questions_and_the_xml_is_kept() {
    let w = world().await;
    let auth = Auth::Key(w.enumerator.clone());
    let mut form = filled_assessment(&w, &instance_id()).await;
    form.set("households", "700").set("sadd/f_1_5", "a few");
    let unreadable = submit(&w.app, &auth, &form.xml(), &[]).await;
    assert_eq!(unreadable.status, 400, "{}", unreadable.body);
    unreadable.has_openrosa_headers();
    assert_eq!(
        unreadable.headers["content-type"],
        "text/xml; charset=utf-8"
    );
    assert!(
        unreadable.message().contains(
            "Individuals by sex and age › Females, 1-5 years: `a few` is not a whole number"
        ),
        "{}",
        unreadable.body
    );

    form.set("sadd/f_1_5", "60");
    let invalid = submit(&w.app, &auth, &form.xml(), &[]).await;
    assert_eq!(invalid.status, 400, "{}", invalid.body);
    assert!(
        invalid.message().contains(
            "Displaced households: 700 households is more than the 640 individuals counted"
        ),
        "{}",
        invalid.body
    );
    assert_eq!(assessments(&w.app).await["totalCount"], 0);
    let kept = submissions(&w.app, &w.app.admin_token).await;
    assert_eq!(kept.len(), 2);
    assert!(
        kept.iter()
            .all(|s| s["status"] == "REJECTED" && s["httpStatus"] == 400)
    );
    assert!(
        kept[1]["error"]
            .as_str()
            .unwrap_or("")
            .contains("Displaced households")
    );
    assert!(
        kept[1]["xml"]
            .as_str()
            .unwrap_or("")
            .contains("<households>700</households>")
    );

    // Not XML at all: kept too.
    let garbage = submit(&w.app, &auth, b"<data><unclosed></data>", &[]).await;
    assert_eq!(garbage.status, 400);
    assert!(garbage.message().contains("not well-formed"));
    assert_eq!(submissions(&w.app, &w.app.admin_token).await.len(), 3);
}

#[tokio::test]
async fn an_oversized_submission_gets_413_with_the_openrosa_headers() {
    let w = world_with(ServeArgs::parse_from([
        "serve",
        "--openrosa-max-submission-bytes",
        "65536",
    ]))
    .await;
    let form = filled_assessment(&w, &instance_id()).await;
    let photo = vec![0xffu8; 200_000];
    let answer = submit(
        &w.app,
        &Auth::Key(w.enumerator.clone()),
        &form.xml(),
        &[("site.jpg", &photo)],
    )
    .await;
    assert_eq!(answer.status, 413, "{}", answer.body);
    answer.has_openrosa_headers();
    assert_eq!(answer.headers["x-openrosa-accept-content-length"], "65536");
    assert!(answer.message().contains("larger than 65536 bytes"));
    assert_eq!(assessments(&w.app).await["totalCount"], 0);
}

#[tokio::test]
async fn a_bad_or_missing_token_gets_401_with_a_basic_challenge() {
    let w = world().await;
    for auth in [
        Auth::Basic("ct_not-a-real-token".into()),
        Auth::Key("ct_not-a-real-token".into()),
        Auth::None,
    ] {
        for path in ["formList", "submission"] {
            let answer = get(&w.app, &auth, path).await;
            assert_eq!(answer.status, 401, "{auth:?} {path}");
            answer.has_openrosa_headers();
            assert_eq!(
                answer.headers["www-authenticate"],
                "Basic realm=\"camptrack\", charset=\"UTF-8\""
            );
            assert!(answer.message().contains("token"));
        }
        let form = Instance::of(
            &get(
                &w.app,
                &Auth::Key(w.enumerator.clone()),
                &format!("forms/{ASSESSMENT}.xml"),
            )
            .await
            .body,
        );
        assert_eq!(submit(&w.app, &auth, &form.xml(), &[]).await.status, 401);
    }
    // Digest is not offered, and a wrong OpenRosa version is refused.
    let digest = w
        .app
        .http
        .get(format!("{}/openrosa/formList", w.app.address))
        .header("Authorization", "Digest username=\"x\"")
        .send()
        .await
        .expect("request");
    assert_eq!(digest.status(), 401);
    let old = w
        .app
        .http
        .get(format!(
            "{}/key/{}/openrosa/formList",
            w.app.address, w.enumerator
        ))
        .header("X-OpenRosa-Version", "0.9")
        .send()
        .await
        .expect("request");
    assert_eq!(old.status(), 400);
    let bearer = w
        .app
        .http
        .get(format!("{}/openrosa/formList", w.app.address))
        .bearer_auth(&w.partner)
        .send()
        .await
        .expect("request");
    assert_eq!(bearer.status(), 200);
    let basic_user_is_not_checked = w
        .app
        .http
        .get(format!("{}/openrosa/formList", w.app.address))
        .header(
            "Authorization",
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("whoever:{}", w.partner))
            ),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(basic_user_is_not_checked.status(), 200);
}

#[tokio::test]
async fn media_split_over_several_posts_with_identical_xml_end_up_on_one_record() {
    let w = world().await;
    let auth = Auth::Key(w.enumerator.clone());
    let mut form = filled_assessment(&w, &instance_id()).await;
    form.set("photo", "site.jpg")
        .set("photo_shelters", "shelters.jpg");
    let site_photo = b"\xff\xd8 the site \xff\xd9".to_vec();
    let shelter_photo = b"\xff\xd8 the shelters \xff\xd9".to_vec();
    let one = submit(
        &w.app,
        &auth,
        &form.xml(),
        &[("site.jpg", &site_photo), ("unrelated.jpg", b"x")],
    )
    .await;
    assert_eq!(one.status, 201, "{}", one.body);
    let two = submit(
        &w.app,
        &auth,
        &form.xml(),
        &[("shelters.jpg", &shelter_photo)],
    )
    .await;
    assert_eq!(two.status, 201, "{}", two.body);
    let three = submit(&w.app, &auth, &form.xml(), &[("site.jpg", &site_photo)]).await;
    assert_eq!(three.status, 201, "{}", three.body);
    assert_eq!(assessments(&w.app).await["totalCount"], 1);

    let kept = submissions(&w.app, &w.app.admin_token).await;
    assert_eq!(kept.len(), 1);
    let files = kept[0]["attachments"]
        .as_array()
        .expect("attachments")
        .clone();
    let names: Vec<_> = files
        .iter()
        .map(|f| f["filename"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, ["shelters.jpg", "site.jpg"]);
    let other_org = w.app.organisation("IRC").await;
    let stranger = w
        .app
        .token_for(Role::Partner, Some(other_org), AccountArea::default())
        .await;
    assert!(submissions(&w.app, &stranger).await.is_empty());
    for (file, bytes) in files.iter().zip([&shelter_photo, &site_photo]) {
        assert_eq!(file["sha256"], hex::encode(sha2::Sha256::digest(bytes)));
        let path = file["downloadPath"].as_str().expect("path");
        let download = w
            .app
            .http
            .get(format!("{}{path}", w.app.address))
            .bearer_auth(&w.app.admin_token)
            .send()
            .await
            .expect("download");
        assert_eq!(download.status(), 200);
        assert_eq!(download.bytes().await.expect("bytes").to_vec(), *bytes);
        // The submitting organisation's partner may download it; another organisation's
        // partner may not.
        let own = w
            .app
            .http
            .get(format!("{}{path}", w.app.address))
            .basic_auth("p", Some(&w.partner))
            .send()
            .await
            .expect("own");
        assert_eq!(own.status(), 200);
        let refused = w
            .app
            .http
            .get(format!("{}{path}", w.app.address))
            .bearer_auth(&stranger)
            .send()
            .await
            .expect("other");
        assert_eq!(refused.status(), 404);
    }
    // The same name with other bytes replaces the file (as ODK Central does).
    let retaken = b"\xff\xd8 retaken \xff\xd9".to_vec();
    assert_eq!(
        submit(&w.app, &auth, &form.xml(), &[("site.jpg", &retaken)])
            .await
            .status,
        201
    );
    let kept = submissions(&w.app, &w.app.admin_token).await;
    let site = kept[0]["attachments"]
        .as_array()
        .expect("attachments")
        .iter()
        .find(|f| f["filename"] == "site.jpg")
        .cloned()
        .expect("site.jpg");
    assert_eq!(site["sha256"], hex::encode(sha2::Sha256::digest(&retaken)));
}

#[tokio::test]
async fn partners_cannot_submit_assessments_and_enumerators_only_for_their_area() {
    let w = world().await;
    let form = filled_assessment(&w, &instance_id()).await;
    let partner = submit(&w.app, &Auth::Basic(w.partner.clone()), &form.xml(), &[]).await;
    assert_eq!(partner.status, 403, "{}", partner.body);
    partner.has_openrosa_headers();
    assert!(partner.message().contains("PARTNER"), "{}", partner.body);

    let mut far = filled_assessment(&w, &instance_id()).await;
    far.set("site", "CCCM-SO1101-0001");
    let outside = submit(&w.app, &Auth::Key(w.enumerator.clone()), &far.xml(), &[]).await;
    assert_eq!(outside.status, 400, "{}", outside.body);
    assert!(
        outside
            .message()
            .starts_with("Site: CCCM-SO1101-0001 is not a site you may report on"),
        "{}",
        outside.body
    );
    assert_eq!(assessments(&w.app).await["totalCount"], 0);
}

#[tokio::test]
async fn a_distribution_report_with_repeated_lines_becomes_a_distribution_of_the_submitting_organisation()
 {
    let w = world().await;
    let auth = Auth::Basic(w.partner.clone());
    let xform = get(&w.app, &auth, &format!("forms/{DISTRIBUTION}.xml")).await;
    assert_eq!(xform.status, 200);
    let mut form = Instance::of(&xform.body);
    form.set("site", w.site_code)
        .set("starts_on", "2024-03-12")
        .set("modality", "IN_KIND")
        .set("status", "PLANNED")
        .set("households", "40")
        .set("individuals", "212")
        .set("project_code", "SHL-2024-01")
        .set("meta/instanceID", &instance_id())
        .repeat(
            "lines",
            &[
                ("goods", "kit:SHELTER-KIT"),
                ("quantity_distributed", "40"),
                ("quantity_lost", "1"),
            ],
        )
        .repeat(
            "lines",
            &[("goods", "item:BLANKET"), ("quantity_distributed", "80")],
        );
    let answer = submit(&w.app, &auth, &form.xml(), &[]).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let stored = w
        .app
        .admin(
            "{ distributions { totalCount edges { node { status households implementingOrganisation { code } lines { kit { code } item { code } quantityDistributed quantityLost } } } } }",
            json!({}),
        )
        .await;
    let d = &stored.data()["distributions"]["edges"][0]["node"];
    assert_eq!(d["implementingOrganisation"]["code"], "NRC");
    assert_eq!(d["status"], "PLANNED");
    assert_eq!(
        d["lines"],
        json!([
            { "kit": { "code": "SHELTER-KIT" }, "item": null, "quantityDistributed": 40, "quantityLost": 1 },
            { "kit": null, "item": { "code": "BLANKET" }, "quantityDistributed": 80, "quantityLost": 0 }
        ])
    );

    let mut bad = Instance::of(&xform.body);
    bad.set("site", w.site_code)
        .set("starts_on", "2024-03-12")
        .set("modality", "IN_KIND")
        .set("status", "PLANNED")
        .set("households", "40")
        .set("individuals", "212")
        .set("meta/instanceID", &instance_id())
        .repeat(
            "lines",
            &[
                ("goods", "item:NO-SUCH-THING"),
                ("quantity_distributed", "4"),
            ],
        );
    let refused = submit(&w.app, &auth, &bad.xml(), &[]).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused
            .message()
            .contains("Items and kits › Item or kit (line 1)"),
        "{}",
        refused.body
    );
}
