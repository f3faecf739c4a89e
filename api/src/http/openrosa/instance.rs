//! Reading a submitted instance: the XML as a small element tree (local names, text,
//! attributes), and the OpenRosa metadata in it.

use quick_xml::events::Event;

/// Most elements accepted in one instance (a filled form has a few hundred at most).
const MAX_ELEMENTS: usize = 20_000;
/// Deepest nesting accepted.
const MAX_DEPTH: usize = 64;

/// One element of an instance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// Local name (namespace prefix dropped).
    pub name: String,
    /// Attributes by local name.
    pub attributes: Vec<(String, String)>,
    /// Text content (trimmed), concatenated.
    pub text: String,
    /// Child elements in order.
    pub children: Vec<Element>,
}

/// Why an instance could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the submission is not well-formed XML: {0}")]
pub struct BadXml(pub String);

impl Element {
    /// The attribute with local name `name`.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child named `name`.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The element at a `/`-separated path of child names below this one.
    pub fn at(&self, path: &str) -> Option<&Element> {
        path.split('/').try_fold(self, |e, name| e.child(name))
    }

    /// The trimmed text at `path`, `None` when missing or empty.
    pub fn text_at(&self, path: &str) -> Option<&str> {
        self.at(path)
            .map(|e| e.text.trim())
            .filter(|t| !t.is_empty())
    }

    /// Every non-empty text in this element and below (for finding referenced media).
    pub fn texts(&self) -> Vec<&str> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            if !e.text.trim().is_empty() {
                out.push(e.text.trim());
            }
            stack.extend(e.children.iter());
        }
        out
    }
}

fn local(name: &str) -> String {
    match name.rsplit_once(':') {
        Some((_, local)) => local.to_owned(),
        None => name.to_owned(),
    }
}

fn element(start: &quick_xml::events::BytesStart<'_>) -> Result<Element, BadXml> {
    let mut attributes = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| BadXml(e.to_string()))?;
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| BadXml(e.to_string()))?
            .into_owned();
        attributes.push((local(attr.key.as_ref()), value));
    }
    Ok(Element {
        name: local(start.name().as_ref()),
        attributes,
        text: String::new(),
        children: Vec::new(),
    })
}

/// Parses `bytes` (UTF-8) into the root element.
pub fn parse(bytes: &[u8]) -> Result<Element, BadXml> {
    let text = std::str::from_utf8(bytes).map_err(|_| BadXml("it is not UTF-8".to_owned()))?;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| BadXml(format!("{e} at byte {}", reader.buffer_position())))?;
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err(BadXml("content after the root element".to_owned()));
            }
            Event::Start(start) => {
                count += 1;
                if count > MAX_ELEMENTS || stack.len() >= MAX_DEPTH {
                    return Err(BadXml("too many or too deeply nested elements".to_owned()));
                }
                stack.push(element(&start)?);
            }
            Event::Empty(start) => {
                count += 1;
                let e = element(&start)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(e),
                    None => root = Some(e),
                }
            }
            Event::End(_) => {
                let done = stack
                    .pop()
                    .ok_or_else(|| BadXml("an end tag without a start".to_owned()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::Text(text) => {
                if let Some(e) = stack.last_mut() {
                    e.text.push_str(&text.xml10_content());
                }
            }
            Event::CData(data) => {
                if let Some(e) = stack.last_mut() {
                    e.text.push_str(&data.into_inner());
                }
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => quick_xml::escape::resolve_predefined_entity(&reference)
                        .ok_or_else(|| BadXml(format!("unknown entity &{};", &*reference)))?
                        .to_owned(),
                };
                if let Some(e) = stack.last_mut() {
                    e.text.push_str(&resolved);
                }
            }
            Event::DocType(_) => {
                return Err(BadXml("document types are not accepted".to_owned()));
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(BadXml("the document ends inside an element".to_owned()));
    }
    root.ok_or_else(|| BadXml("there is no root element".to_owned()))
}

/// The OpenRosa metadata of an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// The form id (root `id` attribute).
    pub form_id: Option<String>,
    /// The form version (root `version` attribute).
    pub version: Option<String>,
    /// `meta/instanceID`.
    pub instance_id: Option<String>,
    /// `meta/deprecatedID`.
    pub deprecated_id: Option<String>,
}

impl Meta {
    /// Reads the metadata of `root`.
    pub fn of(root: &Element) -> Self {
        let text = |name: &str| {
            root.child("meta")
                .and_then(|m| m.text_at(name))
                .map(str::to_owned)
        };
        let attr = |name: &str| {
            root.attribute(name)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        Self {
            form_id: attr("id"),
            version: attr("version"),
            instance_id: text("instanceID"),
            deprecated_id: text("deprecatedID"),
        }
    }
}

/// The UUID of an instance id `uuid:<uuid>` (the OpenRosa form; a bare UUID is taken too).
pub fn instance_uuid(instance_id: &str) -> Option<uuid::Uuid> {
    let raw = instance_id.strip_prefix("uuid:").unwrap_or(instance_id);
    uuid::Uuid::parse_str(raw.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instance_is_read_with_its_metadata() {
        let xml = br#"<?xml version="1.0"?>
<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" id="f" version="v1">
  <site>S &amp; T&#33;</site><empty/>
  <orx:meta><orx:instanceID>uuid:6b0b2f4e-3c1a-4a55-9a0e-1f7f1c7b2d10</orx:instanceID></orx:meta>
</data>"#;
        let root = parse(xml).expect("parses");
        assert_eq!(root.text_at("site"), Some("S & T!"));
        assert_eq!(root.text_at("empty"), None);
        let meta = Meta::of(&root);
        assert_eq!(meta.form_id.as_deref(), Some("f"));
        assert_eq!(meta.version.as_deref(), Some("v1"));
        assert!(instance_uuid(meta.instance_id.as_deref().unwrap_or("")).is_some());
        assert_eq!(meta.deprecated_id, None);
    }

    #[test]
    fn broken_xml_and_doctypes_are_refused() {
        assert!(parse(b"<data><a></data>").is_err());
        assert!(parse(b"<!DOCTYPE x [<!ENTITY e \"boom\">]><data>&e;</data>").is_err());
        assert!(parse(b"").is_err());
        assert!(parse(b"<a/><b/>").is_err());
    }
}
