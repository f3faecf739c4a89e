//! The XForms camptrack serves, generated from its own model and code lists: the site
//! assessment and the NFI distribution report, with English and French labels (itext), a
//! geopoint, and the sites (and warehouses) as external CSV choice lists filtered per
//! device in the manifest. A form's version is derived from a hash of its own XML, so it
//! changes exactly when the form does (a code list or the item catalogue changed).

use std::fmt::Write as _;

use camptrack_domain::CodeList;
use camptrack_domain::codes::{
    DisplacementReason, DistributionModality, DistributionStatus, PriorityNeed, Sector,
    ShelterCondition, ShelterType, Vulnerability,
};
use md5::Digest as _;

/// The site assessment's form id.
pub const ASSESSMENT_FORM: &str = "camptrack_site_assessment";
/// The NFI distribution report's form id.
pub const DISTRIBUTION_FORM: &str = "camptrack_nfi_distribution";
/// The external choice list of sites.
pub const SITES_CSV: &str = "sites.csv";
/// The external choice list of warehouses.
pub const WAREHOUSES_CSV: &str = "warehouses.csv";

/// The SADD bands of the assessment form (DTM's): node suffix, ages, English and French.
pub const SADD_BANDS: [(&str, u8, Option<u8>, &str, &str); 5] = [
    ("under_1", 0, Some(0), "under 1", "moins d'un an"),
    ("1_5", 1, Some(5), "1-5 years", "1-5 ans"),
    ("6_17", 6, Some(17), "6-17 years", "6-17 ans"),
    ("18_59", 18, Some(59), "18-59 years", "18-59 ans"),
    ("60_plus", 60, None, "60 years and over", "60 ans et plus"),
];

/// Priority needs asked, most pressing first.
pub const PRIORITY_RANKS: usize = 3;

/// English and French text.
#[derive(Debug, Clone)]
pub struct Text {
    /// English.
    pub en: String,
    /// French.
    pub fr: String,
}

fn t(en: &str, fr: &str) -> Text {
    Text {
        en: en.to_owned(),
        fr: fr.to_owned(),
    }
}

/// One choice of a select.
#[derive(Debug, Clone)]
pub struct Choice {
    /// The value submitted.
    pub value: String,
    /// Its label.
    pub label: Text,
}

fn choices<C: CodeList>() -> Vec<Choice> {
    C::ALL
        .iter()
        .map(|c| Choice {
            value: c.code().to_owned(),
            label: t(c.label_en(), c.label_fr()),
        })
        .collect()
}

/// What a question asks for.
#[derive(Debug, Clone)]
pub enum Kind {
    /// A whole number.
    Int,
    /// A day.
    Date,
    /// Free text.
    Text,
    /// A GPS point.
    Geopoint,
    /// A photo.
    Photo,
    /// One of these.
    SelectOne(Vec<Choice>),
    /// Any of these.
    SelectMany(Vec<Choice>),
    /// One row of an external CSV (`name`, `label` columns).
    SelectOneFromFile(&'static str),
}

/// One question.
#[derive(Debug, Clone)]
pub struct Question {
    /// Node name.
    pub name: String,
    /// Label.
    pub label: Text,
    /// Hint, if any.
    pub hint: Option<Text>,
    /// What it asks for.
    pub kind: Kind,
    /// Whether it must be answered.
    pub required: bool,
    /// An XPath constraint and its message.
    pub constraint: Option<(String, Text)>,
    /// An XPath relevance condition.
    pub relevant: Option<String>,
}

impl Question {
    fn new(name: impl Into<String>, label: Text, kind: Kind) -> Self {
        Self {
            name: name.into(),
            label,
            hint: None,
            kind,
            required: false,
            constraint: None,
            relevant: None,
        }
    }

    fn required(mut self) -> Self {
        self.required = true;
        self
    }

    fn hint(mut self, hint: Text) -> Self {
        self.hint = Some(hint);
        self
    }

    fn constraint(mut self, xpath: impl Into<String>, message: Text) -> Self {
        self.constraint = Some((xpath.into(), message));
        self
    }

    fn relevant(mut self, xpath: impl Into<String>) -> Self {
        self.relevant = Some(xpath.into());
        self
    }

