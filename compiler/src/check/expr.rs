//! Expressions: name resolution and typing, AST -> TExpr.

use super::Checker;
use crate::diagnostics::{did_you_mean, Code, Diagnostic};
use crate::plan::{AggCall, BinOp, Literal, RecordType, TExpr, TExprKind, Type, UnOp};
use crate::source::Span;
use crate::syntax::ast::{BinaryOp, Expr, ExprKind, UnaryOp};

/// What names mean where an expression is checked.
pub(crate) struct Scope<'r> {
    pub record: &'r RecordType,
    /// Set inside `aggregate { ... }`.
    pub agg: Option<AggScope>,
}

pub(crate) struct AggScope {
    pub keys: Vec<(String, Type)>,
    pub calls: Vec<AggCall>,
    /// True while checking an aggregate call's argument (plain record scope again).
    pub inside_call: bool,
}

impl<'r> Scope<'r> {
    pub fn record(record: &'r RecordType) -> Self {
        Scope { record, agg: None }
    }
}

pub(crate) fn texpr(ty: Type, span: Span, kind: TExprKind) -> TExpr {
    TExpr { ty, span, kind }
}

pub(crate) fn error_expr(span: Span) -> TExpr {
    texpr(Type::Error, span, TExprKind::Literal(Literal::Null))
}

/// Wraps an int (or int?) expression in an explicit widening to float.
pub(crate) fn widen(expr: TExpr) -> TExpr {
    match expr.ty.non_optional() {
        Type::Int => {
            let optional = expr.ty.is_optional();
            let span = expr.span;
            if let TExprKind::Literal(Literal::Int(v)) = expr.kind {
                return texpr(Type::Float, span, TExprKind::Literal(Literal::Float(v as f64)));
            }
            texpr(Type::Float.optional_if(optional), span, TExprKind::ToFloat(Box::new(expr)))
        }
        _ => expr,
    }
}

/// The common type of two branches (`if`, `??`, `coalesce`), widening int to float.
/// None when they do not unify.
#[allow(clippy::result_large_err, reason = "the Err hands both operands back for the diagnostic; not a hot path")]
pub(crate) fn unify(a: TExpr, b: TExpr) -> Result<(TExpr, TExpr, Type), (TExpr, TExpr)> {
    let optional = a.ty.is_optional() || b.ty.is_optional();
    let (base_a, base_b) = (a.ty.non_optional().clone(), b.ty.non_optional().clone());
    match (&base_a, &base_b) {
        (Type::Error, _) | (_, Type::Error) => Ok((a, b, Type::Error)),
        (Type::Null, Type::Null) => Ok((a, b, Type::Null)),
        (Type::Null, other) | (other, Type::Null) => {
            let ty = other.clone().optional();
            Ok((a, b, ty))
        }
        (Type::Int, Type::Float) | (Type::Float, Type::Int) => {
            Ok((widen(a), widen(b), Type::Float.optional_if(optional)))
        }
        (x, y) if x.same_shape(y) => Ok((a, b, base_a.optional_if(optional))),
        _ => Err((a, b)),
    }
}

fn is_null_literal(expr: &Expr) -> bool {
    matches!(expr.kind, ExprKind::Null)
}

