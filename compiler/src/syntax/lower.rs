//! pest pairs -> spanned AST. Literals are decoded here, and their errors
//! (bad escapes, out-of-range numbers, bad durations) reported.

use super::ast::*;
use super::Rule;
use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::source::{Span, Spanned};
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use std::cell::{Cell, RefCell};

/// Deepest expression tree accepted; deeper ones get E0105 instead of a stack overflow later.
pub const MAX_EXPR_DEPTH: u32 = 200;
/// Longest run of prefix operators (`!!!!x`) accepted.
const MAX_PREFIX_RUN: usize = 32;

pub struct Lowerer {
    diagnostics: RefCell<Diagnostics>,
    depth_reported: Cell<bool>,
    pratt: PrattParser<Rule>,
}

/// The pair's span without the whitespace and comments pest attaches to its end.
fn span_of(pair: &Pair<'_, Rule>) -> Span {
    let span = pair.as_span();
    let text = pair.as_str();
    Span::new(span.start(), span.start() + trimmed_len(text))
}

/// Length of `text` without trailing whitespace and `//` comments.
fn trimmed_len(text: &str) -> usize {
    let mut end = text.trim_end().len();
    loop {
        let line_start = text[..end].rfind('\n').map_or(0, |i| i + 1);
        let line = &text[line_start..end];
        // A `//` outside a string literal starts a comment.
        let mut in_string = false;
        let mut escaped = false;
        let mut comment_at = None;
        let bytes = line.as_bytes();
        for i in 0..bytes.len() {
            let c = bytes[i];
            if in_string {
                if escaped {
                    escaped = false;
                } else if c == b'\\' {
                    escaped = true;
                } else if c == b'"' {
                    in_string = false;
                }
            } else if c == b'"' {
                in_string = true;
            } else if c == b'/' && bytes.get(i + 1) == Some(&b'/') {
                comment_at = Some(i);
                break;
            }
        }
        match comment_at {
            Some(at) if line_start + at > 0 => {
                let new_end = text[..line_start + at].trim_end().len();
                if new_end == end {
                    return end;
                }
                end = new_end;
            }
            _ => return end,
        }
    }
}

fn ident(pair: Pair<'_, Rule>) -> Ident {
    Spanned::new(span_of(&pair), pair.as_str().trim_matches('`').to_string())
}

/// The meaningful children: punctuation and keywords are dropped.
fn significant(pairs: Pairs<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pairs.filter(|pair| {
        !matches!(
            pair.as_rule(),
            Rule::pipe
                | Rule::lbrace
                | Rule::rbrace
                | Rule::lparen
                | Rule::rparen
                | Rule::lbracket
                | Rule::rbracket
                | Rule::comma
                | Rule::colon
                | Rule::assign
                | Rule::arrow
                | Rule::dot
                | Rule::kw_schema
                | Rule::kw_param
                | Rule::kw_source
                | Rule::kw_sink
                | Rule::kw_extern
                | Rule::kw_fn
                | Rule::kw_pipeline
                | Rule::kw_from
                | Rule::kw_to
                | Rule::kw_where
                | Rule::kw_select
                | Rule::kw_extend
                | Rule::kw_explode
                | Rule::kw_as
                | Rule::kw_dedupe
                | Rule::kw_by
                | Rule::kw_within
                | Rule::kw_group
                | Rule::kw_window
                | Rule::kw_tumbling
                | Rule::kw_sliding
                | Rule::kw_every
                | Rule::kw_session
                | Rule::kw_watermark
                | Rule::kw_late
                | Rule::kw_aggregate
                | Rule::kw_join
                | Rule::kw_if
                | Rule::kw_then
                | Rule::kw_else
                | Rule::EOI
        )
    })
}

