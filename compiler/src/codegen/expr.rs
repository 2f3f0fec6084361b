//! Expressions -> Rust. Null handling is explicit: an operation on optional
//! operands becomes a `match` that yields `None` when any is null; faulting
//! operations call checked runtime helpers and propagate with `?`.

use super::cx::{field_ident, Cx};
use crate::plan::{BinOp, Builtin, Literal, TExpr, TExprKind, Type, UnOp};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// How an operand is passed to an operation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// An owned value (Copy types are always passed this way).
    Value,
    /// `&str`, `&[T]`, `&Record`.
    Borrow,
}

pub struct ExprGen<'c, 'p> {
    pub cx: &'c Cx<'p>,
    /// The record the expression reads (a value or a reference).
    pub rec: TokenStream,
    pub params: TokenStream,
    /// Inside `aggregate { ... }`: each aggregate call's finished value.
    pub aggs: Vec<TokenStream>,
    /// Inside `aggregate { ... }`: each group key's value.
    pub keys: Vec<(String, TokenStream)>,
    /// Fields of the record held as `Cow<str>` (a borrowed twin).
    pub cow: Vec<String>,
}

fn is_copy(ty: &Type) -> bool {
    match ty {
        Type::Int | Type::Float | Type::Bool | Type::Timestamp | Type::Duration | Type::Null | Type::Error => true,
        Type::Optional(inner) => is_copy(inner),
        _ => false,
    }
}

impl<'c, 'p> ExprGen<'c, 'p> {
    pub fn new(cx: &'c Cx<'p>, rec: TokenStream, params: TokenStream) -> Self {
        ExprGen { cx, rec, params, aggs: Vec::new(), keys: Vec::new(), cow: Vec::new() }
    }

    /// The record is a borrowed twin with these `Cow<str>` fields.
    pub fn with_cow(mut self, cow: &[String]) -> Self {
        self.cow = cow.to_vec();
        self
    }

    fn rt(&self) -> &TokenStream {
        &self.cx.rt
    }

