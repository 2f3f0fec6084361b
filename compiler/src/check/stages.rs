//! The typing rule of each stage: input record -> output record.

use super::expr::Scope;
use super::{Checker, ItemRef};
use crate::diagnostics::{Code, Diagnostic};
use crate::plan::{
    self, DurationSpec, Field, PipelineId, RecordType, SinkId, StageKind as PlanKind, TExpr, TExprKind, TimeSource,
    Type, WindowSpec, Writer,
};
use crate::source::Span;
use crate::syntax::ast::{self, DurationKind, DurationValue, ExprKind, FieldItem, StageKind, WindowTime};
use std::collections::HashSet;

/// The records flowing between two stages.
#[derive(Clone, Debug)]
pub(crate) struct Flow {
    pub record: RecordType,
    /// The source's `event_time` field, while it reaches the stage unchanged.
    pub event_time: Option<String>,
    /// The source's `event_time` option was wrong (reported): do not report missing event time.
    pub time_unknown: bool,
    /// The source the records come from (a single source), for messages.
    pub origin: Option<String>,
    pub origin_has_event_time: bool,
}

impl Flow {
    pub fn new(record: RecordType, event_time: Option<String>) -> Self {
        Flow { record, event_time, time_unknown: false, origin: None, origin_has_event_time: false }
    }

    /// The same flow with another record (and event time), keeping what is known of its origin.
    pub fn with(&self, record: RecordType, event_time: Option<String>) -> Self {
        Flow { record, event_time, ..self.clone() }
    }
}

pub(crate) enum StageOutcome {
    Next(Box<plan::Stage>, Flow),
    /// The stage could not be typed; continue with this flow.
    Skip(Flow),
    /// `to SINK` (None: unknown sink, already reported).
    To(Option<SinkId>, Flow),
}