impl Lowerer {
    pub fn new() -> Self {
        let pratt = PrattParser::new()
            // `??` is associative, so left grouping gives the same value and keeps
            // the Pratt parser's recursion flat on long chains.
            .op(Op::infix(Rule::op_coalesce, Assoc::Left))
            .op(Op::infix(Rule::op_or, Assoc::Left))
            .op(Op::infix(Rule::op_and, Assoc::Left))
            .op(Op::infix(Rule::op_eq, Assoc::Left)
                | Op::infix(Rule::op_ne, Assoc::Left)
                | Op::infix(Rule::op_lt, Assoc::Left)
                | Op::infix(Rule::op_le, Assoc::Left)
                | Op::infix(Rule::op_gt, Assoc::Left)
                | Op::infix(Rule::op_ge, Assoc::Left))
            .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
            .op(Op::infix(Rule::op_mul, Assoc::Left)
                | Op::infix(Rule::op_div, Assoc::Left)
                | Op::infix(Rule::op_rem, Assoc::Left))
            .op(Op::prefix(Rule::op_not) | Op::prefix(Rule::op_neg))
            .op(Op::postfix(Rule::field_access) | Op::postfix(Rule::index));
        Lowerer { diagnostics: RefCell::new(Diagnostics::default()), depth_reported: Cell::new(false), pratt }
    }

    pub fn finish(self) -> Diagnostics {
        self.diagnostics.into_inner()
    }

    fn error(&self, diagnostic: Diagnostic) {
        self.diagnostics.borrow_mut().push(diagnostic);
    }

    pub fn program(&self, pair: Pair<'_, Rule>) -> Program {
        let items = significant(pair.into_inner()).filter_map(|item| self.item(item)).collect();
        Program { items }
    }

    fn item(&self, pair: Pair<'_, Rule>) -> Option<Item> {
        let span = span_of(&pair);
        let rule = pair.as_rule();
        let mut parts = significant(pair.into_inner());
        Some(match rule {
            Rule::schema_item => {
                let name = ident(parts.next()?);
                let fields = self.field_decls(parts.next()?);
                Item::Schema(Schema { span, name, fields })
            }
            Rule::param_item => {
                let name = ident(parts.next()?);
                let ty = self.type_expr(parts.next()?);
                let default = parts.next().map(|expr| self.expr(expr, 0).0);
                Item::Param(Param { span, name, ty, default })
            }
            Rule::source_item => {
                let name = ident(parts.next()?);
                let ty = self.type_expr(parts.next()?);
                let connector = ident(parts.next()?);
                let options = self.options(parts.next()?);
                Item::Source(SourceDecl { span, name, ty, connector, options })
            }
            Rule::sink_item => {
                let name = ident(parts.next()?);
                let connector = ident(parts.next()?);
                let options = self.options(parts.next()?);
                Item::Sink(SinkDecl { span, name, connector, options })
            }
            Rule::extern_item => {
                let name = ident(parts.next()?);
                let mut params = Vec::new();
                let mut ret = None;
                let mut path = None;
                for part in parts {
                    match part.as_rule() {
                        Rule::extern_param => params.push(self.field_decl(part)),
                        Rule::type_expr => ret = Some(self.type_expr(part)),
                        Rule::string => path = Some(Spanned::new(span_of(&part), self.string(&part))),
                        _ => {}
                    }
                }
                Item::Extern(ExternFn { span, name, params, ret: ret?, path })
            }
            Rule::pipeline_item => {
                let name = ident(parts.next()?);
                let from = significant(parts.next()?.into_inner()).map(ident).collect();
                let stages = parts.map(|stage| self.stage(stage)).collect();
                Item::Pipeline(Pipeline { span, name, from, stages })
            }
            _ => return None,
        })
    }

    fn field_decls(&self, pair: Pair<'_, Rule>) -> Vec<FieldDecl> {
        significant(pair.into_inner()).map(|field| self.field_decl(field)).collect()
    }

    fn field_decl(&self, pair: Pair<'_, Rule>) -> FieldDecl {
        let mut parts = significant(pair.into_inner());
        let name = ident(parts.next().expect("grammar: field has a name"));
        let ty = self.type_expr(parts.next().expect("grammar: field has a type"));
        FieldDecl { name, ty }
    }