    fn count(name: impl Into<String>, label: Text) -> Self {
        Self::new(name, label, Kind::Int)
            .constraint(". >= 0", t("Enter 0 or more.", "Saisissez 0 ou plus."))
    }
}

/// A node of the form's body.
#[derive(Debug, Clone)]
pub enum Node {
    /// A question.
    Question(Question),
    /// A group of nodes.
    Group {
        /// Node name.
        name: &'static str,
        /// Label.
        label: Text,
        /// Children.
        children: Vec<Node>,
    },
    /// A repeated group of nodes.
    Repeat {
        /// Node name.
        name: &'static str,
        /// Label.
        label: Text,
        /// Children.
        children: Vec<Node>,
    },
}

/// A form's definition before it is written as XML.
#[derive(Debug, Clone)]
pub struct FormSpec {
    /// Form id.
    pub id: &'static str,
    /// Title.
    pub title: Text,
    /// Body.
    pub nodes: Vec<Node>,
    /// External CSV files it reads.
    pub media: Vec<&'static str>,
}

impl FormSpec {
    /// The English label of the question at `path` (node names joined by `/`, repeats
    /// without index), for messages to enumerators.
    pub fn label_of(&self, path: &str) -> Option<String> {
        fn walk(nodes: &[Node], parts: &[&str]) -> Option<String> {
            let (first, rest) = parts.split_first()?;
            nodes.iter().find_map(|n| match n {
                Node::Question(q) if q.name == *first && rest.is_empty() => {
                    Some(q.label.en.clone())
                }
                Node::Group {
                    name,
                    label,
                    children,
                }
                | Node::Repeat {
                    name,
                    label,
                    children,
                } if name == first => {
                    if rest.is_empty() {
                        Some(label.en.clone())
                    } else {
                        walk(children, rest).map(|l| format!("{} › {l}", label.en))
                    }
                }
                _ => None,
            })
        }
        let parts: Vec<&str> = path.split('/').collect();
        walk(&self.nodes, &parts)
    }
}

/// A catalogue entry offered as distributed goods.
#[derive(Debug, Clone)]
pub struct Goods {
    /// `item:CODE` or `kit:CODE`.
    pub value: String,
    /// Its names.
    pub label: Text,
}

/// The site assessment form.
pub fn assessment_spec() -> FormSpec {
    let mut sadd = Vec::new();
    for (sex, sex_en, sex_fr) in [("f", "Females", "Femmes"), ("m", "Males", "Hommes")] {
        for (band, _, _, en, fr) in SADD_BANDS {
            let name = format!("{sex}_{band}");
            sadd.push(Node::Question(
                Question::count(
                    name,
                    t(&format!("{sex_en}, {en}"), &format!("{sex_fr}, {fr}")),
                )
                .constraint(
                    ". >= 0 and . <= /data/individuals",
                    t(
                        "Enter 0 or more, at most the number of individuals.",
                        "Saisissez 0 ou plus, au plus le nombre d'individus.",
                    ),
                ),
            ));
        }
    }
    let vulnerabilities = Vulnerability::ALL
        .iter()
        .map(|v| {
            Node::Question(Question::count(
                vulnerability_node(*v),
                t(v.label_en(), v.label_fr()),
            ))
        })
        .collect();
    let mut needs = Vec::new();
    for rank in 1..=PRIORITY_RANKS {
        let name = format!("priority_need_{rank}");
        let mut q = Question::new(
            name,
            t(
                &format!("Priority need {rank}"),
                &format!("Besoin prioritaire {rank}"),
            ),
            Kind::SelectOne(choices::<PriorityNeed>()),
        );
        if rank > 1 {
            let earlier: Vec<String> = (1..rank)
                .map(|r| format!(". != /data/priority_needs/priority_need_{r}"))
                .collect();
            q = q
                .relevant(format!(
                    "/data/priority_needs/priority_need_{} != ''",
                    rank - 1
                ))
                .constraint(
                    earlier.join(" and "),
                    t(
                        "Choose a need not ranked above.",
                        "Choisissez un besoin non classé plus haut.",
                    ),
                );
        }
        needs.push(Node::Question(q));
    }
    FormSpec {
        id: ASSESSMENT_FORM,
        title: t(
            "Site assessment (camptrack)",
            "Évaluation de site (camptrack)",
        ),
        media: vec![SITES_CSV],
        nodes: vec![
            Node::Question(
                Question::new(
                    "site",
                    t("Site", "Site"),
                    Kind::SelectOneFromFile(SITES_CSV),
                )
                .required(),
            ),
            Node::Question(
                Question::new(
                    "round_number",
                    t("Round number", "Numéro de round"),
                    Kind::Int,
                )
                .required()
                .constraint(". >= 1", t("Enter 1 or more.", "Saisissez 1 ou plus.")),
            ),
            Node::Question(
                Question::new(
                    "assessed_on",
                    t("Date of the visit", "Date de la visite"),
                    Kind::Date,
                )
                .required(),
            ),
            Node::Question(Question::new(
                "location",
                t("Location (GPS)", "Position (GPS)"),
                Kind::Geopoint,
            )),
            Node::Question(
                Question::count("households", t("Displaced households", "Ménages déplacés"))
                    .required(),
            ),
            Node::Question(
                Question::count(
                    "individuals",
                    t("Displaced individuals", "Individus déplacés"),
                )
                .required()
                .constraint(
                    ". >= /data/households",
                    t(
                        "Individuals cannot be fewer than households.",
                        "Les individus ne peuvent pas être moins nombreux que les ménages.",
                    ),
                ),
            ),
            Node::Group {
                name: "sadd",
                label: t("Individuals by sex and age", "Individus par sexe et âge"),
                children: sadd,
            },
            Node::Question(Question::count(
                "arrivals_3m",
                t(
                    "Individuals who arrived in the last 3 months",
                    "Individus arrivés au cours des 3 derniers mois",
                ),
            )),
            Node::Question(Question::count(
                "departures_3m",
                t(
                    "Individuals who left in the last 3 months",
                    "Individus partis au cours des 3 derniers mois",
                ),
            )),
            Node::Question(Question::new(
                "displacement_reasons",
                t("Reasons for displacement", "Raisons du déplacement"),
                Kind::SelectMany(choices::<DisplacementReason>()),
            )),
            Node::Question(Question::new(
                "shelter_type",
                t("Most common shelter type", "Type d'abri le plus courant"),
                Kind::SelectOne(choices::<ShelterType>()),
            )),
            Node::Question(Question::new(
                "shelter_conditions",
                t("Shelter conditions", "Conditions des abris"),
                Kind::SelectMany(choices::<ShelterCondition>()),
            )),
            Node::Question(Question::new(
                "services",
                t(
                    "Services present on the site",
                    "Services présents sur le site",
                ),
                Kind::SelectMany(choices::<Sector>()),
            )),
            Node::Group {
                name: "priority_needs",
                label: t(
                    "Priority needs, most pressing first",
                    "Besoins prioritaires, le plus urgent d'abord",
                ),
                children: needs,
            },
            Node::Group {
                name: "vulnerabilities",
                label: t(
                    "People with specific needs",
                    "Personnes à besoins spécifiques",
                ),
                children: vulnerabilities,
            },
            Node::Question(Question::new(
                "photo",
                t("Photo of the site", "Photo du site"),
                Kind::Photo,
            )),
            Node::Question(Question::new(
                "photo_shelters",
                t("Photo of the shelters", "Photo des abris"),
                Kind::Photo,
            )),
        ],
    }
}

/// The node name of a vulnerability count.
pub fn vulnerability_node(v: Vulnerability) -> &'static str {
    match v {
        Vulnerability::PregnantLactating => "pregnant_lactating",
        Vulnerability::UnaccompaniedChildren => "unaccompanied_children",
        Vulnerability::Disability => "disability",
        Vulnerability::ChronicIllness => "chronic_illness",
        Vulnerability::OlderPersonsAlone => "older_persons_alone",
        Vulnerability::FemaleHeadedHouseholds => "female_headed_households",
        Vulnerability::ChildHeadedHouseholds => "child_headed_households",
    }
}

