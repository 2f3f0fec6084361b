//! Calls: built-in functions (the registry of their signatures), aggregate
//! functions inside `aggregate`, and `extern fn`.

use super::expr::{error_expr, texpr, unify, widen, Scope};
use super::Checker;
use crate::diagnostics::{did_you_mean, Code, Diagnostic};
use crate::plan::{AggCall, AggFunc, Builtin, Literal, TExpr, TExprKind, Type};
use crate::source::Span;
use crate::syntax::ast::{Expr, Ident};

const AGGREGATES: &[&str] = &["count", "sum", "min", "max", "avg", "count_distinct", "first", "last", "collect"];

/// The signature shown in help text.
pub fn signature(builtin: Builtin) -> &'static str {
    match builtin {
        Builtin::Lower => "lower(string) -> string",
        Builtin::Upper => "upper(string) -> string",
        Builtin::Trim => "trim(string) -> string",
        Builtin::Len => "len(string | [T]) -> int",
        Builtin::Contains => "contains(string, string) -> bool, or contains([T], T) -> bool",
        Builtin::StartsWith => "starts_with(string, string) -> bool",
        Builtin::EndsWith => "ends_with(string, string) -> bool",
        Builtin::Substr => "substr(string, start: int[, len: int]) -> string",
        Builtin::Replace => "replace(string, from: string, to: string) -> string",
        Builtin::Split => "split(string, separator: string) -> [string]",
        Builtin::Concat => "concat(string, ...) -> string",
        Builtin::RegexMatch => "regex_match(string, \"regex\") -> bool",
        Builtin::RegexExtract => "regex_extract(string, \"regex\"[, group]) -> string?",
        Builtin::Abs => "abs(int | float) -> same type",
        Builtin::Round => "round(int | float[, digits]) -> same type",
        Builtin::Floor => "floor(int | float) -> same type",
        Builtin::Ceil => "ceil(int | float) -> same type",
        Builtin::Min => "min(a, b) -> the smaller (one argument: the aggregate)",
        Builtin::Max => "max(a, b) -> the larger (one argument: the aggregate)",
        Builtin::Int => "int(float | string | bool | timestamp | duration | int) -> int",
        Builtin::Float => "float(int | string | float) -> float",
        Builtin::String => "string(scalar) -> string",
        Builtin::ParseInt => "parse_int(string) -> int?",
        Builtin::ParseFloat => "parse_float(string) -> float?",
        Builtin::Coalesce => "coalesce(T?, ..., T) -> T",
        Builtin::IsNull => "is_null(T) -> bool",
        Builtin::Now => "now() -> timestamp",
        Builtin::Millis => "millis(timestamp | duration) -> int",
        Builtin::ToTimestamp => "to_timestamp(int millis | string RFC 3339) -> timestamp",
        Builtin::DateTrunc => "date_trunc(\"second\" | \"minute\" | \"hour\" | \"day\", timestamp) -> timestamp",
    }
}