    fn type_expr(&self, pair: Pair<'_, Rule>) -> TypeExpr {
        let span = span_of(&pair);
        let mut parts = pair.into_inner();
        let atom = parts.next().expect("grammar: type has an atom");
        let atom_span = span_of(&atom);
        let kind = match atom.as_rule() {
            Rule::prim_type => match atom.as_str() {
                "int" => TypeKind::Int,
                "float" => TypeKind::Float,
                "bool" => TypeKind::Bool,
                "string" => TypeKind::String,
                "timestamp" => TypeKind::Timestamp,
                _ => TypeKind::Duration,
            },
            Rule::type_name => TypeKind::Named(atom.as_str().to_string()),
            Rule::list_type => {
                let inner = significant(atom.into_inner()).next().expect("grammar: list has a type");
                TypeKind::List(Box::new(self.type_expr(inner)))
            }
            Rule::record_type => TypeKind::Record(self.field_decls(atom)),
            _ => TypeKind::Named(atom.as_str().to_string()),
        };
        if parts.next().is_some() {
            TypeKind::Optional(Box::new(TypeExpr { span: atom_span, kind })).pipe(|kind| TypeExpr { span, kind })
        } else {
            TypeExpr { span, kind }
        }
    }

    fn options(&self, pair: Pair<'_, Rule>) -> Options {
        let span = span_of(&pair);
        let entries = significant(pair.into_inner())
            .map(|option| {
                let mut parts = significant(option.into_inner());
                let name = ident(parts.next().expect("grammar: option has a name"));
                let value = self.option_value(parts.next().expect("grammar: option has a value"));
                OptionEntry { name, value }
            })
            .collect();
        Options { span, entries }
    }

    fn option_value(&self, pair: Pair<'_, Rule>) -> OptionValue {
        let span = span_of(&pair);
        let inner = pair.into_inner().next().expect("grammar: option value has a form");
        let kind = match inner.as_rule() {
            Rule::opt_list => {
                OptionValueKind::List(significant(inner.into_inner()).map(|v| self.option_value(v)).collect())
            }
            Rule::opt_call => {
                let mut parts = significant(inner.into_inner());
                let name = ident(parts.next().expect("grammar: call has a name"));
                OptionValueKind::Call(name, parts.map(|v| self.option_value(v)).collect())
            }
            Rule::duration => OptionValueKind::Duration(self.duration(&inner).unwrap_or(0)),
            Rule::number => match self.number(&inner) {
                ExprKind::Int(value) => OptionValueKind::Int(value),
                ExprKind::Float(value) => OptionValueKind::Float(value),
                _ => OptionValueKind::Int(0),
            },
            Rule::string => OptionValueKind::String(self.string(&inner)),
            Rule::kw_true => OptionValueKind::Bool(true),
            Rule::kw_false => OptionValueKind::Bool(false),
            _ => OptionValueKind::Word(inner.as_str().to_string()),
        };
        OptionValue { span, kind }
    }

    fn stage(&self, pair: Pair<'_, Rule>) -> Stage {
        let span = span_of(&pair);
        let rule = pair.as_rule();
        let mut parts = significant(pair.into_inner()).peekable();
        let kind = match rule {
            Rule::where_stage => StageKind::Where(self.expr(parts.next().expect("grammar"), 0).0),
            Rule::select_stage => StageKind::Select(self.field_items(parts.next().expect("grammar"))),
            Rule::extend_stage => StageKind::Extend(self.field_items(parts.next().expect("grammar"))),
            Rule::explode_stage => {
                let field = ident(parts.next().expect("grammar"));
                let alias = parts.next().map(ident);
                StageKind::Explode { field, alias }
            }
            Rule::dedupe_stage => {
                let mut keys = Vec::new();
                let mut within = None;
                let mut on = None;
                for part in parts {
                    match part.as_rule() {
                        Rule::expr => keys.push(self.expr(part, 0).0),
                        Rule::dur_value => within = Some(self.dur_value(part)),
                        Rule::ident => on = Some(ident(part)),
                        _ => {}
                    }
                }
                StageKind::Dedupe { keys, within: within.expect("grammar: dedupe has within"), on }
            }
            Rule::group_stage => {
                let mut keys = Vec::new();
                let mut window = None;
                let mut aggregates = Vec::new();
                for part in parts {
                    match part.as_rule() {
                        Rule::group_key => keys.push(self.group_key(part)),
                        Rule::window_clause => window = Some(self.window(part)),
                        Rule::field_list => aggregates = self.field_items(part),
                        _ => {}
                    }
                }
                StageKind::Group { keys, window, aggregates }
            }
            Rule::join_stage => {
                let left = parts.peek().is_some_and(|p| p.as_rule() == Rule::kw_left);
                if left {
                    parts.next();
                }
                let table = ident(parts.next().expect("grammar"));
                parts.next(); // `on`
                let on = self.expr(parts.next().expect("grammar"), 0).0;
                StageKind::Join { left, table, on }
            }
            _ => StageKind::To(ident(parts.next().expect("grammar"))),
        };
        Stage { span, kind }
    }

