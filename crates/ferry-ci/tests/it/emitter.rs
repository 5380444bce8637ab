//! The hand-written YAML emitter, proven against a real YAML 1.2 parser: whatever strings go
//! in (quotes, colons, `#`, newlines, leading spaces, YAML keywords, unicode) come back out.

use ferry_ci::yaml::{render, Map, Node};
use proptest::prelude::*;
use yaml_rust2::{Yaml, YamlLoader};

fn to_yaml(node: &Node) -> Yaml {
    match node {
        Node::Str(s) => Yaml::String(s.clone()),
        Node::Int(n) => Yaml::Integer(*n),
        Node::Bool(b) => Yaml::Boolean(*b),
        Node::Seq(items) => Yaml::Array(items.iter().map(to_yaml).collect()),
        Node::Map(entries) => Yaml::Hash(
            entries
                .iter()
                .map(|e| (Yaml::String(e.key.clone()), to_yaml(&e.value)))
                .collect(),
        ),
    }
}

fn roundtrip(root: &Map) {
    let text = render(&["a header".to_string(), String::new()], root);
    let docs = YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(docs.len(), 1, "{text}");
    assert_eq!(docs[0], to_yaml(&Node::from(root.clone())), "{text}");
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,24}",
        "[a-z0-9 :#'\"\\\\{}\\[\\],&*!|>%@`-]{0,16}",
        "( |\t)?[a-z]{0,5}(\n[ \ta-z$\"']{0,8}){0,4}\n?",
        Just("on".to_string()),
        Just("yes".to_string()),
        Just("1.0".to_string()),
        Just("~".to_string()),
        Just("- x".to_string()),
        Just("${{ secrets.X }}".to_string()),
        "\\PC{0,8}",
    ]
}

fn node() -> impl Strategy<Value = Node> {
    let leaf = prop_oneof![
        text().prop_map(Node::Str),
        any::<i64>().prop_map(Node::Int),
        any::<bool>().prop_map(Node::Bool),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Node::Seq),
            prop::collection::btree_map(text(), inner, 0..4).prop_map(|m| {
                let mut map = Map::new();
                for (k, v) in m {
                    map.push(&k, v);
                }
                Node::from(map)
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn any_document_round_trips(entries in prop::collection::btree_map(text(), node(), 1..5)) {
        let mut root = Map::new();
        for (i, (k, v)) in entries.into_iter().enumerate() {
            if i % 2 == 0 {
                root.push_commented(&k, v, &["a comment".to_string()]);
            } else {
                root.push(&k, v);
            }
        }
        roundtrip(&root);
    }
}

#[test]
fn scripts_become_literal_blocks() {
    let script = "set -eu\nif [ \"$a\" = b ]; then\n  echo \"x: y # z\"\nfi\n";
    let root = Map::new().set("run", script);
    let text = render(&[], &root);
    assert!(text.starts_with("run: |\n  set -eu\n"), "{text}");
    roundtrip(&root);
    // Trailing spaces would not survive a literal block: quoted instead, still exact.
    let root = Map::new().set("run", "a \nb\n");
    assert!(render(&[], &root).starts_with("run: \"a \\nb\\n\""));
    roundtrip(&root);
}
