//! Bounded property fuzzing of the OpenRosa instance parser: arbitrary bytes, XML-shaped
//! junk built from fragments (unbalanced tags, entities, doctypes, CDATA, namespaces,
//! Unicode, deep nesting) never panic, and whatever parses answers every accessor. A fixed
//! number of cases, so CI runs it in bounded time.

use proptest::prelude::*;

use super::instance::{Meta, instance_uuid, parse};

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("<data id=\"f\" version=\"1\">".to_owned()),
        Just("</data>".to_owned()),
        Just("<orx:meta><orx:instanceID>uuid:6b0b2f4e-3c1a-4a55-9a0e-1f7f1c7b2d10</orx:instanceID></orx:meta>".to_owned()),
        Just("<a>".to_owned()),
        Just("</a>".to_owned()),
        Just("<b x='1' x='2'/>".to_owned()),
        Just("&amp;&lt;&#33;&#x1F600;&#0;&#xFFFFFFFF;&bogus;".to_owned()),
        Just("<!DOCTYPE d [<!ENTITY e \"e\">]>".to_owned()),
        Just("<![CDATA[ ]]> ]]>".to_owned()),
        Just("<?xml version=\"1.0\"?>".to_owned()),
        Just("<!-- c -->".to_owned()),
        Just("<ns:x xmlns:ns=\"u\">".to_owned()),
        "\\PC{0,16}",
        "[<>/=\"'&;!?a-z ]{0,16}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn any_bytes_parse_or_are_refused(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse(&bytes);
    }

    #[test]
    fn xml_shaped_junk_parses_or_is_refused(parts in prop::collection::vec(fragment(), 0..40)) {
        let text = parts.concat();
        if let Ok(root) = parse(text.as_bytes()) {
            let meta = Meta::of(&root);
            let _ = meta.instance_id.as_deref().map(instance_uuid);
            let _ = root.texts();
            let _ = root.text_at("a/b");
        }
    }
}

#[test]
fn deep_and_wide_documents_are_handled() {
    let deep = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
    let _ = parse(deep.as_bytes());
    let wide = format!("<data>{}</data>", "<a>x</a>".repeat(200_000));
    let _ = parse(wide.as_bytes());
    let unclosed = "<a>".repeat(100_000);
    assert!(parse(unclosed.as_bytes()).is_err());
}