    /// A place expression (readable without evaluating anything), if `e` is one.
    pub fn place(&self, e: &TExpr) -> Option<TokenStream> {
        match &e.kind {
            TExprKind::Field(name) => {
                let rec = &self.rec;
                let f = field_ident(name);
                Some(quote!(#rec.#f))
            }
            TExprKind::Param(name) => {
                let params = &self.params;
                let f = field_ident(name);
                Some(quote!(#params.#f))
            }
            TExprKind::GetField(base, name) if !base.ty.is_optional() => {
                let base = self.place(base)?;
                let f = field_ident(name);
                Some(quote!(#base.#f))
            }
            _ => None,
        }
    }

    /// The owned value of `e`, of Rust type `rust_type(e.ty)`.
    pub fn value(&self, e: &TExpr) -> TokenStream {
        if let TExprKind::Field(name) = &e.kind {
            if self.cow.contains(name) {
                let place = self.place(e).unwrap_or_default();
                return if e.ty.is_optional() {
                    quote!(#place.as_deref().map(String::from))
                } else {
                    quote!(String::from(&*#place))
                };
            }
        }
        if let Some(place) = self.place(e) {
            return if is_copy(&e.ty) { place } else { quote!(#place.clone()) };
        }
        self.compute(e)
    }

    /// `e` converted to `target` (wrapping in `Some` or giving `None` for null).
    pub fn value_as(&self, e: &TExpr, target: &Type) -> TokenStream {
        if e.ty == Type::Null {
            return quote!(None);
        }
        let value = self.value(e);
        if target.is_optional() && !e.ty.is_optional() {
            quote!(Some(#value))
        } else {
            value
        }
    }

    /// The borrowed form of `e`: `&str` for strings, `&[T]` for lists, `&R` for records.
    pub fn borrowed(&self, e: &TExpr) -> TokenStream {
        if is_copy(&e.ty) {
            return self.value(e);
        }
        // A string literal is already a `&'static str`: no allocation per record.
        if let TExprKind::Literal(Literal::String(text)) = &e.kind {
            return quote!(#text);
        }
        let (expr, optional) = match self.place(e) {
            Some(place) => (place, e.ty.is_optional()),
            None => {
                let value = self.compute(e);
                (quote!((#value)), e.ty.is_optional())
            }
        };
        match (e.ty.non_optional(), optional) {
            (Type::String | Type::List(_), false) => quote!(&#expr[..]),
            (Type::String | Type::List(_), true) => quote!(#expr.as_deref()),
            (_, false) => quote!(&#expr),
            (_, true) => quote!(#expr.as_ref()),
        }
    }

    fn operand(&self, e: &TExpr, mode: Mode) -> TokenStream {
        match mode {
            Mode::Value => self.value(e),
            Mode::Borrow => self.borrowed(e),
        }
    }

    /// Applies `body` to the operands, yielding null when an optional operand is null.
    /// `body` gets one identifier per operand, bound to its non-null form.
    fn lift(
        &self,
        operands: &[(&TExpr, Mode)],
        body_is_option: bool,
        result_optional: bool,
        body: impl FnOnce(&[TokenStream]) -> TokenStream,
    ) -> TokenStream {
        let names: Vec<TokenStream> = (0..operands.len())
            .map(|i| {
                let v = format_ident!("v{}", i);
                quote!(#v)
            })
            .collect();
        let any_optional = operands.iter().any(|(e, _)| e.ty.is_optional());
        let body_tokens = body(&names);
        let wrapped = if body_is_option || !result_optional { body_tokens } else { quote!(Some(#body_tokens)) };
        if !any_optional {
            let bindings = operands.iter().zip(&names).map(|((e, mode), name)| {
                let value = self.operand(e, *mode);
                quote!(let #name = #value;)
            });
            return quote!({ #(#bindings)* #wrapped });
        }
        let scrutinee =
            operands.iter().map(
                |(e, mode)| {
                    if e.ty == Type::Null {
                        quote!(None::<()>)
                    } else {
                        self.operand(e, *mode)
                    }
                },
            );
        let patterns =
            operands.iter().zip(&names).map(
                |((e, _), name)| {
                    if e.ty.is_optional() {
                        quote!(Some(#name))
                    } else {
                        quote!(#name)
                    }
                },
            );
        quote! {
            match (#(#scrutinee,)*) {
                (#(#patterns,)*) => #wrapped,
                #[allow(unreachable_patterns, reason = "generated")]
                _ => None,
            }
        }
    }

    /// Evaluates a non-place expression.
    fn compute(&self, e: &TExpr) -> TokenStream {
        let rt = self.rt().clone();
        let optional = e.ty.is_optional();
        match &e.kind {
            TExprKind::Literal(literal) => match literal {
                Literal::Int(v) => quote!(#v),
                Literal::Float(v) => {
                    if v.is_finite() {
                        quote!(#v)
                    } else {
                        quote!(f64::NAN)
                    }
                }
                Literal::Bool(v) => quote!(#v),
                Literal::String(v) => quote!(String::from(#v)),
                Literal::Duration(v) => quote!(#rt::Duration(#v)),
                Literal::Timestamp(v) => quote!(#rt::Timestamp(#v)),
                Literal::Null => quote!(None),
            },
            TExprKind::Field(_) | TExprKind::Param(_) => self.place(e).unwrap_or_default(),
            TExprKind::GetField(base, name) => {
                let f = field_ident(name);
                let base_borrowed = self.borrowed(base);
                if base.ty.is_optional() {
                    // The field of a null record is null.
                    let field_ty = match base.ty.non_optional() {
                        Type::Record(r) => r.field(name).map(|f| f.ty.clone()).unwrap_or(Type::Error),
                        _ => Type::Error,
                    };
                    if field_ty.is_optional() {
                        quote!(#base_borrowed.and_then(|r| r.#f.clone()))
                    } else {
                        quote!(#base_borrowed.map(|r| r.#f.clone()))
                    }
                } else {
                    quote!((#base_borrowed).#f.clone())
                }
            }
            TExprKind::Index(list, index) => {
                self.lift(&[(list, Mode::Borrow), (index, Mode::Value)], false, optional, |v| {
                    let (l, i) = (&v[0], &v[1]);
                    quote!(#rt::functions::index(#l, #i)?)
                })
            }
            TExprKind::ToFloat(inner) => self.lift(&[(inner, Mode::Value)], false, optional, |v| {
                let x = &v[0];
                quote!(#x as f64)
            }),
            TExprKind::Unary(op, operand) => {
                let ty = operand.ty.non_optional().clone();
                self.lift(&[(operand, Mode::Value)], false, optional, |v| {
                    let x = &v[0];
                    match (op, ty) {
                        (UnOp::Not, _) => quote!(!#x),
                        (UnOp::Neg, Type::Int) => quote!(#rt::functions::neg_int(#x)?),
                        (UnOp::Neg, Type::Duration) => quote!(#rt::functions::neg_duration(#x)?),
                        (UnOp::Neg, _) => quote!(-#x),
                    }
                })
            }
            TExprKind::Binary(op, lhs, rhs) => self.binary(*op, lhs, rhs, &e.ty),
            TExprKind::If(cond, then, otherwise) => {
                let test = self.truth(cond);
                let a = self.value_as(then, &e.ty);
                let b = self.value_as(otherwise, &e.ty);
                quote!(if #test { #a } else { #b })
            }
            TExprKind::Call(builtin, args) => self.call(*builtin, args, &e.ty),
            TExprKind::Extern(name, args) => self.extern_call(name, args),
            TExprKind::Agg(index) => self.aggs.get(*index).cloned().unwrap_or_default(),
            TExprKind::Key(name) => {
                self.keys.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
            }
        }
    }

    /// A condition as a Rust `bool`: null counts as false.
    pub fn truth(&self, cond: &TExpr) -> TokenStream {
        match &cond.ty {
            Type::Null => quote!(false),
            ty if ty.is_optional() => {
                let value = self.value(cond);
                quote!((#value == Some(true)))
            }
            _ => self.value(cond),
        }
    }

    fn binary(&self, op: BinOp, lhs: &TExpr, rhs: &TExpr, result: &Type) -> TokenStream {
        let rt = self.rt().clone();
        let optional = result.is_optional();
        let (l, r) = (lhs.ty.non_optional().clone(), rhs.ty.non_optional().clone());
        match op {
            BinOp::And | BinOp::Or => {
                if !lhs.ty.is_optional() && !rhs.ty.is_optional() {
                    let (a, b) = (self.value(lhs), self.value(rhs));
                    return if op == BinOp::And { quote!((#a && #b)) } else { quote!((#a || #b)) };
                }
                // SQL three-valued logic, short-circuiting on the deciding value.
                let a = self.value_as(lhs, &Type::Bool.optional());
                let b = self.value_as(rhs, &Type::Bool.optional());
                let decisive = op == BinOp::Or;
                quote! {{
                    let l: Option<bool> = #a;
                    if l == Some(#decisive) {
                        Some(#decisive)
                    } else {
                        let r: Option<bool> = #b;
                        if r == Some(#decisive) { Some(#decisive) } else if l.is_none() || r.is_none() { None } else { Some(!#decisive) }
                    }
                }}
            }
            BinOp::Coalesce => {
                if !lhs.ty.is_optional() {
                    return self.value_as(lhs, result);
                }
                let a = self.value(lhs);
                let fallback = self.value_as(rhs, result);
                let some = if optional { quote!(Some(v)) } else { quote!(v) };
                quote!(match #a { Some(v) => #some, None => #fallback })
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let mode = if is_copy(&l) { Mode::Value } else { Mode::Borrow };
                let symbol: TokenStream = op.symbol().parse().unwrap_or_default();
                self.lift(&[(lhs, mode), (rhs, mode)], false, optional, |v| {
                    let (a, b) = (&v[0], &v[1]);
                    quote!((#a #symbol #b))
                })
            }
            BinOp::Concat => self.lift(&[(lhs, Mode::Borrow), (rhs, Mode::Borrow)], false, optional, |v| {
                let (a, b) = (&v[0], &v[1]);
                quote!(#rt::functions::concat(&[#a, #b]))
            }),
            _ => {
                let needs_option = matches!(op, BinOp::Div | BinOp::Rem) && l == Type::Float && result.is_optional();
                self.lift(&[(lhs, Mode::Value), (rhs, Mode::Value)], needs_option, optional, |v| {
                    let (a, b) = (&v[0], &v[1]);
                    match (op, &l, &r) {
                        (BinOp::Add, Type::Int, Type::Int) => quote!(#rt::functions::add_int(#a, #b)?),
                        (BinOp::Sub, Type::Int, Type::Int) => quote!(#rt::functions::sub_int(#a, #b)?),
                        (BinOp::Mul, Type::Int, Type::Int) => quote!(#rt::functions::mul_int(#a, #b)?),
                        (BinOp::Div, Type::Int, Type::Int) => quote!(#rt::functions::div_int(#a, #b)?),
                        (BinOp::Rem, Type::Int, Type::Int) => quote!(#rt::functions::rem_int(#a, #b)?),
                        (BinOp::Add, Type::Timestamp, Type::Duration) => quote!(#rt::functions::add_time(#a, #b)?),
                        (BinOp::Add, Type::Duration, Type::Timestamp) => quote!(#rt::functions::add_time(#b, #a)?),
                        (BinOp::Sub, Type::Timestamp, Type::Duration) => quote!(#rt::functions::sub_time(#a, #b)?),
                        (BinOp::Sub, Type::Timestamp, Type::Timestamp) => quote!(#rt::functions::time_between(#a, #b)?),
                        (BinOp::Add, Type::Duration, Type::Duration) => quote!(#rt::functions::add_duration(#a, #b)?),
                        (BinOp::Sub, Type::Duration, Type::Duration) => quote!(#rt::functions::sub_duration(#a, #b)?),
                        (BinOp::Mul, Type::Duration, Type::Int) => quote!(#rt::functions::mul_duration(#a, #b)?),
                        (BinOp::Mul, Type::Int, Type::Duration) => quote!(#rt::functions::mul_duration(#b, #a)?),
                        (BinOp::Div, Type::Duration, Type::Int) => quote!(#rt::functions::div_duration(#a, #b)?),
                        (BinOp::Div, _, _) if needs_option => quote!(#rt::functions::div_float(#a, #b)),
                        (BinOp::Rem, _, _) if needs_option => quote!(#rt::functions::rem_float(#a, #b)),
                        (BinOp::Add, _, _) => quote!((#a + #b)),
                        (BinOp::Sub, _, _) => quote!((#a - #b)),
                        (BinOp::Mul, _, _) => quote!((#a * #b)),
                        (BinOp::Div, _, _) => quote!((#a / #b)),
                        _ => quote!((#a % #b)),
                    }
                })
            }
        }
    }

    fn call(&self, builtin: Builtin, args: &[TExpr], result: &Type) -> TokenStream {
        let rt = self.rt().clone();
        let optional = result.is_optional();
        let f = |name: &str| -> TokenStream {
            let ident = format_ident!("{}", name);
            quote!(#rt::functions::#ident)
        };
        let base0 = args.first().map(|a| a.ty.non_optional().clone()).unwrap_or(Type::Error);
        let unary = |mode: Mode, body_is_option: bool, body: &dyn Fn(&TokenStream) -> TokenStream| {
            self.lift(&[(&args[0], mode)], body_is_option, optional, |v| body(&v[0]))
        };
        match builtin {
            Builtin::Lower | Builtin::Upper | Builtin::Trim => {
                let func = f(builtin.name());
                unary(Mode::Borrow, false, &|x| quote!(#func(#x)))
            }
            Builtin::Len => {
                let func = if base0 == Type::String { f("len_string") } else { f("len_list") };
                unary(Mode::Borrow, false, &|x| quote!(#func(#x)))
            }
            Builtin::Contains => {
                if base0 == Type::String {
                    let func = f("contains");
                    self.lift(&[(&args[0], Mode::Borrow), (&args[1], Mode::Borrow)], false, optional, |v| {
                        let (a, b) = (&v[0], &v[1]);
                        quote!(#func(#a, #b))
                    })
                } else if matches!(&base0, Type::List(e) if **e == Type::String) {
                    let func = f("list_contains_str");
                    self.lift(&[(&args[0], Mode::Borrow), (&args[1], Mode::Borrow)], false, optional, |v| {
                        let (a, b) = (&v[0], &v[1]);
                        quote!(#func(#a, #b))
                    })
                } else {
                    let func = f("list_contains");
                    let widen = matches!(&base0, Type::List(e) if **e == Type::Float)
                        && args[1].ty.non_optional() == &Type::Int;
                    self.lift(&[(&args[0], Mode::Borrow), (&args[1], Mode::Value)], false, optional, |v| {
                        let (a, b) = (&v[0], &v[1]);
                        if widen {
                            quote!(#func(#a, &(#b as f64)))
                        } else {
                            quote!(#func(#a, &#b))
                        }
                    })
                }
            }
            Builtin::StartsWith | Builtin::EndsWith | Builtin::Split => {
                let func = f(builtin.name());
                self.lift(&[(&args[0], Mode::Borrow), (&args[1], Mode::Borrow)], false, optional, |v| {
                    let (a, b) = (&v[0], &v[1]);
                    quote!(#func(#a, #b))
                })
            }
            Builtin::Substr => {
                let func = f("substr");
                let operands: Vec<(&TExpr, Mode)> = args
                    .iter()
                    .enumerate()
                    .map(|(i, a)| (a, if i == 0 { Mode::Borrow } else { Mode::Value }))
                    .collect();
                let has_len = args.len() == 3;
                self.lift(&operands, false, optional, |v| {
                    let (s, start) = (&v[0], &v[1]);
                    if has_len {
                        let len = &v[2];
                        quote!(#func(#s, #start, Some(#len)))
                    } else {
                        quote!(#func(#s, #start, None))
                    }
                })
            }
            Builtin::Replace => {
                let func = f("replace");
                let operands: Vec<(&TExpr, Mode)> = args.iter().map(|a| (a, Mode::Borrow)).collect();
                self.lift(&operands, false, optional, |v| {
                    let (a, b, c) = (&v[0], &v[1], &v[2]);
                    quote!(#func(#a, #b, #c))
                })
            }
            Builtin::Concat => {
                let func = f("concat");
                let operands: Vec<(&TExpr, Mode)> = args.iter().map(|a| (a, Mode::Borrow)).collect();
                self.lift(&operands, false, optional, |v| quote!(#func(&[#(#v),*])))
            }
            Builtin::RegexMatch | Builtin::RegexExtract => {
                let pattern = match &args[1].kind {
                    TExprKind::Literal(Literal::String(p)) => p.clone(),
                    _ => String::new(),
                };
                let re = self.cx.regex(&pattern);
                if builtin == Builtin::RegexMatch {
                    let func = f("regex_match");
                    unary(Mode::Borrow, false, &|x| quote!(#func(&#re, #x)))
                } else {
                    let group = match args.get(2).map(|a| &a.kind) {
                        Some(TExprKind::Literal(Literal::Int(g))) => *g as usize,
                        _ => usize::from(regex::Regex::new(&pattern).map(|r| r.captures_len() > 1).unwrap_or(false)),
                    };
                    let func = f("regex_extract");
                    unary(Mode::Borrow, true, &|x| quote!(#func(&#re, #x, #group)))
                }
            }
            Builtin::Abs => {
                if base0 == Type::Int {
                    let func = f("abs_int");
                    unary(Mode::Value, false, &|x| quote!(#func(#x)?))
                } else {
                    let func = f("abs_float");
                    unary(Mode::Value, false, &|x| quote!(#func(#x)))
                }
            }
            Builtin::Round | Builtin::Floor | Builtin::Ceil => {
                if base0 == Type::Int {
                    return self.value_as(&args[0], result);
                }
                let digits = match args.get(1).map(|a| &a.kind) {
                    Some(TExprKind::Literal(Literal::Int(d))) => *d,
                    _ => 0,
                };
                let func = match builtin {
                    Builtin::Round => f("round_float"),
                    Builtin::Floor => f("floor_float"),
                    _ => f("ceil_float"),
                };
                if builtin == Builtin::Round {
                    self.lift(&[(&args[0], Mode::Value)], false, optional, |v| {
                        let x = &v[0];
                        quote!(#func(#x, #digits))
                    })
                } else {
                    unary(Mode::Value, false, &|x| quote!(#func(#x)))
                }
            }
            Builtin::Min | Builtin::Max => {
                let func = if builtin == Builtin::Min { f("min_of") } else { f("max_of") };
                self.lift(&[(&args[0], Mode::Value), (&args[1], Mode::Value)], false, optional, |v| {
                    let (a, b) = (&v[0], &v[1]);
                    quote!(#func(#a, #b))
                })
            }
            Builtin::Int => match base0 {
                Type::Int => self.value_as(&args[0], result),
                Type::Float => {
                    let func = f("int_of_float");
                    unary(Mode::Value, false, &|x| quote!(#func(#x)?))
                }
                Type::String => {
                    let func = f("int_of_string");
                    unary(Mode::Borrow, false, &|x| quote!(#func(#x)?))
                }
                Type::Bool => unary(Mode::Value, false, &|x| quote!(i64::from(#x))),
                _ => unary(Mode::Value, false, &|x| quote!(#x.0)),
            },
            Builtin::Float => match base0 {
                Type::Float => self.value_as(&args[0], result),
                Type::String => {
                    let func = f("float_of_string");
                    unary(Mode::Borrow, false, &|x| quote!(#func(#x)?))
                }
                _ => unary(Mode::Value, false, &|x| quote!((#x as f64))),
            },
            Builtin::String => match base0 {
                Type::String => self.value_as(&args[0], result),
                Type::Float => {
                    let func = f("string_of_float");
                    unary(Mode::Value, false, &|x| quote!(#func(#x)))
                }
                Type::Duration => unary(Mode::Value, false, &|x| quote!(#x.0.to_string())),
                _ => unary(Mode::Value, false, &|x| quote!(#x.to_string())),
            },
            Builtin::ParseInt | Builtin::ParseFloat => {
                let func = f(builtin.name());
                unary(Mode::Borrow, true, &|x| quote!(#func(#x)))
            }
            Builtin::Coalesce => {
                let mut iter = args.iter().rev();
                let last = iter.next().expect("coalesce has arguments");
                let mut acc = self.value_as(last, result);
                for arg in iter {
                    if !arg.ty.is_optional() {
                        acc = self.value_as(arg, result);
                        continue;
                    }
                    let value = self.value(arg);
                    let some = if optional { quote!(Some(v)) } else { quote!(v) };
                    acc = quote!(match #value { Some(v) => #some, None => #acc });
                }
                acc
            }
            Builtin::IsNull => match &args[0].ty {
                Type::Null => quote!(true),
                ty if ty.is_optional() => {
                    let value = self.borrowed(&args[0]);
                    quote!(#value.is_none())
                }
                _ => quote!(false),
            },
            Builtin::Now => quote!(#rt::Timestamp::now()),
            Builtin::Millis => unary(Mode::Value, false, &|x| quote!(#x.0)),
            Builtin::ToTimestamp => {
                if base0 == Type::Int {
                    unary(Mode::Value, false, &|x| quote!(#rt::Timestamp(#x)))
                } else {
                    let func = f("to_timestamp_string");
                    unary(Mode::Borrow, false, &|x| quote!(#func(#x)?))
                }
            }
            Builtin::DateTrunc => {
                let unit = match &args[0].kind {
                    TExprKind::Literal(Literal::String(u)) => u.as_str(),
                    _ => "second",
                };
                let unit = format_ident!("{}", super::cx::camel(unit));
                let func = f("date_trunc");
                self.lift(&[(&args[1], Mode::Value)], false, optional, |v| {
                    let x = &v[0];
                    quote!(#func(#rt::functions::TruncUnit::#unit, #x))
                })
            }
        }
    }

    /// A call of a user's Rust function: arguments by the extern fn type table
    /// (strings as `&str`, lists as `&[T]`, records by reference), a panic becomes a fault.
    fn extern_call(&self, name: &str, args: &[TExpr]) -> TokenStream {
        let rt = self.rt().clone();
        let Some(ext) = self.cx.plan.externs.iter().find(|e| e.name == name) else { return quote!(()) };
        let mut bindings = Vec::new();
        let mut passed = Vec::new();
        for (i, (arg, param)) in args.iter().zip(&ext.params).enumerate() {
            let v = format_ident!("a{}", i);
            let value = self.value_as(arg, &param.ty);
            let ty = self.cx.rust_type(&param.ty, "ExternArg");
            bindings.push(quote!(let #v: #ty = #value;));
            passed.push(match (param.ty.non_optional(), param.ty.is_optional()) {
                (ty, _) if is_copy(ty) => quote!(#v),
                (Type::String | Type::List(_), true) => quote!(#v.as_deref()),
                (_, true) => quote!(#v.as_ref()),
                (_, false) => quote!(&#v),
            });
        }
        let message = format!("extern fn `{name}` panicked");
        // Calls go through a typed fn pointer declared with the `extern fn` (by
        // `stream!` at the user's declaration), so a signature mismatch is reported there.
        let callee = super::program::extern_guard(name);
        quote! {{
            #(#bindings)*
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| #callee(#(#passed),*)))
                .map_err(|panic| #rt::Fault::new(format!("{}: {}", #message, #rt::fault::panic_message(&*panic))))?
        }}
    }
}