    fn field_items(&self, pair: Pair<'_, Rule>) -> Vec<FieldItem> {
        significant(pair.into_inner())
            .map(|item| {
                let span = span_of(&item);
                let mut parts = significant(item.into_inner());
                let name = ident(parts.next().expect("grammar"));
                let value = parts.next().map(|expr| self.expr(expr, 0).0);
                FieldItem { span, name, value }
            })
            .collect()
    }

    fn group_key(&self, pair: Pair<'_, Rule>) -> GroupKey {
        let span = span_of(&pair);
        let inner = pair.into_inner().next().expect("grammar");
        if inner.as_rule() == Rule::named_key {
            let mut parts = significant(inner.into_inner());
            let name = ident(parts.next().expect("grammar"));
            let value = self.expr(parts.next().expect("grammar"), 0).0;
            GroupKey { span, name: Some(name), value }
        } else {
            GroupKey { span, name: None, value: self.expr(inner, 0).0 }
        }
    }

    fn window(&self, pair: Pair<'_, Rule>) -> Window {
        let span = span_of(&pair);
        let mut kind = None;
        let mut on = None;
        let mut watermark = None;
        let mut late_to = None;
        for part in significant(pair.into_inner()) {
            match part.as_rule() {
                Rule::tumbling => {
                    let size = self.dur_value(significant(part.into_inner()).next().expect("grammar"));
                    kind = Some(WindowKind::Tumbling { size });
                }
                Rule::sliding => {
                    let mut durations = significant(part.into_inner()).map(|d| self.dur_value(d));
                    let size = durations.next().expect("grammar");
                    let every = durations.next().expect("grammar");
                    kind = Some(WindowKind::Sliding { size, every });
                }
                Rule::session => {
                    let gap = self.dur_value(significant(part.into_inner()).next().expect("grammar"));
                    kind = Some(WindowKind::Session { gap });
                }
                Rule::window_on => {
                    let target = significant(part.into_inner()).find(|p| p.as_rule() != Rule::kw_on).expect("grammar");
                    on = Some(if target.as_rule() == Rule::kw_processing_time {
                        WindowTime::ProcessingTime(span_of(&target))
                    } else {
                        WindowTime::Field(ident(target))
                    });
                }
                Rule::window_watermark => {
                    watermark = Some(self.dur_value(significant(part.into_inner()).next().expect("grammar")));
                }
                Rule::late_to => late_to = significant(part.into_inner()).next().map(ident),
                _ => {}
            }
        }
        Window { span, kind: kind.expect("grammar: window has a kind"), on, watermark, late_to }
    }

    fn dur_value(&self, pair: Pair<'_, Rule>) -> DurationValue {
        let span = span_of(&pair);
        let inner = pair.into_inner().next().expect("grammar");
        let kind = match inner.as_rule() {
            Rule::duration => DurationKind::Millis(self.duration(&inner).unwrap_or(1)),
            Rule::bad_duration => {
                self.bad_duration(&inner);
                DurationKind::Millis(1)
            }
            Rule::number => DurationKind::Number(inner.as_str().to_string()),
            _ => DurationKind::Param(inner.as_str().to_string()),
        };
        DurationValue { span, kind }
    }

    // ---- expressions -----------------------------------------------------------------