/// The NFI distribution report, offering `goods` (the catalogue's items and kits).
pub fn distribution_spec(goods: &[Goods]) -> FormSpec {
    let statuses = DistributionStatus::ALL
        .iter()
        .filter(|s| **s != DistributionStatus::Cancelled)
        .map(|s| Choice {
            value: s.code().to_owned(),
            label: t(s.label_en(), s.label_fr()),
        })
        .collect();
    let goods = goods
        .iter()
        .map(|g| Choice {
            value: g.value.clone(),
            label: g.label.clone(),
        })
        .collect();
    FormSpec {
        id: DISTRIBUTION_FORM,
        title: t(
            "NFI distribution report (camptrack)",
            "Rapport de distribution d'articles non alimentaires (camptrack)",
        ),
        media: vec![SITES_CSV, WAREHOUSES_CSV],
        nodes: vec![
            Node::Question(
                Question::new("site", t("Site", "Site"), Kind::SelectOneFromFile(SITES_CSV))
                    .required(),
            ),
            Node::Question(
                Question::new(
                    "starts_on",
                    t("Distribution date", "Date de la distribution"),
                    Kind::Date,
                )
                .required(),
            ),
            Node::Question(
                Question::new(
                    "ends_on",
                    t("Last day (if several days)", "Dernier jour (si plusieurs jours)"),
                    Kind::Date,
                )
                .constraint(
                    ". >= /data/starts_on",
                    t(
                        "The last day cannot be before the first.",
                        "Le dernier jour ne peut pas précéder le premier.",
                    ),
                ),
            ),
            Node::Question(
                Question::new(
                    "modality",
                    t("Modality", "Modalité"),
                    Kind::SelectOne(choices::<DistributionModality>()),
                )
                .required(),
            ),
            Node::Question(
                Question::new("status", t("Status", "Statut"), Kind::SelectOne(statuses))
                    .required(),
            ),
            Node::Question(
                Question::new(
                    "source_warehouse",
                    t("Source warehouse", "Entrepôt d'origine"),
                    Kind::SelectOneFromFile(WAREHOUSES_CSV),
                )
                .hint(t(
                    "Completed in-kind distributions from a warehouse take its stock.",
                    "Les distributions en nature terminées depuis un entrepôt en retirent le stock.",
                ))
                .relevant("/data/modality = 'IN_KIND'"),
            ),
            Node::Question(Question::new(
                "project_code",
                t("Project code", "Code projet"),
                Kind::Text,
            )),
            Node::Question(
                Question::count("households", t("Households reached", "Ménages atteints"))
                    .required(),
            ),
            Node::Question(
                Question::count(
                    "individuals",
                    t("Individuals reached", "Individus atteints"),
                )
                .required(),
            ),
            Node::Question(Question::count(
                "no_shows",
                t(
                    "Registered households that did not come",
                    "Ménages inscrits absents",
                ),
            )),
            Node::Repeat {
                name: "lines",
                label: t("Items and kits", "Articles et kits"),
                children: vec![
                    Node::Question(
                        Question::new("goods", t("Item or kit", "Article ou kit"), Kind::SelectOne(goods))
                            .required(),
                    ),
                    Node::Question(
                        Question::count(
                            "quantity_distributed",
                            t("Quantity distributed", "Quantité distribuée"),
                        )
                        .required(),
                    ),
                    Node::Question(Question::count(
                        "quantity_lost",
                        t("Quantity lost or damaged", "Quantité perdue ou endommagée"),
                    )),
                ],
            },
        ],
    }
}

