//! Sources and sinks: connector kinds, their options, and formats.

use super::{Checker, ItemRef};
use crate::diagnostics::{did_you_mean, Code, Diagnostic};
use crate::plan::{
    Delivery, ErrorPolicy, Format, RecordType, Setting, SinkConnector, SinkId, SinkPlan, SourceConnector, SourceId,
    SourcePlan, StartFrom, Type, WriteMode, Writer,
};
use crate::syntax::ast::{Ident, Item, OptionEntry, OptionValue, OptionValueKind, Options};
use std::collections::HashMap;

const SOURCE_CONNECTORS: &[&str] = &["kafka", "file"];
const SINK_CONNECTORS: &[&str] = &["kafka", "file", "postgres", "stdout"];

/// The options of one connector, looked up by name; each use is checked once.
struct OptionSet<'o> {
    by_name: HashMap<&'o str, &'o OptionEntry>,
}

impl<'o> OptionSet<'o> {
    fn get(&self, name: &str) -> Option<&'o OptionEntry> {
        self.by_name.get(name).copied()
    }
}

impl Checker<'_> {
    /// Validates option names against `allowed`, reporting unknown and duplicate ones.
    fn option_set<'o>(&self, options: &'o Options, allowed: &[&str], connector: &str, role: &str) -> OptionSet<'o> {
        let mut by_name: HashMap<&str, &OptionEntry> = HashMap::new();
        for entry in &options.entries {
            let name = entry.name.node.as_str();
            if !allowed.contains(&name) {
                let mut diagnostic =
                    Diagnostic::error(Code::E0502, format!("unknown option `{name}` for a {connector} {role}"))
                        .with_primary(entry.name.span, "unknown option");
                diagnostic = match did_you_mean(name, allowed.iter().copied()) {
                    Some(suggestion) => diagnostic.with_help(format!("did you mean `{suggestion}`?")),
                    None => diagnostic.with_help(format!(
                        "a {connector} {role} takes: {}",
                        allowed.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
                    )),
                };
                self.report(diagnostic);
                continue;
            }
            if let Some(first) = by_name.get(name) {
                self.report(
                    Diagnostic::error(Code::E0505, format!("option `{name}` is given twice"))
                        .with_primary(entry.name.span, "second value")
                        .with_secondary(first.name.span, "first value")
                        .with_help("remove one of them"),
                );
                continue;
            }
            by_name.insert(name, entry);
        }
        OptionSet { by_name }
    }

    fn missing_option(&self, options: &Options, owner: &Ident, what: &str, example: &str) {
        // A misspelling of the option was already reported with "did you mean".
        let wanted: Vec<&str> = what.split('`').skip(1).step_by(2).collect();
        if options.entries.iter().any(|e| {
            did_you_mean(&e.name.node, wanted.iter().copied()).is_some() && !wanted.contains(&e.name.node.as_str())
        }) {
            return;
        }
        self.report(
            Diagnostic::error(Code::E0503, format!("`{}` is missing the required option {what}", owner.node))
                .with_primary(owner.span, format!("needs {what}"))
                .with_secondary(options.span, "options given here")
                .with_help(format!("add `{example}`")),
        );
    }

    fn bad_value(&self, value: &OptionValue, expected: &str, help: Option<String>) {
        let mut diagnostic = Diagnostic::error(Code::E0504, format!("invalid option value: expected {expected}"))
            .with_primary(value.span, format!("expected {expected}"));
        if let Some(help) = help {
            diagnostic = diagnostic.with_help(help);
        }
        self.report(diagnostic);
    }

    /// A string, or `env("NAME")` / `env("NAME", "default")`.
    fn setting(&self, value: &OptionValue) -> Option<Setting> {
        match &value.kind {
            OptionValueKind::String(text) if text.trim().is_empty() => {
                self.bad_value(
                    value,
                    "a non-empty string",
                    Some("give the name, or read it from the environment: `env(\"NAME\")`".into()),
                );
                None
            }
            OptionValueKind::String(text) => Some(Setting::Literal(text.clone())),
            OptionValueKind::Call(name, args) if name.node == "env" => {
                let strings: Vec<Option<&String>> = args
                    .iter()
                    .map(|arg| match &arg.kind {
                        OptionValueKind::String(text) => Some(text),
                        _ => None,
                    })
                    .collect();
                match strings.as_slice() {
                    [Some(var)] => Some(Setting::Env { var: (*var).clone(), default: None }),
                    [Some(var), Some(default)] => {
                        Some(Setting::Env { var: (*var).clone(), default: Some((*default).clone()) })
                    }
                    _ => {
                        self.bad_value(
                            value,
                            "`env(\"NAME\")` or `env(\"NAME\", \"default\")`",
                            Some("`env` takes the variable's name and an optional default, both strings".into()),
                        );
                        None
                    }
                }
            }
            OptionValueKind::Call(name, _) => {
                self.report(
                    Diagnostic::error(Code::E0504, format!("unknown function `{}` in an option", name.node))
                        .with_primary(name.span, "only `env(...)` is allowed in options")
                        .with_help("write `env(\"NAME\")` or `env(\"NAME\", \"default\")`"),
                );
                None
            }
            OptionValueKind::Word(word) => {
                self.bad_value(value, "a string", Some(format!("quote it: `\"{word}\"`")));
                None
            }
            _ => {
                self.bad_value(value, "a string", None);
                None
            }
        }
    }

    /// One of `allowed` bare words.
    fn word<'w>(&self, value: &OptionValue, allowed: &[&'w str]) -> Option<&'w str> {
        let list = allowed.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ");
        let text = match &value.kind {
            OptionValueKind::Word(word) => word.as_str(),
            OptionValueKind::String(text) => text.as_str(),
            _ => {
                self.bad_value(value, &format!("one of {list}"), None);
                return None;
            }
        };
        if let Some(found) = allowed.iter().find(|a| **a == text) {
            if matches!(value.kind, OptionValueKind::String(_)) {
                self.bad_value(value, &format!("one of {list}"), Some(format!("write it without quotes: `{text}`")));
                return None;
            }
            return Some(found);
        }
        let help = match did_you_mean(text, allowed.iter().copied()) {
            Some(suggestion) => format!("did you mean `{suggestion}`?"),
            None => format!("use one of {list}"),
        };
        self.bad_value(value, &format!("one of {list}"), Some(help));
        None
    }

    fn boolean(&self, value: &OptionValue) -> Option<bool> {
        match &value.kind {
            OptionValueKind::Bool(b) => Some(*b),
            OptionValueKind::String(text) if text == "true" || text == "false" => {
                self.bad_value(value, "`true` or `false`", Some(format!("write it without quotes: `{text}`")));
                Some(text == "true")
            }
            _ => {
                self.bad_value(value, "`true` or `false`", Some("write `true` or `false`".into()));
                None
            }
        }
    }

    /// A bare field name.
    fn field_word(&self, value: &OptionValue) -> Option<Ident> {
        match &value.kind {
            OptionValueKind::Word(word) => Some(Ident::new(value.span, word.clone())),
            OptionValueKind::String(text) => {
                self.bad_value(value, "a field name", Some(format!("write the field without quotes: `{text}`")));
                None
            }
            _ => {
                self.bad_value(value, "a field name", None);
                None
            }
        }
    }

    fn format(&self, set: &OptionSet<'_>, allowed: &[&str]) -> Format {
        let Some(entry) = set.get("format") else { return Format::Json };
        match self.word(&entry.value, allowed) {
            Some("csv") => Format::Csv,
            Some("text") => Format::Text,
            Some("parquet") => Format::Parquet,
            _ => Format::Json,
        }
    }

    pub(super) fn check_sinks(&mut self) {
        for item in &self.program.items {
            let Item::Sink(sink) = item else { continue };
            if !self.is_canonical(&sink.name) {
                continue;
            }
            let connector = match sink.connector.node.as_str() {
                "kafka" => {
                    let set = self.option_set(
                        &sink.options,
                        &["topic", "format", "key", "delivery", "brokers"],
                        "kafka",
                        "sink",
                    );
                    let topic = set.get("topic").and_then(|e| self.setting(&e.value));
                    if set.get("topic").is_none() {
                        self.missing_option(&sink.options, &sink.name, "`topic`", "topic: \"name\"");
                    }
                    let brokers = set.get("brokers").and_then(|e| self.setting(&e.value));
                    let delivery =
                        match set.get("delivery").and_then(|e| self.word(&e.value, &["exactly_once", "at_least_once"]))
                        {
                            Some("at_least_once") => Delivery::AtLeastOnce,
                            _ => Delivery::ExactlyOnce,
                        };
                    let key = set.get("key").and_then(|e| self.field_word(&e.value));
                    let format = self.format(&set, &["json", "csv", "text"]);
                    let key_name = key.as_ref().map(|k| k.node.clone());
                    self.register_sink_keys(key.into_iter().collect());
                    (
                        SinkConnector::Kafka {
                            topic: topic.unwrap_or(Setting::Literal(String::new())),
                            brokers,
                            key: key_name,
                            delivery,
                        },
                        format,
                    )
                }
                "file" => {
                    let set = self.option_set(&sink.options, &["path", "format"], "file", "sink");
                    let path = set.get("path").and_then(|e| self.setting(&e.value));
                    if set.get("path").is_none() {
                        self.missing_option(&sink.options, &sink.name, "`path`", "path: \"out/records\"");
                    }
                    let format = self.format(&set, &["json", "csv", "parquet"]);
                    (SinkConnector::File { path: path.unwrap_or(Setting::Literal(String::new())) }, format)
                }
                "postgres" => {
                    let set =
                        self.option_set(&sink.options, &["url", "table", "mode", "key", "create"], "postgres", "sink");
                    let url = set.get("url").and_then(|e| self.setting(&e.value));
                    if set.get("url").is_none() {
                        self.missing_option(&sink.options, &sink.name, "`url`", "url: env(\"PG_URL\")");
                    }
                    let table = set.get("table").and_then(|e| self.setting(&e.value));
                    if set.get("table").is_none() {
                        self.missing_option(&sink.options, &sink.name, "`table`", "table: \"name\"");
                    }
                    let mode = match set.get("mode").and_then(|e| self.word(&e.value, &["insert", "upsert"])) {
                        Some("upsert") => WriteMode::Upsert,
                        _ => WriteMode::Insert,
                    };
                    let create = set.get("create").and_then(|e| self.boolean(&e.value)).unwrap_or(false);
                    let mut keys = Vec::new();
                    if let Some(entry) = set.get("key") {
                        match &entry.value.kind {
                            OptionValueKind::List(values) => {
                                keys.extend(values.iter().filter_map(|v| self.field_word(v)))
                            }
                            OptionValueKind::Word(_) => keys.extend(self.field_word(&entry.value)),
                            _ => self.bad_value(
                                &entry.value,
                                "a list of fields",
                                Some("write `key: [field, ...]`".into()),
                            ),
                        }
                    }
                    if mode == WriteMode::Upsert && set.get("key").is_some() && keys.is_empty() {
                        self.report(
                            Diagnostic::error(Code::E0509, "`mode: upsert` needs at least one key column")
                                .with_primary(set.get("key").map_or(sink.name.span, |e| e.value.span), "no columns")
                                .with_help("list the columns that identify a row: `key: [field, ...]`"),
                        );
                    }
                    if mode == WriteMode::Upsert && set.get("key").is_none() {
                        self.report(
                            Diagnostic::error(Code::E0509, "`mode: upsert` needs a `key`")
                                .with_primary(
                                    set.get("mode").map_or(sink.name.span, |e| e.value.span),
                                    "upsert without a key",
                                )
                                .with_help("add the columns that identify a row: `key: [field, ...]`"),
                        );
                    }
                    let key_names = keys.iter().map(|k| k.node.clone()).collect();
                    self.register_sink_keys(keys);
                    (
                        SinkConnector::Postgres {
                            url: url.unwrap_or(Setting::Literal(String::new())),
                            table: table.unwrap_or(Setting::Literal(String::new())),
                            mode,
                            key: key_names,
                            create,
                        },
                        Format::Json,
                    )
                }
                "stdout" => {
                    let set = self.option_set(&sink.options, &["format"], "stdout", "sink");
                    (SinkConnector::Stdout, self.format(&set, &["json", "csv"]))
                }
                _ => {
                    self.unknown(
                        Code::E0501,
                        "sink connector",
                        &sink.connector,
                        SINK_CONNECTORS.to_vec(),
                        Some("sinks write `to kafka`, `to file`, `to postgres` or `to stdout`".into()),
                    );
                    (SinkConnector::Stdout, Format::Json)
                }
            };
            let id = SinkId(self.plan.sinks.len());
            self.sink_ids.insert(sink.name.node.clone(), id);
            self.plan.sinks.push(SinkPlan {
                name: sink.name.node.clone(),
                span: sink.span,
                connector: connector.0,
                format: connector.1,
                record: None,
                writers: Vec::new(),
            });
        }
    }

    /// Keys of the sink being declared (the next id); checked in `check_sink_records`.
    fn register_sink_keys(&mut self, keys: Vec<Ident>) {
        let id = SinkId(self.plan.sinks.len());
        self.sink_keys.insert(id, keys);
    }

    /// A topic is read by one stream source, once: the run loop reads each topic once
    /// and feeds its records to every pipeline that reads the source. (A table may
    /// read a topic a stream also reads.) Names from `env(...)` are checked at start.
    fn check_topic_read_once(&self, source: &Ident, topics: &[&OptionValue]) {
        for value in topics {
            let OptionValueKind::String(name) = &value.kind else { continue };
            let earlier = self.stream_topics.borrow().get(name).cloned();
            match earlier {
                Some((span, reader)) => self.report(
                    Diagnostic::error(Code::E0510, format!("topic `{name}` is read twice"))
                        .with_primary(value.span, format!("read again by `{}`", source.node))
                        .with_secondary(span, format!("read by `{reader}` first"))
                        .with_help(
                            "read it with one source and share it: several pipelines can read one source, or one named stream (a pipeline without `to`)",
                        ),
                ),
                None => {
                    self.stream_topics.borrow_mut().insert(name.clone(), (value.span, source.node.clone()));
                }
            }
        }
    }

    pub(super) fn check_sources(&mut self) {
        for item in &self.program.items {
            let Item::Source(source) = item else { continue };
            if !self.is_canonical(&source.name) {
                continue;
            }
            let record = match self.resolve_type(&source.ty) {
                Type::Record(record) => record,
                Type::Error => RecordType::anonymous(Vec::new()),
                other => {
                    self.report(
                        Diagnostic::error(
                            Code::E0507,
                            format!("source `{}` has type `{other}`, which is not a record", source.name.node),
                        )
                        .with_primary(source.ty.span, "expected a schema or a record type")
                        .with_help(
                            "declare the record: `schema Event { field: type, ... }`, or `{ line: string }` for text",
                        ),
                    );
                    RecordType::anonymous(Vec::new())
                }
            };
            let common = ["format", "event_time", "key", "on_error", "table"];
            let mut literal_topics: Vec<&OptionValue> = Vec::new();
            let (connector, set) = match source.connector.node.as_str() {
                "kafka" => {
                    let mut allowed = vec!["topic", "topics", "start", "brokers"];
                    allowed.extend(common);
                    let set = self.option_set(&source.options, &allowed, "kafka", "source");
                    let mut topics = Vec::new();
                    // `literal_topics` keeps the names and where they are, for the check that no
                    // topic is read twice.
                    match (set.get("topic"), set.get("topics")) {
                        (Some(topic), Some(list)) => self.report(
                            Diagnostic::error(Code::E0509, "a source takes `topic` or `topics`, not both")
                                .with_primary(list.name.span, "`topics` here")
                                .with_secondary(topic.name.span, "`topic` here")
                                .with_help("put every topic in `topics: [...]`"),
                        ),
                        (Some(topic), None) => {
                            literal_topics.push(&topic.value);
                            topics.extend(self.setting(&topic.value))
                        }
                        (None, Some(list)) => match &list.value.kind {
                            OptionValueKind::List(values) if !values.is_empty() => {
                                literal_topics.extend(values);
                                topics.extend(values.iter().filter_map(|v| self.setting(v)))
                            }
                            _ => self.bad_value(
                                &list.value,
                                "a non-empty list of topic names",
                                Some("write `topics: [\"a\", \"b\"]`".into()),
                            ),
                        },
                        (None, None) => {
                            self.missing_option(&source.options, &source.name, "`topic` or `topics`", "topic: \"name\"")
                        }
                    }
                    let start = match set.get("start").and_then(|e| self.word(&e.value, &["earliest", "latest"])) {
                        Some("latest") => StartFrom::Latest,
                        _ => StartFrom::Earliest,
                    };
                    let brokers = set.get("brokers").and_then(|e| self.setting(&e.value));
                    (SourceConnector::Kafka { topics, brokers, start }, set)
                }
                "file" => {
                    let mut allowed = vec!["path"];
                    allowed.extend(common);
                    let set = self.option_set(&source.options, &allowed, "file", "source");
                    let path = set.get("path").and_then(|e| self.setting(&e.value));
                    if set.get("path").is_none() {
                        self.missing_option(&source.options, &source.name, "`path`", "path: \"data/events.jsonl\"");
                    }
                    (SourceConnector::File { path: path.unwrap_or(Setting::Literal(String::new())) }, set)
                }
                _ => {
                    self.unknown(
                        Code::E0501,
                        "source connector",
                        &source.connector,
                        SOURCE_CONNECTORS.to_vec(),
                        Some("sources read `from kafka` or `from file`".into()),
                    );
                    // Its options cannot be checked against an unknown connector.
                    self.broken_sources.borrow_mut().insert(source.name.node.clone());
                    let set = OptionSet { by_name: HashMap::new() };
                    (SourceConnector::File { path: Setting::Literal(String::new()) }, set)
                }
            };
            let format = self.format(&set, &["json", "csv", "text"]);
            self.check_format_holds(format, &record, source.ty.span, &source.name.node, "source");
            let event_time =
                set.get("event_time").and_then(|e| self.field_word(&e.value)).and_then(|field| {
                    match record.field(&field.node).map(|f| &f.ty) {
                        Some(Type::Timestamp) => Some(field.node),
                        Some(Type::Error) => None,
                        Some(other) => {
                            self.bad_event_time.borrow_mut().insert(source.name.node.clone());
                            let mut d = Diagnostic::error(
                                Code::E0406,
                                format!("`event_time` field `{}` has type `{other}`", field.node),
                            )
                            .with_primary(field.span, "expected a `timestamp` field");
                            d = if matches!(other, Type::Optional(inner) if **inner == Type::Timestamp) {
                                d.with_help(
                                    "the event time must be present in every record: make the field `timestamp`",
                                )
                            } else {
                                d.with_help("declare the field as `timestamp` (epoch millis or RFC 3339 in the data)")
                            };
                            self.report(d);
                            None
                        }
                        None if record.fields.is_empty() => None,
                        None => {
                            self.bad_event_time.borrow_mut().insert(source.name.node.clone());
                            self.unknown_record_field(Code::E0508, &field, &record, "the source's record");
                            None
                        }
                    }
                });
            let key = set.get("key").and_then(|e| self.field_word(&e.value)).and_then(|field| {
                if record.field(&field.node).is_some() || record.fields.is_empty() {
                    Some(field.node)
                } else {
                    self.unknown_record_field(Code::E0508, &field, &record, "the source's record");
                    None
                }
            });
            let table = set.get("table").and_then(|e| self.boolean(&e.value)).unwrap_or(false);
            if !table {
                self.check_topic_read_once(&source.name, &literal_topics);
            }
            let id = SourceId(self.plan.sources.len());
            let on_error = match set.get("on_error") {
                None => ErrorPolicy::Skip,
                Some(entry) => match &entry.value.kind {
                    OptionValueKind::Word(word) if word == "skip" => ErrorPolicy::Skip,
                    OptionValueKind::Word(word) if word == "fail" => ErrorPolicy::Fail,
                    OptionValueKind::Word(word) => match self.sink_ids.get(word) {
                        Some(sink) => {
                            self.record_write(*sink, Writer::DeadLetters(id), dead_letter_record(), entry.value.span);
                            ErrorPolicy::DeadLetter(*sink)
                        }
                        None => {
                            let mut candidates = vec!["skip", "fail"];
                            candidates.extend(self.names_of(|item| matches!(item, ItemRef::Sink(_))));
                            self.unknown(
                                Code::E0204,
                                "sink",
                                &Ident::new(entry.value.span, word.clone()),
                                candidates,
                                Some("`on_error` is `skip`, `fail`, or the name of a dead-letter sink".into()),
                            );
                            ErrorPolicy::Skip
                        }
                    },
                    _ => {
                        self.bad_value(&entry.value, "`skip`, `fail` or a sink name", None);
                        ErrorPolicy::Skip
                    }
                },
            };
            self.source_ids.insert(source.name.node.clone(), id);
            self.plan.sources.push(SourcePlan {
                name: source.name.node.clone(),
                span: source.span,
                record,
                connector,
                format,
                event_time,
                key,
                on_error,
                table,
            });
        }
    }

    pub(crate) fn unknown_record_field(&self, code: Code, field: &Ident, record: &RecordType, whose: &str) {
        let mut diagnostic = Diagnostic::error(code, format!("no field `{}` in {whose}", field.node))
            .with_primary(field.span, "unknown field");
        diagnostic = match did_you_mean(&field.node, record.field_names()) {
            Some(suggestion) => diagnostic.with_help(format!("did you mean `{suggestion}`?")),
            None => diagnostic.with_note(format!("the record is {}", record.structure())),
        };
        self.report(diagnostic);
    }

    /// Reports a record the format cannot represent.
    pub(crate) fn check_format_holds(
        &self,
        format: Format,
        record: &RecordType,
        span: crate::source::Span,
        name: &str,
        role: &str,
    ) {
        if record.has_error() || record.fields.is_empty() {
            return;
        }
        match format {
            Format::Csv if !record.is_flat() => {
                let nested: Vec<String> = record
                    .fields
                    .iter()
                    .filter(|f| !f.ty.non_optional().is_scalar())
                    .map(|f| format!("`{}: {}`", f.name, f.ty))
                    .collect();
                self.report(
                    Diagnostic::error(
                        Code::E0506,
                        format!("the CSV format cannot hold the records of {role} `{name}`"),
                    )
                    .with_primary(span, format!("has nested field(s) {}", nested.join(", ")))
                    .with_help(if role == "source" {
                        "use `format: json`, or declare only scalar columns (CSV columns are scalars)"
                    } else {
                        "use `format: json` (or parquet for files), or `select` only scalar fields before `to`"
                    }),
                );
            }
            Format::Text => {
                let ok =
                    record.fields.len() == 1 && record.fields[0].name == "line" && record.fields[0].ty == Type::String;
                if !ok {
                    self.report(
                        Diagnostic::error(
                            Code::E0506,
                            format!("`format: text` cannot hold the records of {role} `{name}`"),
                        )
                        .with_primary(span, format!("records are {}", record.structure()))
                                                    .with_help(if role == "source" {
                                "declare the source as `{ line: string }` and parse the line in a `select`"
                            } else {
                                "text records are exactly `{ line: string }`: `select { line: ... }` before `to`, or use `format: json`"
                            }),
                    );
                }
            }
            _ => {}
        }
    }

    /// Remembers that `writer` sends `record` to `sink`.
    pub(crate) fn record_write(&self, sink: SinkId, writer: Writer, record: RecordType, span: crate::source::Span) {
        self.sink_writes.borrow_mut().entry(sink).or_default().push((writer, record, span));
    }

    /// Once every writer is known: one record type per sink, a format that holds it, keys that exist.
    pub(super) fn check_sink_records(&mut self) {
        let writes = std::mem::take(&mut *self.sink_writes.borrow_mut());
        for (id, writes) in writes {
            let Some((_, first_record, first_span)) = writes.first().cloned() else { continue };
            let mut consistent = true;
            for (_, record, span) in &writes[1..] {
                if !record.same_shape(&first_record) && !record.has_error() && !first_record.has_error() {
                    consistent = false;
                    let sink = &self.plan.sinks[id.0];
                    self.report(
                        Diagnostic::error(
                            Code::E0312,
                            format!("sink `{}` receives records of different types", sink.name),
                        )
                        .with_primary(*span, format!("sends {}", record.structure()))
                        .with_secondary(first_span, format!("sends {}", first_record.structure()))
                                                    .with_help(match (&writes[0].0, &writes.iter().find(|(_, r, s)| s == span && r == record).map(|(w, _, _)| w.clone())) {
                                (Writer::DeadLetters(_), _) | (_, Some(Writer::DeadLetters(_))) => {
                                    "dead letters have their own record type: send them to a sink of their own".to_string()
                                }
                                (Writer::Late { .. }, _) | (_, Some(Writer::Late { .. })) => {
                                    "late records have the aggregate's input type: send them to a sink of their own".to_string()
                                }
                                _ => "a sink has one record type: `select` the same fields in every pipeline that writes to it".to_string(),
                            }),
                    );
                }
            }
            let sink = &self.plan.sinks[id.0];
            if consistent {
                self.check_format_holds(sink.format, &first_record, first_span, &sink.name, "sink");
                for key in self.sink_keys.get(&id).into_iter().flatten() {
                    match first_record.field(&key.node) {
                        None if !first_record.has_error() => self.unknown_record_field(
                            Code::E0508,
                            key,
                            &first_record,
                            &format!("the records sent to `{}`", sink.name),
                        ),
                        Some(field)
                            if field.ty.is_optional()
                                && matches!(
                                    sink.connector,
                                    SinkConnector::Postgres { mode: WriteMode::Upsert, .. }
                                ) =>
                        {
                            self.report(
                                Diagnostic::error(Code::E0306, format!("upsert key `{}` is optional", key.node))
                                    .with_primary(key.span, format!("`{}` has type `{}`", key.node, field.ty))
                                    .with_help(format!("key columns cannot be null: fill it first, e.g. `extend {{ {0}: {0} ?? ... }}`", key.node)),
                            );
                        }
                        Some(field) if !field.ty.non_optional().is_scalar() => {
                            self.report(
                                Diagnostic::error(Code::E0504, format!("key `{}` is not a scalar field", key.node))
                                    .with_primary(key.span, format!("`{}` has type `{}`", key.node, field.ty))
                                    .with_help("keys must be scalar fields"),
                            );
                        }
                        _ => {}
                    }
                }
            }
            let sink = &mut self.plan.sinks[id.0];
            sink.record = Some(first_record);
            sink.writers = writes.into_iter().map(|(writer, _, _)| writer).collect();
        }
    }
}

/// The record a dead-letter sink receives.
pub fn dead_letter_record() -> RecordType {
    use crate::plan::Field;
    RecordType {
        name: Some("DeadLetter".into()),
        fields: vec![
            Field::new("source", Type::String),
            Field::new("topic", Type::String),
            Field::new("partition", Type::Int),
            Field::new("offset", Type::Int),
            Field::new("stage", Type::String),
            Field::new("error", Type::String),
            Field::new("payload", Type::String),
            Field::new("payload_encoding", Type::String),
        ],
    }
}