    /// Lowers an `expr` pair; returns the expression and its tree depth.
    fn expr(&self, pair: Pair<'_, Rule>, nesting: u32) -> (Expr, u32) {
        let span = span_of(&pair);
        if nesting > MAX_EXPR_DEPTH {
            return (self.too_deep(span), 1);
        }
        // A long run of prefix operators recurses in the Pratt parser: refuse it up front.
        let mut run = 0;
        let mut operators = 0;
        for part in pair.clone().into_inner() {
            let infix = matches!(
                part.as_rule(),
                Rule::op_coalesce
                    | Rule::op_or
                    | Rule::op_and
                    | Rule::op_eq
                    | Rule::op_ne
                    | Rule::op_lt
                    | Rule::op_le
                    | Rule::op_gt
                    | Rule::op_ge
                    | Rule::op_add
                    | Rule::op_sub
                    | Rule::op_mul
                    | Rule::op_div
                    | Rule::op_rem
            );
            if infix {
                operators += 1;
                if operators as u32 > MAX_EXPR_DEPTH {
                    return (self.too_deep(span), 1);
                }
            }
            if matches!(part.as_rule(), Rule::op_not | Rule::op_neg) {
                run += 1;
                if run > MAX_PREFIX_RUN {
                    if !self.depth_reported.replace(true) {
                        self.error(
                            Diagnostic::error(Code::E0105, "too many prefix operators in a row")
                                .with_primary(span_of(&part), format!("more than {MAX_PREFIX_RUN} `!`/`-` in a row"))
                                .with_help("`!!x` is `x`: remove pairs of `!`, and pairs of `-`"),
                        );
                    }
                    return (Expr { span, kind: ExprKind::Error }, 1);
                }
            } else {
                run = 0;
            }
        }
        let result = self
            .pratt
            .map_primary(|primary| self.primary(primary, nesting))
            .map_prefix(|op, (operand, depth): (Expr, u32)| {
                let span = span_of(&op).to(operand.span);
                let op = if op.as_rule() == Rule::op_not { UnaryOp::Not } else { UnaryOp::Neg };
                // Negative literals are literals, so `-9_223_372_036_854_775_807` stays in range.
                let kind = match (op, &operand.kind) {
                    (UnaryOp::Neg, ExprKind::Int(value)) => ExprKind::Int(-value),
                    (UnaryOp::Neg, ExprKind::Float(value)) => ExprKind::Float(-value),
                    _ => ExprKind::Unary(op, Box::new(operand)),
                };
                self.bounded(Expr { span, kind }, depth + 1)
            })
            .map_postfix(|(operand, depth): (Expr, u32), op| {
                let span = operand.span.to(span_of(&op));
                match op.as_rule() {
                    Rule::field_access => {
                        let name = significant(op.into_inner()).next().map(ident).expect("grammar");
                        self.bounded(Expr { span, kind: ExprKind::Field(Box::new(operand), name) }, depth + 1)
                    }
                    _ => {
                        let inner = significant(op.into_inner()).next().expect("grammar");
                        let (index, index_depth) = self.expr(inner, nesting + depth + 1);
                        let depth = depth.max(index_depth) + 1;
                        self.bounded(Expr { span, kind: ExprKind::Index(Box::new(operand), Box::new(index)) }, depth)
                    }
                }
            })
            .map_infix(|(lhs, lhs_depth): (Expr, u32), op, (rhs, rhs_depth): (Expr, u32)| {
                let span = lhs.span.to(rhs.span);
                let op = match op.as_rule() {
                    Rule::op_coalesce => BinaryOp::Coalesce,
                    Rule::op_or => BinaryOp::Or,
                    Rule::op_and => BinaryOp::And,
                    Rule::op_eq => BinaryOp::Eq,
                    Rule::op_ne => BinaryOp::Ne,
                    Rule::op_lt => BinaryOp::Lt,
                    Rule::op_le => BinaryOp::Le,
                    Rule::op_gt => BinaryOp::Gt,
                    Rule::op_ge => BinaryOp::Ge,
                    Rule::op_add => BinaryOp::Add,
                    Rule::op_sub => BinaryOp::Sub,
                    Rule::op_mul => BinaryOp::Mul,
                    Rule::op_div => BinaryOp::Div,
                    _ => BinaryOp::Rem,
                };
                let depth = lhs_depth.max(rhs_depth) + 1;
                self.bounded(Expr { span, kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)) }, depth)
            })
            .parse(pair.into_inner());
        result
    }

    /// Replaces a tree deeper than the limit with an error node.
    fn bounded(&self, expr: Expr, depth: u32) -> (Expr, u32) {
        if depth > MAX_EXPR_DEPTH {
            (self.too_deep(expr.span), 1)
        } else {
            (expr, depth)
        }
    }

    fn too_deep(&self, span: Span) -> Expr {
        if !self.depth_reported.replace(true) {
            self.error(
                Diagnostic::error(Code::E0105, "expression is nested too deeply")
                    .with_primary(span, format!("more than {MAX_EXPR_DEPTH} levels deep"))
                    .with_help("split the expression into several `extend` stages"),
            );
        }
        Expr { span, kind: ExprKind::Error }
    }

    fn primary(&self, pair: Pair<'_, Rule>, nesting: u32) -> (Expr, u32) {
        let span = span_of(&pair);
        let leaf = |kind| (Expr { span, kind }, 1);
        match pair.as_rule() {
            Rule::number => leaf(self.number(&pair)),
            Rule::duration => leaf(self.duration(&pair).map_or(ExprKind::Error, ExprKind::Duration)),
            Rule::bad_duration => {
                self.bad_duration(&pair);
                leaf(ExprKind::Error)
            }
            Rule::string => leaf(ExprKind::String(self.string(&pair))),
            Rule::kw_true => leaf(ExprKind::Bool(true)),
            Rule::kw_false => leaf(ExprKind::Bool(false)),
            Rule::kw_null => leaf(ExprKind::Null),
            Rule::ident => leaf(ExprKind::Name(pair.as_str().trim_matches('`').to_string())),
            Rule::paren => {
                let inner = significant(pair.into_inner()).next().expect("grammar");
                let (mut expr, depth) = self.expr(inner, nesting + 1);
                expr.span = span;
                (expr, depth)
            }
            Rule::if_expr => {
                let mut parts = significant(pair.into_inner()).map(|p| self.expr(p, nesting + 1));
                let (cond, d1) = parts.next().expect("grammar");
                let (then, d2) = parts.next().expect("grammar");
                let (otherwise, d3) = parts.next().expect("grammar");
                let depth = d1.max(d2).max(d3) + 1;
                self.bounded(
                    Expr { span, kind: ExprKind::If(Box::new(cond), Box::new(then), Box::new(otherwise)) },
                    depth,
                )
            }
            Rule::call => {
                let mut parts = significant(pair.into_inner());
                let name = ident(parts.next().expect("grammar"));
                let mut depth = 1;
                let args = parts
                    .map(|arg| {
                        let (arg, arg_depth) = self.expr(arg, nesting + 1);
                        depth = depth.max(arg_depth + 1);
                        arg
                    })
                    .collect();
                self.bounded(Expr { span, kind: ExprKind::Call(name, args) }, depth)
            }
            _ => leaf(ExprKind::Error),
        }
    }

    // ---- literals ---------------------------------------------------------------------

    fn number(&self, pair: &Pair<'_, Rule>) -> ExprKind {
        let text: String = pair.as_str().chars().filter(|c| *c != '_').collect();
        let span = span_of(pair);
        if text.contains(['.', 'e', 'E']) {
            match text.parse::<f64>() {
                Ok(value) if value.is_finite() => ExprKind::Float(value),
                _ => {
                    self.error(
                        Diagnostic::error(Code::E0104, "float literal out of range")
                            .with_primary(span, "does not fit in a 64-bit float")
                            .with_help("the largest float is about `1.8e308`"),
                    );
                    ExprKind::Error
                }
            }
        } else {
            match text.parse::<i64>() {
                Ok(value) => ExprKind::Int(value),
                Err(_) => {
                    self.error(
                        Diagnostic::error(Code::E0104, "integer literal out of range")
                            .with_primary(span, "does not fit in `int` (a signed 64-bit integer)")
                            .with_help("write it as a float (with `.0`) if an approximate value will do"),
                    );
                    ExprKind::Error
                }
            }
        }
    }

    fn duration(&self, pair: &Pair<'_, Rule>) -> Option<i64> {
        let text = pair.as_str();
        let digits_end = text.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(text.len());
        let digits: String = text[..digits_end].chars().filter(|c| *c != '_').collect();
        let unit_millis: i64 = match &text[digits_end..] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            _ => 86_400_000,
        };
        let millis = digits.parse::<i64>().ok().and_then(|n| n.checked_mul(unit_millis));
        if millis.is_none() {
            self.error(
                Diagnostic::error(Code::E0104, "duration literal out of range")
                    .with_primary(span_of(pair), "does not fit in 64-bit milliseconds"),
            );
        }
        millis
    }

    fn bad_duration(&self, pair: &Pair<'_, Rule>) {
        let text = pair.as_str();
        let digits_end = text.find(|c: char| !(c.is_ascii_digit() || c == '_')).unwrap_or(text.len());
        let unit = &text[digits_end..];
        if let Some(dot) = text.find('.') {
            let whole: String = text[..dot].chars().filter(|c| *c != '_').collect();
            let frac_end = text[dot + 1..].find(|c: char| !c.is_ascii_digit()).map_or(text.len(), |i| dot + 1 + i);
            let unit = &text[frac_end..];
            let scale: Option<f64> = match unit {
                "s" => Some(1_000.0),
                "m" => Some(60_000.0),
                "h" => Some(3_600_000.0),
                "d" => Some(86_400_000.0),
                _ => None,
            };
            let help = match (scale, format!("{whole}.{}", &text[dot + 1..frac_end]).parse::<f64>()) {
                (Some(scale), Ok(value)) => {
                    format!("durations are whole numbers: write `{}ms`", (value * scale).round() as i64)
                }
                _ => "durations are whole numbers followed by `ms`, `s`, `m`, `h` or `d`".to_string(),
            };
            self.error(
                Diagnostic::error(Code::E0106, format!("invalid duration `{text}`"))
                    .with_primary(span_of(pair), "fractional durations are not allowed")
                    .with_help(help),
            );
            return;
        }
        let suggestion = match unit {
            "sec" | "secs" | "second" | "seconds" => Some("s"),
            "min" | "mins" | "minute" | "minutes" => Some("m"),
            "hr" | "hrs" | "hour" | "hours" => Some("h"),
            "day" | "days" => Some("d"),
            "msec" | "millis" | "milliseconds" => Some("ms"),
            _ => None,
        };
        let help = match suggestion {
            Some(unit) => format!("write `{}{unit}`", &text[..digits_end]),
            None => "duration units are `ms`, `s`, `m`, `h` and `d`, as in `250ms` or `10s`".to_string(),
        };
        self.error(
            Diagnostic::error(Code::E0106, format!("invalid duration `{text}`"))
                .with_primary(span_of(pair), format!("unknown unit `{unit}`"))
                .with_help(help),
        );
    }

    fn string(&self, pair: &Pair<'_, Rule>) -> String {
        let text = pair.as_str();
        let base = pair.as_span().start();
        let body = &text[1..text.len() - 1];
        let mut out = String::with_capacity(body.len());
        let mut chars = body.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            let escape_start = base + 1 + i;
            let bad = |end: usize, why: &str| {
                self.error(
                    Diagnostic::error(Code::E0103, "invalid escape in string literal")
                        .with_primary(Span::new(escape_start, end), why.to_string())
                        .with_help("valid escapes are `\\n`, `\\t`, `\\r`, `\\\"`, `\\\\` and `\\u{1F600}`"),
                );
            };
            match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, 'r')) => out.push('\r'),
                Some((_, '"')) => out.push('"'),
                Some((_, '\\')) => out.push('\\'),
                Some((_, 'u')) => {
                    let rest = &body[i + 2..];
                    let parsed = rest.strip_prefix('{').and_then(|r| {
                        let close = r.find('}')?;
                        let hex = &r[..close];
                        let valid = (1..=6).contains(&hex.len()) && hex.chars().all(|c| c.is_ascii_hexdigit());
                        let ch = if valid { u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) } else { None };
                        Some((ch, close + 2))
                    });
                    match parsed {
                        Some((Some(ch), consumed)) => {
                            out.push(ch);
                            for _ in 0..consumed {
                                chars.next();
                            }
                        }
                        Some((None, consumed)) => {
                            bad(escape_start + 2 + consumed, "not a Unicode scalar value");
                            for _ in 0..consumed {
                                chars.next();
                            }
                        }
                        None => bad(escape_start + 2, "expected `\\u{HEX}`"),
                    }
                }
                Some((j, other)) => bad(base + 1 + j + other.len_utf8(), "unknown escape"),
                None => bad(escape_start + 1, "unknown escape"),
            }
        }
        out
    }
}

impl Default for Lowerer {
    fn default() -> Self {
        Self::new()
    }
}

/// `value.pipe(f)` = `f(value)`, to keep a construction readable.
trait Pipe: Sized {
    fn pipe<R>(self, f: impl FnOnce(Self) -> R) -> R {
        f(self)
    }
}

impl<T> Pipe for T {}