impl Checker<'_> {
    pub(crate) fn expr(&self, expr: &Expr, scope: &mut Scope<'_>) -> TExpr {
        let span = expr.span;
        match &expr.kind {
            ExprKind::Error => error_expr(span),
            ExprKind::Int(v) => texpr(Type::Int, span, TExprKind::Literal(Literal::Int(*v))),
            ExprKind::Float(v) => texpr(Type::Float, span, TExprKind::Literal(Literal::Float(*v))),
            ExprKind::String(v) => texpr(Type::String, span, TExprKind::Literal(Literal::String(v.clone()))),
            ExprKind::Bool(v) => texpr(Type::Bool, span, TExprKind::Literal(Literal::Bool(*v))),
            ExprKind::Null => texpr(Type::Null, span, TExprKind::Literal(Literal::Null)),
            ExprKind::Duration(v) => texpr(Type::Duration, span, TExprKind::Literal(Literal::Duration(*v))),
            ExprKind::Name(name) => self.name(name, span, scope),
            ExprKind::Field(base, field) => {
                let base = self.expr(base, scope);
                let optional = base.ty.is_optional();
                match base.ty.non_optional() {
                    Type::Error => error_expr(span),
                    Type::Record(record) => match record.field(&field.node) {
                        Some(f) => {
                            let ty = f.ty.clone().optional_if(optional);
                            texpr(ty, span, TExprKind::GetField(Box::new(base), field.node.clone()))
                        }
                        None => {
                            let record = record.clone();
                            self.unknown_record_field(Code::E0210, field, &record, &format!("`{}`", record));
                            error_expr(span)
                        }
                    },
                    other => {
                        self.report(
                            Diagnostic::error(Code::E0310, format!("`{other}` has no fields"))
                                .with_primary(field.span, format!("cannot read `.{}`", field.node))
                                .with_secondary(base.span, format!("this is {}", crate::diagnostics::a(other)))
                                .with_help("`.field` reads a field of a record value"),
                        );
                        error_expr(span)
                    }
                }
            }
            ExprKind::Index(base, index) => {
                let base = self.expr(base, scope);
                let index = self.expr(index, scope);
                let optional = base.ty.is_optional() || index.ty.is_optional();
                if !matches!(index.ty.non_optional(), Type::Int | Type::Error) {
                    self.report(
                        Diagnostic::error(Code::E0301, "list index must be an `int`")
                            .with_primary(index.span, format!("expected `int`, found `{}`", index.ty))
                            .with_help("indexes count from 0"),
                    );
                }
                match base.ty.non_optional() {
                    Type::Error => error_expr(span),
                    Type::List(element) => {
                        let ty = (**element).clone().optional_if(optional);
                        texpr(ty, span, TExprKind::Index(Box::new(base), Box::new(index)))
                    }
                    other => {
                        self.report(
                            Diagnostic::error(Code::E0310, format!("cannot index into a value of type `{other}`"))
                                .with_primary(
                                    base.span,
                                    format!("this is {}, not a list", crate::diagnostics::a(other)),
                                )
                                .with_help("`[index]` reads an element of a list (`[T]`)"),
                        );
                        error_expr(span)
                    }
                }
            }
            ExprKind::Call(name, args) => self.call(name, args, span, scope),
            ExprKind::Unary(op, operand) => {
                let operand = self.expr(operand, scope);
                let optional = operand.ty.is_optional();
                let base = operand.ty.non_optional().clone();
                let (ty, op) = match (op, &base) {
                    (_, Type::Error) => return error_expr(span),
                    (UnaryOp::Not, Type::Bool) => (Type::Bool, UnOp::Not),
                    (UnaryOp::Neg, Type::Int | Type::Float | Type::Duration) => (base.clone(), UnOp::Neg),
                    _ => {
                        let expected = if *op == UnaryOp::Not { "`bool`" } else { "a number or a duration" };
                        let text = self.snippet(operand.span);
                        let help = match (op, &base) {
                            (UnaryOp::Not, Type::Int | Type::Float) => format!("write `{text} == 0`"),
                            (UnaryOp::Not, Type::String) => format!("write `{text} == \"\"`"),
                            (UnaryOp::Not, _) => "`!` negates a `bool`".to_string(),
                            _ => "`-` negates a number or a duration".to_string(),
                        };
                        self.report(
                            Diagnostic::error(
                                Code::E0302,
                                format!("cannot apply `{}` to `{}`", op.symbol(), operand.ty),
                            )
                            .with_primary(operand.span, format!("expected {expected}, found `{}`", operand.ty))
                            .with_help(help),
                        );
                        return error_expr(span);
                    }
                };
                texpr(ty.optional_if(optional), span, TExprKind::Unary(op, Box::new(operand)))
            }
            ExprKind::Binary(op, lhs, rhs) => self.binary(*op, lhs, rhs, span, scope),
            ExprKind::If(cond, then, otherwise) => {
                let cond = self.expr(cond, scope);
                self.expect_condition(&cond, "`if` condition");
                let then = self.expr(then, scope);
                let otherwise = self.expr(otherwise, scope);
                match unify(then, otherwise) {
                    Ok((then, otherwise, ty)) => {
                        texpr(ty, span, TExprKind::If(Box::new(cond), Box::new(then), Box::new(otherwise)))
                    }
                    Err((then, otherwise)) => {
                        self.report(
                            Diagnostic::error(Code::E0318, "`if` branches have different types")
                                .with_primary(otherwise.span, format!("this is `{}`", otherwise.ty))
                                .with_secondary(then.span, format!("this is `{}`", then.ty))
                                .with_help("make both branches the same type, e.g. with `string(...)`, `int(...)` or `float(...)`"),
                        );
                        error_expr(span)
                    }
                }
            }
        }
    }

    /// Reports a condition that is not `bool`/`bool?`.
    pub(crate) fn expect_condition(&self, cond: &TExpr, what: &str) {
        match cond.ty.non_optional() {
            Type::Bool | Type::Error | Type::Null => {}
            other => {
                let text = self.snippet(cond.span);
                let help = match (other, cond.ty.is_optional()) {
                    (_, true) => format!("to test for a value, write `!is_null({text})`"),
                    (Type::Int | Type::Float, _) => format!("compare it, e.g. `{text} != 0`"),
                    (Type::String, _) => {
                        format!("compare it, e.g. `{text} != \"\"`, or test it with `contains`/`starts_with`")
                    }
                    _ => "conditions are `bool` expressions such as comparisons".to_string(),
                };
                self.report(
                    Diagnostic::error(Code::E0303, format!("{what} must be a `bool`, found `{}`", cond.ty))
                        .with_primary(cond.span, format!("expected `bool`, found `{}`", cond.ty))
                        .with_help(help),
                );
            }
        }
    }

    fn name(&self, name: &str, span: Span, scope: &mut Scope<'_>) -> TExpr {
        if let Some(agg) = &scope.agg {
            if !agg.inside_call {
                if let Some((_, ty)) = agg.keys.iter().find(|(key, _)| key == name) {
                    return texpr(ty.clone(), span, TExprKind::Key(name.to_string()));
                }
                if scope.record.field(name).is_some() {
                    self.report(
                        Diagnostic::error(Code::E0314, format!("field `{name}` is used outside an aggregate function"))
                            .with_primary(span, "not a group key, and not inside an aggregate")
                            .with_help(format!(
                                "aggregate it (e.g. `first({name})`, `max({name})`), or add it to `group by`"
                            )),
                    );
                    return error_expr(span);
                }
            }
        }
        if let Some(field) = scope.record.field(name) {
            return texpr(field.ty.clone(), span, TExprKind::Field(name.to_string()));
        }
        if let Some(ty) = self.params.get(name) {
            self.used_params.borrow_mut().insert(name.to_string());
            return texpr(ty.clone(), span, TExprKind::Param(name.to_string()));
        }
        if scope.record.has_error() || scope.record.fields.is_empty() {
            // The record type is already broken: do not cascade.
            return error_expr(span);
        }
        let mut candidates: Vec<&str> = scope.record.field_names().collect();
        candidates.extend(self.params.keys().map(String::as_str));
        let mut diagnostic = Diagnostic::error(Code::E0201, format!("unknown name `{name}`"))
            .with_primary(span, "not a field of the record here, nor a param");
        if let Some(suggestion) = did_you_mean(name, candidates) {
            diagnostic = diagnostic.with_help(format!("did you mean `{suggestion}`?"));
        } else if self.items.contains_key(name) {
            diagnostic = diagnostic.with_help(format!("`{name}` is a top-level item, not a value"));
        } else {
            diagnostic = diagnostic.with_note(format!("the record here is {}", scope.record.structure()));
        }
        self.report(diagnostic);
        error_expr(span)
    }

    fn binary(&self, op: BinaryOp, lhs_ast: &Expr, rhs_ast: &Expr, span: Span, scope: &mut Scope<'_>) -> TExpr {
        if op.is_comparison() && (is_null_literal(lhs_ast) || is_null_literal(rhs_ast)) {
            let other = if is_null_literal(lhs_ast) { rhs_ast } else { lhs_ast };
            let other_text = self.snippet(other.span);
            let help = if op == BinaryOp::Ne {
                format!("write `!is_null({other_text})`")
            } else {
                format!("write `is_null({other_text})`")
            };
            self.report(
                Diagnostic::error(Code::E0307, format!("comparison with `null` using `{}`", op.symbol()))
                    .with_primary(span, "this is null for every record, never true")
                    .with_help(help),
            );
            return error_expr(span);
        }
        let lhs = self.expr(lhs_ast, scope);
        let rhs = self.expr(rhs_ast, scope);
        if lhs.ty.is_error() || rhs.ty.is_error() || lhs.ty.has_error() || rhs.ty.has_error() {
            return error_expr(span);
        }
        let optional = lhs.ty.is_optional() || rhs.ty.is_optional();
        let (l, r) = (lhs.ty.non_optional().clone(), rhs.ty.non_optional().clone());
        use Type::*;
        let mismatch = |this: &Self, lhs: &TExpr, rhs: &TExpr, help: Option<std::string::String>| {
            let mut diagnostic = Diagnostic::error(
                Code::E0302,
                format!("cannot apply `{}` to `{}` and `{}`", op.symbol(), lhs.ty, rhs.ty),
            )
            .with_primary(rhs.span, format!("this is `{}`", rhs.ty))
            .with_secondary(lhs.span, format!("this is `{}`", lhs.ty));
            if let Some(help) = help {
                diagnostic = diagnostic.with_help(help);
            }
            this.report(diagnostic);
            error_expr(span)
        };
        let node = |ty: Type, op: BinOp, lhs: TExpr, rhs: TExpr| {
            texpr(ty, span, TExprKind::Binary(op, Box::new(lhs), Box::new(rhs)))
        };
        match op {
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => {
                let bop = match op {
                    BinaryOp::Add => BinOp::Add,
                    BinaryOp::Sub => BinOp::Sub,
                    BinaryOp::Mul => BinOp::Mul,
                    BinaryOp::Div => BinOp::Div,
                    _ => BinOp::Rem,
                };
                // Float division (and remainder) by zero gives null, so the result is
                // optional unless the divisor is a non-zero literal.
                let float_div_may_be_null = matches!(op, BinaryOp::Div | BinaryOp::Rem)
                    && !matches!(rhs.kind, TExprKind::Literal(Literal::Int(v)) if v != 0)
                    && !matches!(rhs.kind, TExprKind::Literal(Literal::Float(v)) if v != 0.0);
                match (op, &l, &r) {
                    (_, Int, Int) => node(Int.optional_if(optional), bop, lhs, rhs),
                    (_, Int | Float, Int | Float) => {
                        let ty = Float.optional_if(optional || float_div_may_be_null);
                        node(ty, bop, widen(lhs), widen(rhs))
                    }
                    (BinaryOp::Add, String, String) => node(String.optional_if(optional), BinOp::Concat, lhs, rhs),
                    (BinaryOp::Add, Timestamp, Duration) | (BinaryOp::Add, Duration, Timestamp) => {
                        node(Timestamp.optional_if(optional), bop, lhs, rhs)
                    }
                    (BinaryOp::Sub, Timestamp, Duration) => node(Timestamp.optional_if(optional), bop, lhs, rhs),
                    (BinaryOp::Sub, Timestamp, Timestamp) => node(Duration.optional_if(optional), bop, lhs, rhs),
                    (BinaryOp::Add | BinaryOp::Sub, Duration, Duration) => {
                        node(Duration.optional_if(optional), bop, lhs, rhs)
                    }
                    (BinaryOp::Mul, Duration, Int)
                    | (BinaryOp::Mul, Int, Duration)
                    | (BinaryOp::Div, Duration, Int) => node(Duration.optional_if(optional), bop, lhs, rhs),
                    (BinaryOp::Add, String, _) | (BinaryOp::Add, _, String) => {
                        let other = if l == String { &rhs } else { &lhs };
                        let text = self.snippet(other.span);
                        mismatch(self, &lhs, &rhs, Some(format!("convert it first: `string({text})`")))
                    }
                    (_, Timestamp, String) | (_, String, Timestamp) => mismatch(
                        self,
                        &lhs,
                        &rhs,
                        Some("parse the string first: `to_timestamp(\"2026-11-24T14:40:00Z\")`".into()),
                    ),
                    (_, Timestamp, Int) | (_, Int, Timestamp) => {
                        let number = if l == Int { &lhs } else { &rhs };
                        let text = self.snippet(number.span);
                        mismatch(self, &lhs, &rhs, Some(format!("write the number as a duration, e.g. `{text}ms`, or convert a field with `millis(...)` on the other side")))
                    }
                    (_, Duration, Int | Float) | (_, Int | Float, Duration) => mismatch(
                        self,
                        &lhs,
                        &rhs,
                        Some(
                            "compare durations with durations (`latency > 1m`), or convert one with `millis(...)`"
                                .into(),
                        ),
                    ),
                    _ => mismatch(self, &lhs, &rhs, None),
                }
            }
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                let bop = match op {
                    BinaryOp::Eq => BinOp::Eq,
                    BinaryOp::Ne => BinOp::Ne,
                    BinaryOp::Lt => BinOp::Lt,
                    BinaryOp::Le => BinOp::Le,
                    BinaryOp::Gt => BinOp::Gt,
                    _ => BinOp::Ge,
                };
                let ordering = !matches!(op, BinaryOp::Eq | BinaryOp::Ne);
                let ty = Bool.optional_if(optional);
                match (&l, &r) {
                    (Int, Float) | (Float, Int) => node(ty, bop, widen(lhs), widen(rhs)),
                    (a, b) if a == b => {
                        let comparable = if ordering {
                            matches!(a, Int | Float | String | Timestamp | Duration)
                        } else {
                            a.is_scalar()
                        };
                        if comparable {
                            node(ty, bop, lhs, rhs)
                        } else {
                            self.report(
                                                                Diagnostic::error(Code::E0321, format!("cannot compare values of type `{a}` with `{}`", op.symbol()))
                                    .with_primary(span, if ordering { "not an ordered type" } else { "not a scalar type" })
                                    .with_help(match a {
                                        Bool => "bools are not ordered: combine them with `&&`, `||` and `!` (e.g. `a && !b`)",
                                        List(_) => "compare elements (`tags[0] == \"x\"`), lengths (`len(tags)`), or test membership with `contains`",
                                        _ => "compare a scalar field of it instead",
                                    }),
                            );
                            error_expr(span)
                        }
                    }
                    (Timestamp, String) | (String, Timestamp) => mismatch(
                        self,
                        &lhs,
                        &rhs,
                        Some("parse the string: `to_timestamp(\"2026-11-24T14:40:00Z\")`".into()),
                    ),
                                        (Duration, Int | Float) | (Int | Float, Duration) => mismatch(
                        self,
                        &lhs,
                        &rhs,
                        Some("a number is not a duration: write the number with a unit (`60000ms`), or compare `millis(...)` with the number".into()),
                    ),
                    (Int | Float, String) | (String, Int | Float) => mismatch(self,
                        &lhs,
                        &rhs,
                        Some("convert one side: `parse_int(...)`, `parse_float(...)` or `string(...)`".into()),
                    ),
                    _ => mismatch(self, &lhs, &rhs, None),
                }
            }
            BinaryOp::And | BinaryOp::Or => {
                if l == Bool && r == Bool {
                    let bop = if op == BinaryOp::And { BinOp::And } else { BinOp::Or };
                    node(Bool.optional_if(optional), bop, lhs, rhs)
                } else {
                    let bad = if l != Bool { &lhs } else { &rhs };
                    self.report(
                        Diagnostic::error(Code::E0302, format!("`{}` needs `bool` operands", op.symbol()))
                            .with_primary(bad.span, format!("expected `bool`, found `{}`", bad.ty))
                            .with_help("compare the value to get a `bool`, e.g. `x > 0`"),
                    );
                    error_expr(span)
                }
            }
            BinaryOp::Coalesce => {
                let right_optional = rhs.ty.is_optional();
                match unify(lhs, rhs) {
                    Ok((lhs, rhs, ty)) => {
                        let ty = match ty {
                            Type::Null => Type::Null,
                            other => other.non_optional().clone().optional_if(right_optional),
                        };
                        node(ty, BinOp::Coalesce, lhs, rhs)
                    }
                    Err((lhs, rhs)) => {
                        self.report(
                            Diagnostic::error(Code::E0318, "both sides of `??` must have the same type")
                                .with_primary(rhs.span, format!("this is `{}`", rhs.ty))
                                .with_secondary(lhs.span, format!("this is `{}`", lhs.ty))
                                .with_help("the default must have the type of the value it replaces"),
                        );
                        error_expr(span)
                    }
                }
            }
        }
    }

    /// The program text of a span, for hints that quote the user's code.
    pub(crate) fn snippet(&self, span: Span) -> String {
        self.source_text.get(span.range()).unwrap_or("x").to_string()
    }
}