fn arity(builtin: Builtin) -> (usize, usize) {
    match builtin {
        Builtin::Now => (0, 0),
        Builtin::Lower
        | Builtin::Upper
        | Builtin::Trim
        | Builtin::Len
        | Builtin::Abs
        | Builtin::Floor
        | Builtin::Ceil => (1, 1),
        Builtin::Int | Builtin::Float | Builtin::String | Builtin::ParseInt | Builtin::ParseFloat => (1, 1),
        Builtin::IsNull | Builtin::Millis | Builtin::ToTimestamp => (1, 1),
        Builtin::Round => (1, 2),
        Builtin::Contains | Builtin::StartsWith | Builtin::EndsWith | Builtin::Split | Builtin::RegexMatch => (2, 2),
        Builtin::Min | Builtin::Max | Builtin::DateTrunc => (2, 2),
        Builtin::Substr | Builtin::RegexExtract => (2, 3),
        Builtin::Replace => (3, 3),
        Builtin::Concat | Builtin::Coalesce => (1, usize::MAX),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

impl Checker<'_> {
    pub(crate) fn call(&self, name: &Ident, args: &[Expr], span: Span, scope: &mut Scope<'_>) -> TExpr {
        let fname = name.node.as_str();
        let is_aggregate = AGGREGATES.contains(&fname) && !(matches!(fname, "min" | "max") && args.len() >= 2);
        if is_aggregate {
            return self.aggregate_call(name, args, span, scope);
        }
        if let Some(builtin) = Builtin::from_name(fname) {
            return self.builtin_call(builtin, name, args, span, scope);
        }
        if let Some(ext) = self.plan.externs.iter().find(|e| e.name == fname) {
            self.used_externs.borrow_mut().insert(fname.to_string());
            let params = ext.params.clone();
            let ret = ext.ret.clone();
            let checked: Vec<TExpr> = args.iter().map(|arg| self.expr(arg, scope)).collect();
            if checked.len() != params.len() {
                self.report(
                    Diagnostic::error(
                        Code::E0304,
                        format!(
                            "`{fname}` takes {} argument{}, but {} were given",
                            params.len(),
                            plural(params.len()),
                            checked.len()
                        ),
                    )
                    .with_primary(span, format!("expected {} argument{}", params.len(), plural(params.len())))
                    .with_secondary(ext.span, "declared here")
                    .with_help(format!(
                        "the signature is `{fname}({}) -> {}`",
                        params.iter().map(|p| format!("{}: {}", p.name, p.ty)).collect::<Vec<_>>().join(", "),
                        ret
                    )),
                );
                return error_expr(span);
            }
            let mut out = Vec::with_capacity(checked.len());
            for (arg, param) in checked.into_iter().zip(&params) {
                out.push(self.coerce_argument(arg, &param.ty, &format!("parameter `{}` of `{fname}`", param.name)));
            }
            return texpr(ret, span, TExprKind::Extern(fname.to_string(), out));
        }
        let mut candidates: Vec<&str> = Builtin::ALL.iter().map(|b| b.name()).collect();
        candidates.extend(AGGREGATES);
        candidates.extend(self.plan.externs.iter().map(|e| e.name.as_str()));
        for arg in args {
            self.expr(arg, scope);
        }
        if fname == "env" {
            self.report(
                Diagnostic::error(Code::E0205, "`env()` is only allowed in connector options")
                    .with_primary(name.span, "not a function in expressions")
                    .with_help("declare a param and use it: `param region: string = \"eu\"` (set at run time with `--param` or SLUICE_PARAM_REGION)"),
            );
            return error_expr(span);
        }
        self.unknown(
            Code::E0205,
            "function",
            name,
            candidates,
            Some("declare Rust functions with `extern fn name(arg: type) -> type`".into()),
        );
        error_expr(span)
    }

    /// An argument for a declared parameter type: exactly that type (an optional
    /// parameter also takes a non-optional value or `null`).
    fn coerce_argument(&self, arg: TExpr, expected: &Type, what: &str) -> TExpr {
        if arg.ty.is_error() || expected.has_error() || arg.ty.same_shape(expected) {
            return arg;
        }
        let actual = arg.ty.clone();
        if actual.is_optional() && !expected.is_optional() && actual.non_optional().same_shape(expected) {
            self.report(
                Diagnostic::error(Code::E0306, format!("{what} is not optional, but the argument may be null"))
                    .with_primary(arg.span, format!("this is `{actual}`"))
                    .with_help(format!("give a default: `{} ?? ...`", self.snippet(arg.span))),
            );
            return arg;
        }

        if expected.is_optional() && (actual == Type::Null || actual.same_shape(expected.non_optional())) {
            return arg;
        }
        self.report(
            Diagnostic::error(Code::E0305, format!("{what} expects `{expected}`, found `{actual}`"))
                .with_primary(arg.span, format!("this is {}", crate::diagnostics::a(&actual)))
                .with_help(conversion_help(&actual, expected, &self.snippet(arg.span))),
        );
        arg
    }

    fn builtin_call(&self, builtin: Builtin, name: &Ident, args: &[Expr], span: Span, scope: &mut Scope<'_>) -> TExpr {
        let (min, max) = arity(builtin);
        let args: Vec<TExpr> = args.iter().map(|arg| self.expr(arg, scope)).collect();
        if args.len() < min || args.len() > max {
            let expected = if min == max {
                format!("{min} argument{}", plural(min))
            } else if max == usize::MAX {
                format!("at least {min} argument{}", plural(min))
            } else {
                format!("{min} or {max} arguments")
            };
            let mut diagnostic = Diagnostic::error(
                Code::E0304,
                format!(
                    "`{}` takes {expected}, but {} {} given",
                    name.node,
                    args.len(),
                    if args.len() == 1 { "was" } else { "were" }
                ),
            )
            .with_primary(span, format!("expected {expected}"))
            .with_help(format!("the signature is `{}`", signature(builtin)));
            if matches!(builtin, Builtin::Min | Builtin::Max) && args.len() == 1 {
                diagnostic =
                    diagnostic.with_note("with one argument it is an aggregate, allowed only inside `aggregate`");
            }
            self.report(diagnostic);
            return error_expr(span);
        }
        if args.iter().any(|a| a.ty.is_error()) {
            return error_expr(span);
        }
        let optional = args.iter().any(|a| a.ty.is_optional());
        let base: Vec<Type> = args.iter().map(|a| a.ty.non_optional().clone()).collect();
        let bad = |index: usize, expected: &str| -> TExpr {
            let arg: &TExpr = &args[index];
            self.report(
                Diagnostic::error(Code::E0305, format!("`{}` expects {expected}, found `{}`", name.node, arg.ty))
                    .with_primary(arg.span, format!("expected {expected}"))
                    .with_help(format!("the signature is `{}`", signature(builtin))),
            );
            error_expr(span)
        };
        let call = |ty: Type, args: Vec<TExpr>| texpr(ty, span, TExprKind::Call(builtin, args));
        use Type::*;
        let ty = match builtin {
            Builtin::Lower | Builtin::Upper | Builtin::Trim => {
                if base[0] != String {
                    return bad(0, "`string`");
                }
                String
            }
            Builtin::Len => match &base[0] {
                String | List(_) => Int,
                _ => return bad(0, "`string` or a list"),
            },
            Builtin::Contains => match (&base[0], &base[1]) {
                (String, String) => Bool,
                (String, _) => return bad(1, "`string`"),
                (List(element), other)
                    if element.non_optional().same_shape(other) || (**element == Float && *other == Int) =>
                {
                    Bool
                }
                (List(element), _) => return bad(1, &format!("`{element}` (the list's element type)")),
                _ => return bad(0, "`string` or a list"),
            },
            Builtin::StartsWith | Builtin::EndsWith => {
                if let Some(i) = base.iter().position(|t| *t != String) {
                    return bad(i, "`string`");
                }
                Bool
            }
            Builtin::Substr => {
                if base[0] != String {
                    return bad(0, "`string`");
                }
                if let Some(i) = base.iter().skip(1).position(|t| *t != Int) {
                    return bad(i + 1, "`int`");
                }
                String
            }
            Builtin::Replace | Builtin::Concat => {
                for (i, ty) in base.iter().enumerate() {
                    if *ty != String {
                        return bad(i, "`string`");
                    }
                }
                String
            }
            Builtin::Split => {
                if let Some(i) = base.iter().position(|t| *t != String) {
                    return bad(i, "`string`");
                }
                List(Box::new(String))
            }
            Builtin::RegexMatch | Builtin::RegexExtract => {
                if base[0] != String {
                    return bad(0, "`string`");
                }
                let Some(pattern) = self.string_literal(&args[1], "the regex") else { return error_expr(span) };
                let groups = match regex::Regex::new(&pattern) {
                    Ok(re) => re.captures_len() - 1,
                    Err(error) => {
                        let detail = error.to_string();
                        let last = detail.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("").trim().to_string();
                        self.report(
                            Diagnostic::error(Code::E0316, "invalid regular expression")
                                .with_primary(args[1].span, last)
                                .with_note("patterns use the Rust `regex` syntax (no look-around or backreferences)")
                                .with_help(regex_help(&detail)),
                        );
                        return error_expr(span);
                    }
                };
                if builtin == Builtin::RegexMatch {
                    return call(Bool.optional_if(optional), args);
                }
                if let Some(group_arg) = args.get(2) {
                    let TExprKind::Literal(Literal::Int(group)) = group_arg.kind else {
                        self.report(
                            Diagnostic::error(Code::E0315, "the regex group must be an int literal")
                                .with_primary(group_arg.span, "not a literal")
                                .with_help("write the group number, e.g. `regex_extract(s, \"(\\\\w+)=(\\\\w+)\", 2)`"),
                        );
                        return error_expr(span);
                    };
                    if group < 0 || group as usize > groups {
                        self.report(
                            Diagnostic::error(Code::E0320, format!("the regex has no group {group}"))
                                .with_primary(
                                    group_arg.span,
                                    format!("the pattern has {groups} group{}", plural(groups)),
                                )
                                .with_help("group 0 is the whole match; groups count `(` from 1"),
                        );
                        return error_expr(span);
                    }
                }
                return call(String.optional(), args);
            }
            Builtin::Abs | Builtin::Floor | Builtin::Ceil => match &base[0] {
                Int | Float => base[0].clone(),
                _ => return bad(0, "`int` or `float`"),
            },
            Builtin::Round => {
                if !base[0].is_numeric() {
                    return bad(0, "`int` or `float`");
                }
                if let Some(digits) = args.get(1) {
                    if !matches!(digits.kind, TExprKind::Literal(Literal::Int(0..=15))) {
                        self.report(
                            Diagnostic::error(Code::E0315, "`round` digits must be an int literal from 0 to 15")
                                .with_primary(digits.span, "expected a literal such as `2`")
                                .with_help("write `round(x, 2)` to keep two decimals"),
                        );
                        return error_expr(span);
                    }
                }
                base[0].clone()
            }
            Builtin::Min | Builtin::Max => {
                let mut args = args;
                let b = args.pop().expect("arity checked");
                let a = args.pop().expect("arity checked");
                return match unify(a, b) {
                    Ok((a, b, ty)) if matches!(ty.non_optional(), Int | Float | String | Timestamp | Duration) => {
                        call(ty, vec![a, b])
                    }
                    Ok((a, b, _)) | Err((a, b)) => {
                        self.report(
                            Diagnostic::error(
                                Code::E0305,
                                format!(
                                    "`{}` needs two values of one ordered type, found `{}` and `{}`",
                                    name.node, a.ty, b.ty
                                ),
                            )
                            .with_primary(span, "cannot compare these")
                            .with_help(format!("the signature is `{}`", signature(builtin))),
                        );
                        error_expr(span)
                    }
                };
            }
            Builtin::Int => match &base[0] {
                Int | Float | String | Bool | Timestamp | Duration => Int,
                _ => return bad(0, "a scalar"),
            },
            Builtin::Float => match &base[0] {
                Int | Float | String => Float,
                _ => return bad(0, "`int`, `float` or `string`"),
            },
            Builtin::String => {
                if !base[0].is_scalar() {
                    return bad(0, "a scalar");
                }
                String
            }
            Builtin::ParseInt | Builtin::ParseFloat => {
                if base[0] != String {
                    return bad(0, "`string`");
                }
                let ty = if builtin == Builtin::ParseInt { Int } else { Float };
                return call(ty.optional(), args);
            }
            Builtin::Coalesce => {
                let mut iter = args.into_iter();
                let mut acc = iter.next().expect("arity checked");
                let mut rest = Vec::new();
                let mut all = Vec::new();
                for next in iter {
                    match unify(acc.clone(), next) {
                        Ok((a, b, ty)) => {
                            rest.push(b);
                            acc = TExpr { ty: ty.clone(), ..a };
                        }
                        Err((a, b)) => {
                            self.report(
                                Diagnostic::error(Code::E0318, "`coalesce` arguments must have one type")
                                    .with_primary(b.span, format!("this is `{}`", b.ty))
                                    .with_secondary(a.span, format!("earlier arguments are `{}`", a.ty)),
                            );
                            return error_expr(span);
                        }
                    }
                }
                let unified = acc.ty.non_optional().clone();
                let last_optional = rest.last().is_none_or(|last| last.ty.is_optional());
                let first = TExpr { ty: unified.clone().optional(), ..acc };
                all.push(first);
                all.extend(rest);
                let all = all.into_iter().map(|a| if unified == Float { widen(a) } else { a }).collect();
                return call(unified.optional_if(last_optional), all);
            }
            Builtin::IsNull => return call(Bool, args),
            Builtin::Now => Timestamp,
            Builtin::Millis => match &base[0] {
                Timestamp | Duration => Int,
                _ => return bad(0, "`timestamp` or `duration`"),
            },
            Builtin::ToTimestamp => {
                match &base[0] {
                    Int => Timestamp,
                    String => {
                        if let TExprKind::Literal(Literal::String(text)) = &args[0].kind {
                            if crate::time::parse_rfc3339(text).is_none() {
                                self.report(
                                Diagnostic::error(Code::E0320, "invalid RFC 3339 timestamp")
                                    .with_primary(args[0].span, "cannot be parsed")
                                    .with_help("write it like \"2026-11-24T14:40:00Z\" or \"2026-11-24T14:40:00.000+01:00\""),
                            );
                                return error_expr(span);
                            }
                        }
                        Timestamp
                    }
                    _ => return bad(0, "`int` (epoch millis) or `string` (RFC 3339)"),
                }
            }
            Builtin::DateTrunc => {
                let Some(unit) = self.string_literal(&args[0], "the unit") else { return error_expr(span) };
                if !["second", "minute", "hour", "day"].contains(&unit.as_str()) {
                    let suggestion = did_you_mean(&unit, ["second", "minute", "hour", "day"]);
                    self.report(
                        Diagnostic::error(Code::E0320, format!("unknown `date_trunc` unit \"{unit}\""))
                            .with_primary(args[0].span, "expected \"second\", \"minute\", \"hour\" or \"day\"")
                            .with_help(match suggestion {
                                Some(s) => format!("did you mean \"{s}\"?"),
                                None => "units are \"second\", \"minute\", \"hour\" and \"day\"".into(),
                            }),
                    );
                    return error_expr(span);
                }
                if base[1] != Timestamp {
                    return bad(1, "`timestamp`");
                }
                Timestamp
            }
        };
        call(ty.optional_if(optional), args)
    }

    /// The value of a string literal argument, or an E0315 error.
    fn string_literal(&self, arg: &TExpr, what: &str) -> Option<String> {
        match &arg.kind {
            TExprKind::Literal(Literal::String(text)) => Some(text.clone()),
            _ => {
                self.report(
                    Diagnostic::error(Code::E0315, format!("{what} must be a string literal"))
                        .with_primary(arg.span, "not a literal")
                        .with_help("it is checked when the program compiles, so write it in quotes here"),
                );
                None
            }
        }
    }

    fn aggregate_call(&self, name: &Ident, args: &[Expr], span: Span, scope: &mut Scope<'_>) -> TExpr {
        let fname = name.node.as_str();
        let allowed = scope.agg.as_ref().is_some_and(|agg| !agg.inside_call);
        if !allowed {
            let nested = scope.agg.is_some();
            let mut diagnostic = if nested {
                Diagnostic::error(Code::E0314, format!("aggregate `{fname}` inside another aggregate"))
                    .with_primary(span, "aggregates cannot be nested")
                    .with_help("aggregate the plain value, or compute it in an earlier `group by`")
            } else {
                Diagnostic::error(Code::E0313, format!("aggregate function `{fname}` used outside `aggregate`"))
                    .with_primary(span, "aggregates many records")
                    .with_help("use it in `group by KEYS aggregate { name: ... }`")
            };
            if matches!(fname, "min" | "max") {
                diagnostic = diagnostic.with_note(format!(
                    "for the {} of two values, write `{fname}(a, b)`",
                    if fname == "min" { "smaller" } else { "larger" }
                ));
            }
            self.report(diagnostic);
            return error_expr(span);
        }
        let (min, max) = if fname == "count" { (0, 1) } else { (1, 1) };
        if args.len() < min || args.len() > max {
            let expected = if fname == "count" { "0 or 1 arguments".to_string() } else { "1 argument".to_string() };
            self.report(
                Diagnostic::error(Code::E0304, format!("`{fname}` takes {expected}, but {} were given", args.len()))
                    .with_primary(span, format!("expected {expected}"))
                    .with_help(if fname == "count" {
                        "`count()` counts rows, `count(x)` counts non-null values of x"
                    } else {
                        "aggregates take one expression, e.g. `sum(bytes)`"
                    }),
            );
            return error_expr(span);
        }
        let arg = args.first().map(|arg| {
            if let Some(agg) = scope.agg.as_mut() {
                agg.inside_call = true;
            }
            let checked = self.expr(arg, scope);
            if let Some(agg) = scope.agg.as_mut() {
                agg.inside_call = false;
            }
            checked
        });
        let arg_ty = arg.as_ref().map(|a| a.ty.clone());
        if arg_ty.as_ref().is_some_and(Type::is_error) {
            return error_expr(span);
        }
        let optional = arg_ty.as_ref().is_some_and(Type::is_optional);
        let base = arg_ty.as_ref().map(|t| t.non_optional().clone());
        let bad = |expected: &str| {
            let arg = arg.as_ref().expect("one argument");
            self.report(
                Diagnostic::error(Code::E0305, format!("`{fname}` expects {expected}, found `{}`", arg.ty))
                    .with_primary(arg.span, format!("expected {expected}"))
                    .with_help(format!(
                        "aggregate a value of the right type, e.g. a converted one: `{fname}(float(...))`"
                    )),
            );
            error_expr(span)
        };
        use Type::*;
        let (func, ty) = match (fname, &base) {
            ("count", None) => (AggFunc::CountRows, Int),
            ("count", Some(_)) => (AggFunc::Count, Int),
            ("count_distinct", Some(t)) if t.is_scalar() => (AggFunc::CountDistinct, Int),
            ("count_distinct", _) => return bad("a scalar"),
            ("sum", Some(Int | Float | Duration)) => (AggFunc::Sum, base.clone().unwrap_or(Int).optional_if(optional)),
            ("sum", Some(Type::String)) => {
                let arg = arg.as_ref().expect("one argument");
                self.report(
                    Diagnostic::error(Code::E0305, format!("`sum` expects a number, found `{}`", arg.ty))
                        .with_primary(arg.span, "this is text")
                        .with_help(format!("parse it: `sum(parse_float({}) ?? 0.0)`", self.snippet(arg.span))),
                );
                return error_expr(span);
            }
            ("sum", _) => return bad("`int`, `float` or `duration`"),
            ("avg", Some(Int | Float)) => (AggFunc::Avg, Float.optional_if(optional)),
            ("avg", _) => return bad("`int` or `float`"),
            ("min" | "max", Some(Int | Float | String | Timestamp | Duration)) => {
                let func = if fname == "min" { AggFunc::Min } else { AggFunc::Max };
                (func, base.clone().unwrap_or(Int).optional_if(optional))
            }
            ("min" | "max", _) => return bad("an ordered value (number, string, timestamp, duration)"),
            ("first" | "last", Some(Null)) | ("collect", Some(Null)) => return bad("a typed value"),
            ("first" | "last", Some(t)) => {
                let func = if fname == "first" { AggFunc::First } else { AggFunc::Last };
                (func, t.clone().optional_if(optional))
            }
            ("collect", Some(t)) => (AggFunc::Collect, List(Box::new(t.clone()))),
            _ => return error_expr(span),
        };
        let agg = scope.agg.as_mut().expect("checked above");
        let index = agg.calls.len();
        agg.calls.push(AggCall { func, arg, ty: ty.clone(), span });
        texpr(ty, span, TExprKind::Agg(index))
    }
}

/// How to convert a value of `from` into `to`, quoting the user's expression.
fn conversion_help(from: &Type, to: &Type, text: &str) -> String {
    match (from.non_optional(), to.non_optional()) {
        (Type::Int, Type::Float) => format!("convert it: `float({text})`"),
        (Type::Float, Type::Int) => format!("convert it: `int({text})` (truncates) or `int(round({text}))`"),
        (Type::String, Type::Int) => {
            format!("parse it: `parse_int({text}) ?? 0`, or `int({text})` (a bad value is a runtime fault)")
        }
        (Type::String, Type::Float) => format!("parse it: `parse_float({text}) ?? 0.0`, or `float({text})`"),
        (_, Type::String) => format!("convert it: `string({text})`"),
        (Type::Int | Type::String, Type::Timestamp) => format!("convert it: `to_timestamp({text})`"),
        (Type::Timestamp | Type::Duration, Type::Int) => format!("convert it: `millis({text})`"),
        _ => format!("pass a value of type `{to}`"),
    }
}

/// A help that fits the regex error.
fn regex_help(detail: &str) -> &'static str {
    if detail.contains("look-around") || detail.contains("backreference") {
        "look-around and backreferences are not supported: split the test into several `regex_match` calls joined with `&&` and `!`"
    } else if detail.contains("unclosed") || detail.contains("unopened") {
        "balance the parentheses, or match a literal parenthesis with `\\\\(`"
    } else if detail.contains("size limit") {
        "the pattern is too large: simplify it (bounded repetitions like `{1000}` multiply its size)"
    } else {
        "escape special characters with `\\\\`, as in \"\\\\d+\\\\.\\\\d+\""
    }
}