impl Checker<'_> {
    pub(crate) fn stage(&self, stage: &ast::Stage, flow: Flow, pipeline: PipelineId, index: usize) -> StageOutcome {
        let span = stage.span;
        let input = flow.record.clone();
        let done = |kind: PlanKind, next: Flow| {
            StageOutcome::Next(
                Box::new(plan::Stage { span, kind, input: input.clone(), output: next.record.clone() }),
                next,
            )
        };
        match &stage.kind {
            StageKind::Where(predicate) => {
                let predicate = self.expr(predicate, &mut Scope::record(&flow.record));
                self.expect_condition(&predicate, "a `where` condition");
                done(PlanKind::Filter { predicate }, flow)
            }
            StageKind::Select(items) => {
                if items.is_empty() {
                    self.report(
                        Diagnostic::warning(Code::W0008, "`select {}` keeps no field")
                            .with_primary(span, "every record leaves this stage empty")
                            .with_help("name the fields to keep: `select { url, bytes }`, or remove the stage"),
                    );
                }
                let (fields, event_time) = self.projection(items, &flow, false);
                let record =
                    RecordType::anonymous(fields.iter().map(|(n, e)| Field::new(n.clone(), e.ty.clone())).collect());
                {
                    let next = flow.with(record, event_time);
                    done(PlanKind::Project { fields }, next)
                }
            }
            StageKind::Extend(items) => {
                let (fields, event_time) = self.projection(items, &flow, true);
                let record =
                    RecordType::anonymous(fields.iter().map(|(n, e)| Field::new(n.clone(), e.ty.clone())).collect());
                {
                    let next = flow.with(record, event_time);
                    done(PlanKind::Project { fields }, next)
                }
            }
            StageKind::Explode { field, alias } => self.explode(field, alias.as_ref(), flow, span),
            StageKind::Dedupe { keys, within, on } => {
                let keys: Vec<TExpr> = keys.iter().map(|k| self.expr(k, &mut Scope::record(&flow.record))).collect();
                for key in &keys {
                    self.expect_groupable(key);
                }
                let within = self.positive(self.duration_spec(within, "`within`"), within, "`within`");
                let time = self.time_source(on.as_ref(), &flow, span, "dedupe");
                match (within, time) {
                    (Some(within), Some(time)) => done(PlanKind::Dedupe { keys, within, time }, flow),
                    _ => StageOutcome::Skip(flow),
                }
            }
            StageKind::Group { keys, window, aggregates } => {
                self.group(keys, window.as_ref(), aggregates, flow, span, pipeline, index)
            }
            StageKind::Join { left, table, on } => self.join(*left, table, on, flow, span),
            StageKind::To(sink) => match self.sink_ids.get(&sink.node) {
                Some(id) => StageOutcome::To(Some(*id), flow),
                None => {
                    self.unknown_sink(sink);
                    StageOutcome::To(None, flow)
                }
            },
        }
    }

    fn unknown_sink(&self, sink: &ast::Ident) {
        if let Some(item) = self.items.get(sink.node.as_str()) {
            let kind = match item {
                ItemRef::Source(_) => "a source",
                ItemRef::Pipeline(_) => "a pipeline",
                ItemRef::Schema(_) => "a schema",
                ItemRef::Param(_) => "a param",
                _ => "an extern fn",
            };
            self.report(
                Diagnostic::error(Code::E0204, format!("`{}` is {kind}, not a sink", sink.node))
                    .with_primary(sink.span, "expected a sink")
                    .with_help(format!("declare a sink: `sink {} to kafka {{ topic: \"...\" }}`", sink.node)),
            );
            return;
        }
        let candidates = self.names_of(|item| matches!(item, ItemRef::Sink(_)));
        self.unknown(
            Code::E0204,
            "sink",
            sink,
            candidates,
            Some(format!("declare it: `sink {} to stdout {{}}`", sink.node)),
        );
    }

    /// `select` (only the listed fields) and `extend` (all fields, plus or replacing these).
    fn projection(&self, items: &[FieldItem], flow: &Flow, extend: bool) -> (Vec<(String, TExpr)>, Option<String>) {
        let mut fields: Vec<(String, TExpr)> = Vec::new();
        let mut event_time = if extend { flow.event_time.clone() } else { None };
        if extend {
            for field in &flow.record.fields {
                let read =
                    TExpr { ty: field.ty.clone(), span: Span::default(), kind: TExprKind::Field(field.name.clone()) };
                fields.push((field.name.clone(), read));
            }
        }
        let mut seen: HashSet<&str> = HashSet::new();
        for item in items {
            let name = &item.name.node;
            if !seen.insert(name) {
                self.report(
                    Diagnostic::error(Code::E0207, format!("field `{name}` is listed twice"))
                        .with_primary(item.name.span, "duplicate field")
                        .with_help("each output field is named once"),
                );
                continue;
            }
            let value = match &item.value {
                Some(expr) => self.expr(expr, &mut Scope::record(&flow.record)),
                None => self.expr(
                    &ast::Expr { span: item.name.span, kind: ExprKind::Name(name.clone()) },
                    &mut Scope::record(&flow.record),
                ),
            };
            if value.ty == Type::Null {
                self.report(
                    Diagnostic::error(Code::E0308, format!("cannot infer the type of field `{name}`"))
                        .with_primary(value.span, "a bare `null` has no type")
                        .with_help(
                            "give the field a typed value, e.g. `if CONDITION then \"text\" else null` (a `string?`)",
                        ),
                );
            }
            let keeps_time = matches!(&value.kind, TExprKind::Field(f) if Some(f) == flow.event_time.as_ref());
            if keeps_time {
                event_time = Some(name.clone());
            } else if event_time.as_deref() == Some(name.as_str()) {
                event_time = None; // replaced by something else
            }
            match fields.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => slot.1 = value,
                None => fields.push((name.clone(), value)),
            }
        }
        (fields, event_time)
    }

    fn explode(&self, field: &ast::Ident, alias: Option<&ast::Ident>, flow: Flow, span: Span) -> StageOutcome {
        let Some(list) = flow.record.field(&field.node) else {
            if !flow.record.has_error() {
                self.unknown_record_field(Code::E0210, field, &flow.record, "the record");
            }
            return StageOutcome::Skip(
                flow.with(RecordType::anonymous(vec![Field::new("{unknown}", Type::Error)]), None),
            );
        };
        let element = match list.ty.non_optional() {
            Type::List(element) => (**element).clone(),
            Type::Error => return StageOutcome::Skip(flow),
            other => {
                self.report(
                    Diagnostic::error(
                        Code::E0311,
                        format!("cannot explode `{}`: it is {}, not a list", field.node, crate::diagnostics::a(other)),
                    )
                    .with_primary(field.span, format!("`{}` has type `{}`", field.node, list.ty))
                    .with_help(if other == &Type::String {
                        format!(
                            "split it into a list first: `| extend {{ {0}: split({0}, \",\") }} | explode {0}`",
                            field.node
                        )
                    } else {
                        "`explode` turns a list field `[T]` into one record per element".to_string()
                    }),
                );
                return StageOutcome::Skip(
                    flow.with(RecordType::anonymous(vec![Field::new("{unknown}", Type::Error)]), None),
                );
            }
        };
        let mut fields = flow.record.fields.clone();
        let element_field = match alias {
            None => {
                if let Some(slot) = fields.iter_mut().find(|f| f.name == field.node) {
                    slot.ty = element;
                }
                field.node.clone()
            }
            Some(alias) => {
                fields.retain(|f| f.name != field.node);
                if fields.iter().any(|f| f.name == alias.node) {
                    self.report(
                        Diagnostic::error(Code::E0207, format!("the record already has a field `{}`", alias.node))
                            .with_primary(alias.span, "name already taken")
                            .with_help("choose another name after `as`"),
                    );
                    return StageOutcome::Skip(flow);
                }
                fields.push(Field::new(alias.node.clone(), element));
                alias.node.clone()
            }
        };
        let next = flow.with(RecordType::anonymous(fields), flow.event_time.clone());
        let input = flow.record;
        StageOutcome::Next(
            Box::new(plan::Stage {
                span,
                kind: PlanKind::Explode { list_field: field.node.clone(), element_field },
                input,
                output: next.record.clone(),
            }),
            next,
        )
    }

    /// Keys of `group by` and `dedupe` must be scalars (optional allowed: null is a key).
    fn expect_groupable(&self, key: &TExpr) {
        if key.ty == Type::Null {
            self.report(
                Diagnostic::error(Code::E0308, "a key of bare `null` has no type")
                    .with_primary(key.span, "every record would have the same untyped key")
                    .with_help("group by a field, or by a typed expression"),
            );
            return;
        }
        if !key.ty.non_optional().is_scalar() {
            self.report(
                Diagnostic::error(Code::E0321, format!("cannot use a value of type `{}` as a key", key.ty))
                    .with_primary(key.span, "keys must be scalar values")
                    .with_help(match key.ty.non_optional() {
                        Type::List(_) => {
                            "group by one element (`tags[0]`) or by `len(...)`; or `explode` the list first"
                        }
                        _ => "group by a scalar field of the record, e.g. `geo.country`",
                    }),
            );
        }
    }

    pub(crate) fn duration_spec(&self, value: &DurationValue, what: &str) -> Option<DurationSpec> {
        match &value.kind {
            DurationKind::Millis(ms) => Some(DurationSpec::Millis(*ms)),
            DurationKind::Number(text) => {
                self.report(
                    Diagnostic::error(Code::E0405, format!("{what} needs a duration, found the number `{text}`"))
                        .with_primary(value.span, "no unit")
                        .with_help(format!("add a unit: `{text}s`, `{text}m`, `{text}ms`, ...")),
                );
                None
            }
            DurationKind::Param(name) => match self.params.get(name) {
                Some(Type::Duration) => {
                    self.used_params.borrow_mut().insert(name.clone());
                    Some(DurationSpec::Param(name.clone()))
                }
                Some(Type::Error) => None,
                Some(other) => {
                    self.used_params.borrow_mut().insert(name.clone());
                    self.report(
                        Diagnostic::error(
                            Code::E0405,
                            format!("{what} needs a duration, but param `{name}` is {}", crate::diagnostics::a(other)),
                        )
                        .with_primary(value.span, format!("`{other}` param"))
                        .with_help(format!("declare it as `param {name}: duration = 10s`")),
                    );
                    None
                }
                None => {
                    let candidates: Vec<&str> = self.params.keys().map(String::as_str).collect();
                    self.unknown(
                        Code::E0201,
                        "param",
                        &ast::Ident::new(value.span, name.clone()),
                        candidates,
                        Some("write a duration literal such as `10s`, or name a `duration` param".into()),
                    );
                    None
                }
            },
        }
    }

    /// A positive duration (sizes, slides, gaps, `within`).
    fn positive(&self, spec: Option<DurationSpec>, value: &DurationValue, what: &str) -> Option<DurationSpec> {
        if let Some(DurationSpec::Millis(ms)) = spec {
            if ms <= 0 {
                self.report(
                    Diagnostic::error(Code::E0404, format!("{what} must be positive"))
                        .with_primary(value.span, "zero length")
                        .with_help("use a duration of at least `1ms`"),
                );
                return None;
            }
        }
        spec
    }

    /// The time a window or dedupe runs on: `on FIELD`, else the source's event time.
    fn time_source(&self, on: Option<&ast::Ident>, flow: &Flow, span: Span, what: &str) -> Option<TimeSource> {
        let Some(field) = on else {
            return match &flow.event_time {
                Some(field) => Some(TimeSource::Event(field.clone())),
                None if flow.record.has_error() || flow.time_unknown => None,
                None => {
                    let timestamp = first_timestamp(&flow.record);
                    let label = match &flow.origin {
                        Some(source) if !flow.origin_has_event_time => {
                            format!("no `on FIELD`, and source `{source}` declares no `event_time`")
                        }
                        _ => "no `on FIELD`, and the source's `event_time` does not reach this stage unchanged"
                            .to_string(),
                    };
                    let help = match (&flow.origin, flow.origin_has_event_time, timestamp) {
                        (Some(source), false, Some(ts)) => {
                            format!("add `on {ts}`, or `event_time: {ts}` to source `{source}`")
                        }
                        (_, _, Some(ts)) => format!("add `on {ts}`"),
                        (_, _, None) => {
                            "add a timestamp field and `on FIELD`, or declare `event_time:` on the source".into()
                        }
                    };
                    self.report(
                        Diagnostic::error(Code::E0403, format!("this {what} has no event time"))
                            .with_primary(span, label)
                            .with_help(help),
                    );
                    None
                }
            };
        };
        match flow.record.field(&field.node).map(|f| &f.ty) {
            Some(Type::Timestamp) => Some(TimeSource::Event(field.node.clone())),
            Some(Type::Error) => None,
            Some(Type::Optional(inner)) if **inner == Type::Timestamp => {
                self.report(
                    Diagnostic::error(
                        Code::E0402,
                        format!("`{}` is optional, so it cannot drive a {what}", field.node),
                    )
                    .with_primary(field.span, "has type `timestamp?`")
                    .with_help(format!(
                            "fill it first with another event-time value: `| extend {{ {0}: {0} ?? OTHER_TIMESTAMP_FIELD }}` (a `where` does not change its type)",
                            field.node
                        )),
                );
                None
            }
            Some(other) => {
                let help = match other {
                    Type::Int => {
                        format!("convert epoch millis first: `| extend {{ {0}_ts: to_timestamp({0}) }}`", field.node)
                    }
                    Type::String => format!("parse it first: `| extend {{ {0}_ts: to_timestamp({0}) }}`", field.node),
                    _ => match first_timestamp(&flow.record) {
                        Some(ts) => format!("a {what} runs on a `timestamp` field, such as `on {ts}`"),
                        None => format!("a {what} runs on a `timestamp` field"),
                    },
                };
                self.report(
                    Diagnostic::error(
                        Code::E0401,
                        format!(
                            "{what} on `{}`, which is {}, not a timestamp",
                            field.node,
                            crate::diagnostics::a(other)
                        ),
                    )
                    .with_primary(field.span, format!("expected `timestamp`, found `{other}`"))
                    .with_help(help),
                );
                None
            }
            None if flow.record.has_error() => None,
            None => {
                self.unknown_record_field(Code::E0210, field, &flow.record, "the record");
                None
            }
        }
    }

    #[allow(clippy::too_many_arguments, reason = "one call site; the stage's parts")]
    fn group(
        &self,
        keys: &[ast::GroupKey],
        window: Option<&ast::Window>,
        aggregates: &[FieldItem],
        flow: Flow,
        span: Span,
        pipeline: PipelineId,
        index: usize,
    ) -> StageOutcome {
        let mut key_fields: Vec<(String, TExpr)> = Vec::new();
        let mut names: Vec<(String, Span)> = Vec::new();
        let mut broken = false;
        for key in keys {
            let value = self.expr(&key.value, &mut Scope::record(&flow.record));
            let name = match (&key.name, &key.value.kind) {
                (Some(name), _) => name.node.clone(),
                (None, ExprKind::Name(name)) => name.clone(),
                (None, _) => {
                    let suggestion = match &key.value.kind {
                        ExprKind::Field(_, field) => field.node.clone(),
                        _ => "key".into(),
                    };
                    self.report(
                        Diagnostic::error(Code::E0319, "a computed group key needs a name")
                            .with_primary(key.value.span, "not a plain field")
                            .with_help(format!("name it: `group by {suggestion}: {}`", self.snippet(key.value.span))),
                    );
                    broken = true;
                    continue;
                }
            };
            self.expect_groupable(&value);
            names.push((name.clone(), key.span));
            key_fields.push((name, value));
        }
        let window_spec = window.and_then(|w| self.window(w, &flow, pipeline, index));
        if window.is_some() && window_spec.is_none() {
            broken = true;
        }
        let mut agg_scope = super::expr::AggScope {
            keys: key_fields.iter().map(|(n, e)| (n.clone(), e.ty.clone())).collect(),
            calls: Vec::new(),
            inside_call: false,
        };
        let mut outputs = Vec::new();
        for item in aggregates {
            let Some(value) = &item.value else {
                self.report(
                    Diagnostic::error(Code::E0314, format!("aggregate field `{}` has no aggregate", item.name.node))
                        .with_primary(item.name.span, "missing `: AGGREGATE`")
                        .with_help(format!(
                            "write `{0}: count()`, `{0}: sum(...)`, ... (group keys are output already)",
                            item.name.node
                        )),
                );
                continue;
            };
            let mut scope = Scope { record: &flow.record, agg: Some(agg_scope) };
            let expr = self.expr(value, &mut scope);
            agg_scope = scope.agg.take().expect("set above");
            if expr.ty == Type::Null {
                self.report(
                    Diagnostic::error(Code::E0308, format!("cannot infer the type of field `{}`", item.name.node))
                        .with_primary(expr.span, "a bare `null` has no type"),
                );
            }
            names.push((item.name.node.clone(), item.name.span));
            outputs.push((item.name.node.clone(), expr));
        }
        // Output fields: keys, window bounds, aggregates — each name once.
        let mut fields: Vec<Field> = key_fields.iter().map(|(n, e)| Field::new(n.clone(), e.ty.clone())).collect();
        if window.is_some() {
            fields.push(Field::new("window_start", Type::Timestamp));
            fields.push(Field::new("window_end", Type::Timestamp));
        }
        fields.extend(outputs.iter().map(|(n, e)| Field::new(n.clone(), e.ty.clone())));
        let mut seen: HashSet<&str> = HashSet::new();
        if window.is_some() {
            seen.insert("window_start");
            seen.insert("window_end");
        }
        for (name, name_span) in &names {
            if !seen.insert(name) {
                let reserved = name == "window_start" || name == "window_end";
                self.report(
                    Diagnostic::error(Code::E0207, format!("output field `{name}` appears twice"))
                        .with_primary(*name_span, if reserved { "a windowed aggregate already outputs this field" } else { "duplicate output field" })
                        .with_help("rename it: output fields are the keys, `window_start`/`window_end` when windowed, then the aggregates"),
                );
                broken = true;
            }
        }
        if let (Some(window), Some(spec)) = (window, &window_spec) {
            if spec.late_sink.is_none() && matches!(spec.time, TimeSource::Event(_)) {
                self.report(
                    Diagnostic::warning(Code::W0004, "windowed aggregate without `late to`")
                        .with_primary(window.span, "late records will be counted and dropped")
                        .with_help("keep them with `late to SINK` after the watermark"),
                );
            }
        }
        let next = flow.with(RecordType::anonymous(fields), None);
        if broken {
            return StageOutcome::Skip(next);
        }
        let input = flow.record;
        StageOutcome::Next(
            Box::new(plan::Stage {
                span,
                kind: PlanKind::Aggregate { keys: key_fields, window: window_spec, calls: agg_scope.calls, outputs },
                input,
                output: next.record.clone(),
            }),
            next,
        )
    }

    fn window(&self, window: &ast::Window, flow: &Flow, pipeline: PipelineId, index: usize) -> Option<WindowSpec> {
        let kind = match &window.kind {
            ast::WindowKind::Tumbling { size } => {
                let size = self.positive(self.duration_spec(size, "a window size"), size, "a window size");
                size.map(|size| plan::WindowKind::Tumbling { size })
            }
            ast::WindowKind::Sliding { size: size_ast, every } => {
                let size = self.positive(self.duration_spec(size_ast, "a window size"), size_ast, "a window size");
                let slide = self.positive(self.duration_spec(every, "a slide"), every, "a slide");
                if let (Some(DurationSpec::Millis(s)), Some(DurationSpec::Millis(e))) = (&size, &slide) {
                    if e > s {
                        self.report(
                            Diagnostic::error(Code::E0404, "a sliding window cannot slide further than its size")
                                .with_primary(every.span, format!("slides {}", plan::format_duration(*e)))
                                .with_secondary(size_ast.span, format!("but is {} long", plan::format_duration(*s)))
                                .with_help(
                                    "records between windows would be lost; for non-overlapping windows use `tumbling`",
                                ),
                        );
                        return None;
                    }
                }
                match (size, slide) {
                    (Some(size), Some(slide)) => Some(plan::WindowKind::Sliding { size, slide }),
                    _ => None,
                }
            }
            ast::WindowKind::Session { gap } => {
                let gap = self.positive(self.duration_spec(gap, "a session gap"), gap, "a session gap");
                gap.map(|gap| plan::WindowKind::Session { gap })
            }
        };
        let time = match &window.on {
            Some(WindowTime::ProcessingTime(_)) => Some(TimeSource::Processing),
            Some(WindowTime::Field(field)) => self.time_source(Some(field), flow, window.span, "window"),
            None => self.time_source(None, flow, window.span, "window"),
        };
        let watermark = match &window.watermark {
            Some(value) => self.duration_spec(value, "`watermark`"),
            None => Some(DurationSpec::Millis(0)),
        };
        let late_sink = match &window.late_to {
            None => Some(None),
            Some(sink) => match self.sink_ids.get(&sink.node) {
                Some(id) => {
                    self.record_write(*id, Writer::Late { pipeline, stage: index }, flow.record.clone(), sink.span);
                    Some(Some(*id))
                }
                None => {
                    self.unknown_sink(sink);
                    None
                }
            },
        };
        Some(WindowSpec { kind: kind?, time: time?, watermark: watermark?, late_sink: late_sink? })
    }

    fn join(&self, outer: bool, table: &ast::Ident, on: &ast::Expr, flow: Flow, span: Span) -> StageOutcome {
        let table_id = match self.items.get(table.node.as_str()) {
            Some(ItemRef::Source(_)) => {
                let id = self.source_ids[&table.node];
                self.used_sources.borrow_mut().insert(id);
                if self.broken_sources.borrow().contains(&table.node) {
                    return StageOutcome::Skip(
                        flow.with(RecordType::anonymous(vec![Field::new("{unknown}", Type::Error)]), None),
                    );
                }
                if !self.plan.sources[id.0].table {
                    self.report(
                        Diagnostic::error(
                            Code::E0211,
                            format!("cannot join `{}`: it is a stream, not a table", table.node),
                        )
                        .with_primary(table.span, "source without `table: true`")
                        .with_secondary(self.plan.sources[id.0].span, "declared here")
                        .with_help(format!(
                            "declare it as a lookup table: add `table: true` to the options of `{}`",
                            table.node
                        )),
                    );
                    return StageOutcome::Skip(flow);
                }
                id
            }
            Some(_) => {
                self.report(
                    Diagnostic::error(Code::E0211, format!("cannot join `{}`: it is not a table source", table.node))
                        .with_primary(table.span, "not a source")
                        .with_help("join a source declared with `table: true`"),
                );
                return StageOutcome::Skip(flow);
            }
            None => {
                let candidates = self.names_of(|item| matches!(item, ItemRef::Source(_)));
                self.unknown(
                    Code::E0203,
                    "table",
                    table,
                    candidates,
                    Some("declare it: `source NAME: Schema from file { path: \"...\", table: true }`".into()),
                );
                return StageOutcome::Skip(flow);
            }
        };
        let table_record = self.plan.sources[table_id.0].record.clone();
        let ExprKind::Binary(ast::BinaryOp::Eq, left, right) = &on.kind else {
            self.report(
                Diagnostic::error(Code::E0213, "a join condition must be `EXPR == TABLE_FIELD`")
                    .with_primary(on.span, "not an equality")
                    .with_help(format!("for example `join {} on user_id == {}.id`", table.node, table.node)),
            );
            return StageOutcome::Skip(flow);
        };
        let table_field = match &right.kind {
            ExprKind::Name(name) => Some(ast::Ident::new(right.span, name.clone())),
            ExprKind::Field(base, field) if matches!(&base.kind, ExprKind::Name(n) if *n == table.node) => {
                Some(field.clone())
            }
            _ => None,
        };
        let Some(table_field) = table_field else {
            self.report(
                Diagnostic::error(Code::E0213, "the right side of a join condition must name a field of the table")
                    .with_primary(right.span, "not a table field")
                    .with_help(format!("write `... == {}.FIELD` (the stream side goes on the left)", table.node)),
            );
            return StageOutcome::Skip(flow);
        };
        if let Some((first_field, first_span)) = self.table_keys.borrow().get(&table_id).cloned() {
            if first_field != table_field.node {
                self.report(
                    Diagnostic::error(Code::E0213, format!("table `{}` is joined on two different fields", table.node))
                        .with_primary(table_field.span, format!("joined on `{}` here", table_field.node))
                        .with_secondary(first_span, format!("and on `{first_field}` here"))
                        .with_help("a table is indexed by one field: join it on the same field everywhere, or declare a second table source"),
                );
                return StageOutcome::Skip(flow);
            }
        }
        self.table_keys.borrow_mut().entry(table_id).or_insert((table_field.node.clone(), table_field.span));
        let Some(table_field_ty) = table_record.field(&table_field.node).map(|f| f.ty.clone()) else {
            self.unknown_record_field(Code::E0210, &table_field, &table_record, &format!("table `{}`", table.node));
            return StageOutcome::Skip(flow);
        };
        let stream_key = self.expr(left, &mut Scope::record(&flow.record));
        let (l, r) = (stream_key.ty.non_optional(), table_field_ty.non_optional());
        let comparable =
            l.is_error() || r.is_error() || (l == r && l.is_scalar()) || (l.is_numeric() && r.is_numeric());
        if !comparable {
            self.report(
                Diagnostic::error(
                    Code::E0301,
                    format!("join keys have different types: `{}` and `{}`", stream_key.ty, table_field_ty),
                )
                .with_primary(stream_key.span, format!("this is `{}`", stream_key.ty))
                .with_secondary(table_field.span, format!("this is `{table_field_ty}`"))
                .with_help("convert the stream side, e.g. with `string(...)` or `int(...)`"),
            );
            return StageOutcome::Skip(flow);
        }
        let mut fields = flow.record.fields.clone();
        for field in &table_record.fields {
            if let Some(clash) = flow.record.field(&field.name) {
                self.report(
                    Diagnostic::error(Code::E0212, format!("both the stream and table `{}` have a field `{}`", table.node, field.name))
                        .with_primary(table.span, format!("table `{}` brings `{}: {}`", table.node, field.name, field.ty))
                        .with_help(format!(
                            "rename the stream's field before the join: `| select {{ ..., {0}_in: {0} }}` (the stream's `{0}` is `{1}`)",
                            field.name, clash.ty
                        )),
                );
                return StageOutcome::Skip(flow.with(RecordType::anonymous(fields), None));
            }
            fields.push(Field::new(field.name.clone(), field.ty.clone().optional_if(outer)));
        }
        let next = flow.with(RecordType::anonymous(fields), flow.event_time.clone());
        StageOutcome::Next(
            Box::new(plan::Stage {
                span,
                kind: PlanKind::Join { table: table_id, stream_key, table_field: table_field.node.clone(), outer },
                input: flow.record,
                output: next.record.clone(),
            }),
            next,
        )
    }
}

/// The first `timestamp` field of a record, to suggest in `on FIELD`.
fn first_timestamp(record: &RecordType) -> Option<&str> {
    record.fields.iter().find(|f| f.ty == Type::Timestamp).map(|f| f.name.as_str())
}
