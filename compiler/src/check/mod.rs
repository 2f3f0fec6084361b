//! Names and types: AST -> TypedPlan. Every error the checker can find is
//! reported in one run; a poison type (`Type::Error`) stops one mistake from
//! causing a cascade.

mod connectors;
mod expr;
mod functions;
mod pipelines;
mod stages;
mod types;

use crate::diagnostics::{did_you_mean, Code, Diagnostic, Diagnostics};
use crate::plan::{ExternPlan, Literal, ParamPlan, RecordType, SinkId, SourceId, Type, TypedPlan, Writer};
use crate::source::Span;
use crate::syntax::ast::{self, Item, Program};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

/// Where the program comes from, which changes how `extern fn` is resolved.
#[derive(Clone, Debug, Default)]
pub enum Mode {
    /// A `.pipe` file: `extern fn` needs `from "file.rs"`, relative to `dir`
    /// (not checked for existence when `dir` is None).
    #[default]
    File,
    FileIn(PathBuf),
    /// Inside `stream!`: `extern fn` names a Rust function in scope.
    Macro,
}

#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    pub mode: Mode,
}

/// A checked program: its plan, and the warnings found on the way.
#[derive(Clone, Debug)]
pub struct Checked {
    pub plan: TypedPlan,
    pub warnings: Diagnostics,
}

/// Checks a parsed program. Errors and warnings come back together on failure.
pub fn check(program: &Program, source_text: &str, options: &CheckOptions) -> Result<Checked, Diagnostics> {
    let mut checker = Checker::new(program, source_text, options);
    checker.run();
    let diagnostics = checker.diagnostics.into_inner().sorted();
    if diagnostics.has_errors() {
        Err(diagnostics)
    } else {
        Ok(Checked { plan: checker.plan, warnings: diagnostics })
    }
}

/// One writer's records into a sink: who, what type, where in the program.
type SinkWrite = (Writer, RecordType, Span);