/// Escapes text for XML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A generated form: its XML, version and `md5:` hash.
#[derive(Debug, Clone)]
pub struct Generated {
    /// Form id.
    pub id: &'static str,
    /// Title in English.
    pub title: String,
    /// Version: derived from the XML.
    pub version: String,
    /// The XForm.
    pub xml: String,
    /// `md5:<hex>` of `xml`.
    pub hash: String,
    /// External files it needs.
    pub media: Vec<&'static str>,
}

/// `md5:<hex>` of `bytes`.
pub fn md5_hash(bytes: &[u8]) -> String {
    format!("md5:{}", hex::encode(md5::Md5::digest(bytes)))
}

/// Writes `spec` as an XForm whose version is the first 12 hex digits of the SHA-256 of
/// the form written with an empty version: the version (and so the hash) changes exactly
/// when anything else in the form does.
pub fn generate(spec: &FormSpec) -> Generated {
    let draft = write_xform(spec, "");
    let version = crate::storage::openrosa::sha256_hex(draft.as_bytes())[..12].to_owned();
    let xml = write_xform(spec, &version);
    Generated {
        id: spec.id,
        title: spec.title.en.clone(),
        hash: md5_hash(xml.as_bytes()),
        version,
        xml,
        media: spec.media.clone(),
    }
}

struct Writer<'a> {
    itext: Vec<(String, &'a Text)>,
    binds: String,
    body: String,
    instance: String,
}

