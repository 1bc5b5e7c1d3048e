//! JSON lines into document columns: a block of whole lines parsed at once (the reader hands
//! over megabytes, not one line per call), each line either a document (its id, text and the
//! rest of its fields as compact JSON) or a reject with its line number and reason.

use serde_json::{Map, Value};

/// Which fields hold the text, the id and the metadata (`None`: every field but text and id).
#[derive(Debug, Clone)]
pub struct Fields {
    pub text: String,
    pub id: Option<String>,
    pub meta: Option<Vec<String>>,
}

/// Documents as columns; texts concatenated with offsets, the layout of an Arrow string column.
#[derive(Debug, Default)]
pub struct Docs {
    pub lines: Vec<i64>,
    /// `None`: the record has no id (the reader names it after its file and line).
    pub ids: Vec<Option<String>>,
    pub text: String,
    /// `text[offsets[i]..offsets[i + 1]]` is document i's text.
    pub offsets: Vec<i64>,
    pub meta: Vec<Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    pub line: i64,
    pub reason: String,
    /// The line as read, at most 10,000 chars (invalid UTF-8 replaced).
    pub raw: String,
}

/// Python's names for JSON types, as the rest of the readers report them.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// Whitespace as Python's `str.strip` sees it (which includes the ASCII separators 0x1C-0x1F).
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

fn raw_of(line: &[u8]) -> String {
    let head = String::from_utf8_lossy(&line[..line.len().min(40_000)]);
    head.chars().take(10_000).collect()
}

impl Docs {
    /// Parse every line of `buf` (split on `\n`; a final line needs no newline), numbering
    /// them from `first_line`; blank lines are skipped, a trailing `\r` dropped. Returns the
    /// number of lines read.
    pub fn parse(
        &mut self,
        buf: &[u8],
        first_line: i64,
        fields: &Fields,
        rejects: &mut Vec<Reject>,
    ) -> i64 {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        self.text.reserve(buf.len());
        let mut no = first_line - 1;
        let mut start = 0;
        let ends = memchr::memchr_iter(b'\n', buf).chain(
            // a final line without its newline
            (buf.last().is_some_and(|&b| b != b'\n')).then_some(buf.len()),
        );
        for end in ends {
            let mut line = &buf[start..end];
            start = end + 1;
            no += 1;
            if line.iter().all(|b| b" \t\n\r\x0b\x0c".contains(b)) {
                continue;
            }
            if let Some(l) = line.strip_suffix(b"\r") {
                line = l;
            }
            if no == 1 {
                line = line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line); // a UTF-8 BOM
            }
            if let Err(reason) = self.record(line, no, fields) {
                rejects.push(Reject {
                    line: no,
                    reason,
                    raw: raw_of(line),
                });
            }
        }
        no - first_line + 1
    }

    fn record(&mut self, line: &[u8], no: i64, fields: &Fields) -> Result<(), String> {
        // the parser checks the UTF-8 of strings as it reads them; where it fails, say where
        let record: Value =
            serde_json::from_slice(line).map_err(|e| match std::str::from_utf8(line) {
                Err(u) => format!("invalid UTF-8 at byte {}", u.valid_up_to()),
                Ok(_) => format!("bad JSON: {e}"),
            })?;
        let Value::Object(mut map) = record else {
            return Err(format!(
                "a record must be an object, not {}",
                type_name(&record)
            ));
        };
        let text = match map.get(&fields.text) {
            None | Some(Value::Null) => return Err(format!("no '{}' field", fields.text)),
            Some(Value::String(t)) if t.trim_matches(is_py_space).is_empty() => {
                return Err("empty text".into())
            }
            Some(Value::String(_)) => map.shift_remove(&fields.text),
            Some(v) => {
                return Err(format!(
                    "'{}' is a {}, not a string",
                    fields.text,
                    type_name(v)
                ))
            }
        };
        let Some(Value::String(text)) = text else {
            unreachable!("checked above")
        };
        let id = fields.id.as_ref().and_then(|k| map.shift_remove(k));
        self.lines.push(no);
        self.ids.push(match id {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => Some(s),
            Some(v) => Some(v.to_string()),
        });
        self.text.push_str(&text);
        self.offsets.push(self.text.len() as i64);
        if let Some(keep) = &fields.meta {
            map.retain(|k, _| keep.contains(k));
        }
        self.meta.push(meta_json(&map));
        Ok(())
    }
}

fn meta_json(map: &Map<String, Value>) -> Option<String> {
    (!map.is_empty()).then(|| serde_json::to_string(map).expect("JSON values serialize"))
}

/// A document's ID: `SOURCE#ID`, or `SOURCE:LINE` for a record without an id.
pub fn doc_id(source: &str, id: Option<&str>, line: i64) -> String {
    match id {
        Some(id) => format!("{source}#{id}"),
        None => format!("{source}:{line}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_ids_name_the_source_and_the_id_or_line() {
        assert_eq!(
            doc_id("2024/notes.jsonl", Some("N7"), 3),
            "2024/notes.jsonl#N7"
        );
        assert_eq!(doc_id("2024/notes.jsonl", None, 3), "2024/notes.jsonl:3");
    }

    fn fields() -> Fields {
        Fields {
            text: "text".into(),
            id: Some("id".into()),
            meta: None,
        }
    }

    #[test]
    fn documents_and_rejects_with_their_lines() {
        let buf = "{\"id\": 7, \"text\": \"a\", \"b\": [1, 2.5], \"c\": \"é\"}\r\n\
                   \n\
                   {\"text\": \"x\"\n\
                   [1]\n\
                   {\"text\": 3}\n\
                   {\"text\": \" \\u001f\"}\n\
                   {\"id\": \"n\", \"text\": \"multi\\nline\", \"text\": \"last wins\"}";
        let (mut docs, mut rejects) = (Docs::default(), Vec::new());
        let mut bad = buf.as_bytes().to_vec();
        bad.extend_from_slice(b"\n{\"text\": \"\xff\"}\n");
        let n = docs.parse(&bad, 1, &fields(), &mut rejects);
        assert_eq!(n, 8);
        assert_eq!(docs.lines, [1, 7]);
        assert_eq!(docs.ids, [Some("7".to_string()), Some("n".to_string())]);
        assert_eq!(docs.text, "alast wins");
        assert_eq!(docs.offsets, [0, 1, 10]);
        assert_eq!(docs.meta, [Some(r#"{"b":[1,2.5],"c":"é"}"#.into()), None]);
        let got: Vec<(i64, &str)> = rejects
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(got[0].0, 3);
        assert!(got[0].1.starts_with("bad JSON: "));
        assert_eq!(
            got[1..],
            [
                (4, "a record must be an object, not list"),
                (5, "'text' is a int, not a string"),
                (6, "empty text"),
                (8, "invalid UTF-8 at byte 10"),
            ]
        );
        assert_eq!(rejects[4].raw, "{\"text\": \"\u{fffd}\"}");
    }

    #[test]
    fn meta_keeps_only_the_named_fields_in_file_order() {
        let f = Fields {
            text: "t".into(),
            id: None,
            meta: Some(vec!["z".into(), "a".into()]),
        };
        let (mut docs, mut rejects) = (Docs::default(), Vec::new());
        docs.parse(
            br#"{"z": 1, "t": "x", "q": 2, "a": {"k": null}}"#,
            5,
            &f,
            &mut rejects,
        );
        assert_eq!(docs.meta, [Some(r#"{"z":1,"a":{"k":null}}"#.into())]);
        assert_eq!((docs.lines[0], docs.ids[0].clone()), (5, None));
    }
}