/// What a top-level name refers to.
#[derive(Clone, Copy, Debug)]
enum ItemRef<'a> {
    Schema(&'a ast::Schema),
    Param(&'a ast::Param),
    Source(&'a ast::SourceDecl),
    Sink(&'a ast::SinkDecl),
    Extern(&'a ast::ExternFn),
    Pipeline(&'a ast::Pipeline),
}

pub(crate) struct Checker<'a> {
    options: &'a CheckOptions,
    source_text: &'a str,
    program: &'a Program,
    items: HashMap<&'a str, ItemRef<'a>>,
    diagnostics: RefCell<Diagnostics>,
    plan: TypedPlan,
    /// Resolved schemas by name (None while being resolved: detects recursion).
    schemas: RefCell<HashMap<String, Option<Type>>>,
    params: HashMap<String, Type>,
    used_params: RefCell<HashSet<String>>,
    used_externs: RefCell<HashSet<String>>,
    source_ids: HashMap<String, SourceId>,
    sink_ids: HashMap<String, SinkId>,
    /// Sinks' `key` options, checked once the sink's record type is known.
    sink_keys: HashMap<SinkId, Vec<ast::Ident>>,
    /// What writes to each sink: (writer, record type, where).
    sink_writes: RefCell<HashMap<SinkId, Vec<SinkWrite>>>,
    used_sources: RefCell<HashSet<SourceId>>,
    schema_depth: std::cell::Cell<usize>,
    /// Sources whose `event_time` option is wrong (already reported): windows do not report it again.
    bad_event_time: RefCell<HashSet<String>>,
    /// Sources with an unknown connector (reported): uses of them are not checked further.
    broken_sources: RefCell<HashSet<String>>,
    /// The field each table is joined on (a table has one index).
    table_keys: RefCell<HashMap<SourceId, (String, Span)>>,
    /// Literal topics of stream sources: where each is first read, and by which source.
    stream_topics: RefCell<HashMap<String, (Span, String)>>,
}

impl<'a> Checker<'a> {
    fn new(program: &'a Program, source_text: &'a str, options: &'a CheckOptions) -> Self {
        Checker {
            options,
            source_text,
            program,
            items: HashMap::new(),
            diagnostics: RefCell::new(Diagnostics::default()),
            plan: TypedPlan::default(),
            schemas: RefCell::new(HashMap::new()),
            params: HashMap::new(),
            used_params: RefCell::new(HashSet::new()),
            used_externs: RefCell::new(HashSet::new()),
            source_ids: HashMap::new(),
            sink_ids: HashMap::new(),
            sink_keys: HashMap::new(),
            sink_writes: RefCell::new(HashMap::new()),
            used_sources: RefCell::new(HashSet::new()),
            schema_depth: std::cell::Cell::new(0),
            bad_event_time: RefCell::new(HashSet::new()),
            broken_sources: RefCell::new(HashSet::new()),
            table_keys: RefCell::new(HashMap::new()),
            stream_topics: RefCell::new(HashMap::new()),
        }
    }

    pub(crate) fn report(&self, diagnostic: Diagnostic) {
        self.diagnostics.borrow_mut().push(diagnostic);
    }

    fn run(&mut self) {
        self.collect_items();
        self.check_schemas();
        self.check_params();
        self.check_externs();
        self.check_sinks();
        self.check_sources();
        self.check_pipelines();
        self.check_sink_records();
        self.warn_unused();
    }

    fn collect_items(&mut self) {
        for item in &self.program.items {
            let name = item.name();
            if let Some(previous) = self.items.get(name.node.as_str()) {
                let previous_span = item_name_span(previous);
                self.report(
                    Diagnostic::error(Code::E0206, format!("the name `{}` is declared twice", name.node))
                        .with_primary(name.span, format!("second {} named `{}`", item.kind(), name.node))
                        .with_secondary(previous_span, "first declared here")
                        .with_help(
                            "schemas, params, sources, sinks, extern fns and pipelines share one namespace: rename one",
                        ),
                );
                continue;
            }
            let item_ref = match item {
                Item::Schema(x) => ItemRef::Schema(x),
                Item::Param(x) => ItemRef::Param(x),
                Item::Source(x) => ItemRef::Source(x),
                Item::Sink(x) => ItemRef::Sink(x),
                Item::Extern(x) => ItemRef::Extern(x),
                Item::Pipeline(x) => ItemRef::Pipeline(x),
            };
            self.items.insert(name.node.as_str(), item_ref);
        }
    }

    /// Only the first of several same-named items is checked.
    fn is_canonical(&self, name: &ast::Ident) -> bool {
        self.items.get(name.node.as_str()).is_some_and(|item| item_name_span(item) == name.span)
    }

    fn check_schemas(&mut self) {
        for item in &self.program.items {
            if let Item::Schema(schema) = item {
                if self.is_canonical(&schema.name) {
                    if let Some(Type::Record(record)) = self.schema_type(&schema.name.node, schema.name.span) {
                        self.plan.schemas.push(record);
                    }
                }
            }
        }
    }

    fn check_params(&mut self) {
        for item in &self.program.items {
            let Item::Param(param) = item else { continue };
            if !self.is_canonical(&param.name) {
                continue;
            }
            let ty = self.resolve_type(&param.ty);
            if !(ty.is_scalar() || ty.is_error()) {
                self.report(
                    Diagnostic::error(Code::E0317, format!("param `{}` has type `{ty}`", param.name.node))
                        .with_primary(param.ty.span, "params must have a scalar type")
                        .with_help("use `int`, `float`, `bool`, `string`, `duration` or `timestamp`"),
                );
            }
            let default = param.default.as_ref().and_then(|expr| self.param_default(expr, &ty));
            self.params.insert(param.name.node.clone(), ty.clone());
            self.plan.params.push(ParamPlan { name: param.name.node.clone(), ty, default });
        }
    }

    fn param_default(&self, expr: &ast::Expr, ty: &Type) -> Option<Literal> {
        let literal = match (&expr.kind, ty) {
            (ast::ExprKind::Error, _) | (_, Type::Error) => return None,
            (ast::ExprKind::Int(v), Type::Int) => Literal::Int(*v),
            (ast::ExprKind::Int(v), Type::Float) => Literal::Float(*v as f64),
            (ast::ExprKind::Float(v), Type::Float) => Literal::Float(*v),
            (ast::ExprKind::Bool(v), Type::Bool) => Literal::Bool(*v),
            (ast::ExprKind::String(v), Type::String) => Literal::String(v.clone()),
            (ast::ExprKind::Duration(v), Type::Duration) => Literal::Duration(*v),
            (ast::ExprKind::String(v), Type::Timestamp) => match crate::time::parse_rfc3339(v) {
                Some(millis) => Literal::Timestamp(millis),
                None => {
                    self.report(
                        Diagnostic::error(Code::E0317, "invalid timestamp default")
                            .with_primary(expr.span, "not an RFC 3339 timestamp")
                            .with_help("write it like \"2026-11-24T14:40:00Z\""),
                    );
                    return None;
                }
            },
            (ast::ExprKind::Int(v), Type::Timestamp) => Literal::Timestamp(*v),
            _ => {
                self.report(
                    Diagnostic::error(
                        Code::E0317,
                        format!(
                            "the default of {} param must be {} literal",
                            crate::diagnostics::a(ty),
                            crate::diagnostics::a(ty)
                        ),
                    )
                    .with_primary(expr.span, format!("expected {} literal", crate::diagnostics::a(ty)))
                    .with_help(match ty {
                        Type::Duration => "write a duration like `10s`",
                        Type::String => "write a string like `\"text\"`",
                        Type::Timestamp => "write an RFC 3339 string like \"2026-11-24T14:40:00Z\"",
                        _ => "params are set at start, so their defaults are literals",
                    }),
                );
                return None;
            }
        };
        Some(literal)
    }

    fn check_externs(&mut self) {
        for item in &self.program.items {
            let Item::Extern(ext) = item else { continue };
            if !self.is_canonical(&ext.name) {
                continue;
            }
            let mut seen = HashSet::new();
            let params = ext
                .params
                .iter()
                .map(|p| {
                    if !seen.insert(p.name.node.as_str()) {
                        self.report(
                            Diagnostic::error(Code::E0207, format!("parameter `{}` is declared twice", p.name.node))
                                .with_primary(p.name.span, "duplicate parameter"),
                        );
                    }
                    crate::plan::Field::new(p.name.node.clone(), self.resolve_type(&p.ty))
                })
                .collect();
            let ret = self.resolve_type(&ext.ret);
            let path = ext.path.as_ref().map(|p| p.node.clone());
            match (&self.options.mode, &ext.path) {
                (Mode::Macro, Some(path)) => self.report(
                    Diagnostic::error(
                        Code::E0603,
                        format!("`extern fn {}` names a Rust file inside `stream!`", ext.name.node),
                    )
                    .with_primary(path.span, "`from` is for .pipe files")
                    .with_help(format!(
                        "remove `from {:?}` and bring `{}` into scope where `stream!` is invoked",
                        path.node, ext.name.node
                    )),
                ),
                (Mode::Macro, None) => {}
                (_, None) => self.report(
                    Diagnostic::error(
                        Code::E0601,
                        format!("`extern fn {}` does not say where its Rust code is", ext.name.node),
                    )
                    .with_primary(ext.name.span, "no `from \"file.rs\"`")
                    .with_help(format!("add the Rust file that defines it: `... from \"udf/{}.rs\"`", ext.name.node)),
                ),
                (Mode::FileIn(dir), Some(path)) => {
                    if !dir.join(&path.node).is_file() {
                        self.report(
                            Diagnostic::error(Code::E0602, format!("cannot find the Rust file `{}`", path.node))
                                .with_primary(path.span, "no such file")
                                .with_note("paths are relative to the directory of the .pipe file")
                                .with_help("create the file, or fix the path"),
                        );
                    }
                }
                (Mode::File, Some(_)) => {}
            }
            self.plan.externs.push(ExternPlan { name: ext.name.node.clone(), params, ret, path, span: ext.span });
        }
    }

    /// Unused-item warnings, skipped when there are errors (they would mostly echo them).
    fn warn_unused(&self) {
        if self.diagnostics.borrow().has_errors() {
            return;
        }
        let mut readers = vec![0usize; self.plan.pipelines.len()];
        for pipeline in &self.plan.pipelines {
            for input in &pipeline.inputs {
                if let crate::plan::Input::Stream(id) = input {
                    readers[id.0] += 1;
                }
            }
        }
        for (i, source) in self.plan.sources.iter().enumerate() {
            if !self.used_sources.borrow().contains(&SourceId(i)) {
                self.report(
                    Diagnostic::warning(Code::W0001, format!("source `{}` is never used", source.name))
                        .with_primary(self.item_span(&source.name), "declared here")
                        .with_help(if source.table {
                            format!("join it in a pipeline (`| join {} on ...`), or remove it", source.name)
                        } else {
                            format!("read it in a pipeline (`from {}`), or remove it", source.name)
                        }),
                );
            }
        }
        for sink in &self.plan.sinks {
            if sink.writers.is_empty() {
                self.report(
                    Diagnostic::warning(Code::W0002, format!("sink `{}` is never written to", sink.name))
                        .with_primary(self.item_span(&sink.name), "declared here")
                        .with_help(format!("end a pipeline with `| to {}`, or remove it", sink.name)),
                );
            }
        }
        for param in &self.plan.params {
            if !self.used_params.borrow().contains(&param.name) {
                self.report(
                    Diagnostic::warning(Code::W0003, format!("param `{}` is never used", param.name))
                        .with_primary(self.item_span(&param.name), "declared here")
                        .with_help("use it in an expression, or remove it"),
                );
            }
        }
        for ext in &self.plan.externs {
            if !self.used_externs.borrow().contains(&ext.name) {
                self.report(
                    Diagnostic::warning(Code::W0006, format!("extern fn `{}` is never called", ext.name))
                        .with_primary(self.item_span(&ext.name), "declared here")
                        .with_help("call it in an expression, or remove it"),
                );
            }
        }
        for (i, pipeline) in self.plan.pipelines.iter().enumerate() {
            if pipeline.output == crate::plan::Output::Stream && readers[i] == 0 {
                self.report(
                    Diagnostic::warning(
                        Code::W0005,
                        format!("pipeline `{}` has no `to` and no pipeline reads it", pipeline.name),
                    )
                    .with_primary(self.item_span(&pipeline.name), "its records go nowhere")
                    .with_help(format!("end it with `| to SINK`, or read it with `from {}`", pipeline.name)),
                );
            }
        }
    }

    /// The span of a top-level item's name.
    fn item_span(&self, name: &str) -> Span {
        self.items.get(name).map(item_name_span).unwrap_or_default()
    }

    /// Reports an unknown name with a "did you mean" over `candidates`.
    pub(crate) fn unknown(
        &self,
        code: Code,
        what: &str,
        name: &ast::Ident,
        candidates: Vec<&str>,
        fallback_help: Option<String>,
    ) {
        let mut diagnostic = Diagnostic::error(code, format!("unknown {what} `{}`", name.node))
            .with_primary(name.span, format!("no {what} named `{}`", name.node));
        if let Some(suggestion) = did_you_mean(&name.node, candidates.iter().copied()) {
            diagnostic = diagnostic.with_help(format!("did you mean `{suggestion}`?"));
        } else if let Some(help) = fallback_help {
            diagnostic = diagnostic.with_help(help);
        }
        self.report(diagnostic);
    }

    fn names_of(&self, pred: impl Fn(&ItemRef<'a>) -> bool) -> Vec<&'a str> {
        let mut names: Vec<&str> = self.items.iter().filter(|(_, item)| pred(item)).map(|(name, _)| *name).collect();
        names.sort_unstable();
        names
    }
}

fn item_name_span(item: &ItemRef<'_>) -> Span {
    match item {
        ItemRef::Schema(x) => x.name.span,
        ItemRef::Param(x) => x.name.span,
        ItemRef::Source(x) => x.name.span,
        ItemRef::Sink(x) => x.name.span,
        ItemRef::Extern(x) => x.name.span,
        ItemRef::Pipeline(x) => x.name.span,
    }
}