fn write_xform(spec: &FormSpec, version: &str) -> String {
    let mut w = Writer {
        itext: Vec::new(),
        binds: String::new(),
        body: String::new(),
        instance: String::new(),
    };
    let _ = write!(
        w.instance,
        "<data id=\"{}\" version=\"{}\">",
        escape(spec.id),
        escape(version)
    );
    for node in &spec.nodes {
        w.node(node, "/data");
    }
    w.instance
        .push_str("<start/><end/><deviceid/><meta><instanceID/><deprecatedID/></meta></data>");
    for (name, preload, params) in [
        ("start", "timestamp", "start"),
        ("end", "timestamp", "end"),
        ("deviceid", "property", "deviceid"),
    ] {
        let ty = if preload == "timestamp" {
            "dateTime"
        } else {
            "string"
        };
        let _ = write!(
            w.binds,
            "<bind nodeset=\"/data/{name}\" type=\"{ty}\" jr:preload=\"{preload}\" jr:preloadParams=\"{params}\"/>"
        );
    }
    w.binds.push_str("<bind nodeset=\"/data/meta/instanceID\" type=\"string\" readonly=\"true()\" jr:preload=\"uid\"/>");
    w.binds.push_str(
        "<bind nodeset=\"/data/meta/deprecatedID\" type=\"string\" readonly=\"true()\"/>",
    );
    let mut xml = String::new();
    xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.push_str("<h:html xmlns=\"http://www.w3.org/2002/xforms\" xmlns:h=\"http://www.w3.org/1999/xhtml\" xmlns:ev=\"http://www.w3.org/2001/xml-events\" xmlns:jr=\"http://openrosa.org/javarosa\" xmlns:odk=\"http://www.opendatakit.org/xforms\" xmlns:orx=\"http://openrosa.org/xforms\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">");
    let _ = write!(
        xml,
        "<h:head><h:title>{}</h:title><model odk:xforms-version=\"1.0.0\"><itext>",
        escape(&spec.title.en)
    );
    for (lang, default, pick) in [
        (
            "English (en)",
            true,
            (|t: &Text| t.en.clone()) as fn(&Text) -> String,
        ),
        ("Français (fr)", false, |t: &Text| t.fr.clone()),
    ] {
        let _ = write!(
            xml,
            "<translation lang=\"{lang}\"{}>",
            if default { " default=\"true()\"" } else { "" }
        );
        for (id, text) in &w.itext {
            let _ = write!(
                xml,
                "<text id=\"{}\"><value>{}</value></text>",
                escape(id),
                escape(&pick(text))
            );
        }
        xml.push_str("</translation>");
    }
    xml.push_str("</itext><instance>");
    xml.push_str(&w.instance);
    xml.push_str("</instance>");
    for file in &spec.media {
        let id = file.trim_end_matches(".csv");
        let _ = write!(xml, "<instance id=\"{id}\" src=\"jr://file-csv/{file}\"/>");
    }
    xml.push_str(&w.binds);
    xml.push_str("</model></h:head><h:body>");
    xml.push_str(&w.body);
    xml.push_str("</h:body></h:html>\n");
    xml
}

impl<'a> Writer<'a> {
    fn label(&mut self, path: &str, suffix: &str, text: &'a Text) -> String {
        let id = format!("{path}:{suffix}");
        let out = format!("jr:itext('{id}')");
        self.itext.push((id, text));
        out
    }

    fn node(&mut self, node: &'a Node, parent: &str) {
        match node {
            Node::Question(q) => self.question(q, parent),
            Node::Group {
                name,
                label,
                children,
            } => {
                let path = format!("{parent}/{name}");
                let _ = write!(self.instance, "<{name}>");
                let label = self.label(&path, "label", label);
                let _ = write!(self.body, "<group ref=\"{path}\"><label ref=\"{label}\"/>");
                for child in children {
                    self.node(child, &path);
                }
                self.body.push_str("</group>");
                let _ = write!(self.instance, "</{name}>");
            }
            Node::Repeat {
                name,
                label,
                children,
            } => {
                let path = format!("{parent}/{name}");
                let _ = write!(self.instance, "<{name} jr:template=\"\">");
                let label = self.label(&path, "label", label);
                let _ = write!(
                    self.body,
                    "<group ref=\"{path}\"><label ref=\"{label}\"/><repeat nodeset=\"{path}\">"
                );
                for child in children {
                    self.node(child, &path);
                }
                self.body.push_str("</repeat></group>");
                let _ = write!(self.instance, "</{name}>");
            }
        }
    }

    fn question(&mut self, q: &'a Question, parent: &str) {
        let path = format!("{parent}/{}", q.name);
        let _ = write!(self.instance, "<{}/>", q.name);
        let ty = match q.kind {
            Kind::Int => "int",
            Kind::Date => "date",
            Kind::Geopoint => "geopoint",
            Kind::Photo => "binary",
            Kind::Text | Kind::SelectOne(_) | Kind::SelectMany(_) | Kind::SelectOneFromFile(_) => {
                "string"
            }
        };
        let _ = write!(self.binds, "<bind nodeset=\"{path}\" type=\"{ty}\"");
        if q.required {
            self.binds.push_str(" required=\"true()\"");
        }
        if let Some((xpath, message)) = &q.constraint {
            let msg = self.label(&path, "constraintMsg", message);
            let _ = write!(
                self.binds,
                " constraint=\"{}\" jr:constraintMsg=\"{msg}\"",
                escape(xpath)
            );
        }
        if let Some(relevant) = &q.relevant {
            let _ = write!(self.binds, " relevant=\"{}\"", escape(relevant));
        }
        self.binds.push_str("/>");
        let label = self.label(&path, "label", &q.label);
        let hint = q
            .hint
            .as_ref()
            .map(|h| format!("<hint ref=\"{}\"/>", self.label(&path, "hint", h)))
            .unwrap_or_default();
        let head = format!("<label ref=\"{label}\"/>{hint}");
        match &q.kind {
            Kind::Int | Kind::Date | Kind::Text | Kind::Geopoint => {
                let _ = write!(self.body, "<input ref=\"{path}\">{head}</input>");
            }
            Kind::Photo => {
                let _ = write!(
                    self.body,
                    "<upload ref=\"{path}\" mediatype=\"image/*\">{head}</upload>"
                );
            }
            Kind::SelectOne(choices) | Kind::SelectMany(choices) => {
                let tag = if matches!(q.kind, Kind::SelectOne(_)) {
                    "select1"
                } else {
                    "select"
                };
                let _ = write!(self.body, "<{tag} ref=\"{path}\">{head}");
                for c in choices {
                    let label = self.label(&path, &format!("option-{}", c.value), &c.label);
                    let _ = write!(
                        self.body,
                        "<item><label ref=\"{label}\"/><value>{}</value></item>",
                        escape(&c.value)
                    );
                }
                let _ = write!(self.body, "</{tag}>");
            }
            Kind::SelectOneFromFile(file) => {
                let id = file.trim_end_matches(".csv");
                let _ = write!(
                    self.body,
                    "<select1 ref=\"{path}\">{head}<itemset nodeset=\"instance('{id}')/root/item\"><value ref=\"name\"/><label ref=\"label\"/></itemset></select1>"
                );
            }
        }
    }
}

/// A CSV choice list (`name,label`), each field quoted when it must be.
pub fn choices_csv(rows: impl IntoIterator<Item = (String, String)>) -> String {
    fn field(s: &str) -> String {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_owned()
        }
    }
    let mut out = String::from("name,label\n");
    for (name, label) in rows {
        let _ = writeln!(out, "{},{}", field(&name), field(&label));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_follows_the_form_and_the_hash_follows_the_xml() {
        let a = generate(&assessment_spec());
        let again = generate(&assessment_spec());
        assert_eq!(a.version, again.version);
        assert_eq!(a.hash, again.hash);
        assert!(a.hash.starts_with("md5:") && a.hash.len() == 36);
        let blanket = Goods {
            value: "item:BLANKET".into(),
            label: t("Blanket", "Couverture"),
        };
        let one = generate(&distribution_spec(std::slice::from_ref(&blanket)));
        let two = generate(&distribution_spec(&[
            blanket,
            Goods {
                value: "kit:NFI-KIT-STD".into(),
                label: t("NFI kit", "Kit AME"),
            },
        ]));
        assert_ne!(one.version, two.version);
        assert_ne!(one.hash, two.hash);
    }

    #[test]
    fn labels_are_found_by_node_path() {
        let spec = assessment_spec();
        assert_eq!(
            spec.label_of("households").as_deref(),
            Some("Displaced households")
        );
        assert_eq!(
            spec.label_of("sadd/f_1_5").as_deref(),
            Some("Individuals by sex and age › Females, 1-5 years")
        );
        assert_eq!(spec.label_of("nope"), None);
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(
            choices_csv([("A".to_owned(), "Camp, \"north\"".to_owned())]),
            "name,label\nA,\"Camp, \"\"north\"\"\"\n"
        );
    }
}
