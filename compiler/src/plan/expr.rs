//! Typed expressions. Every node knows its type; implicit conversions are explicit nodes.

use super::Type;
use crate::source::Span;

#[derive(Clone, Debug, PartialEq)]
pub struct TExpr {
    pub ty: Type,
    pub span: Span,
    pub kind: TExprKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Int(i64),
    Float(f64),
    Bool(bool),
    String(String),
    Duration(i64),
    Timestamp(i64),
    Null,
}

impl std::fmt::Display for Literal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Literal::Int(v) => write!(f, "{v}"),
            Literal::Float(v) => write!(f, "{v:?}"),
            Literal::Bool(v) => write!(f, "{v}"),
            Literal::String(v) => write!(f, "{v:?}"),
            Literal::Duration(v) => f.write_str(&super::format_duration(*v)),
            Literal::Timestamp(v) => write!(f, "timestamp({v})"),
            Literal::Null => f.write_str("null"),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum TExprKind {
    Literal(Literal),
    /// A field of the record flowing into the stage.
    Field(String),
    /// A `param`, read once at start.
    Param(String),
    /// `.field` of a record value.
    GetField(Box<TExpr>, String),
    /// `list[index]`; out of range is a runtime fault.
    Index(Box<TExpr>, Box<TExpr>),
    Call(Builtin, Vec<TExpr>),
    Extern(String, Vec<TExpr>),
    Unary(UnOp, Box<TExpr>),
    Binary(BinOp, Box<TExpr>, Box<TExpr>),
    If(Box<TExpr>, Box<TExpr>, Box<TExpr>),
    /// int -> float widening, inserted by the checker.
    ToFloat(Box<TExpr>),
    /// Inside `aggregate`: the result of the n-th aggregate call.
    Agg(usize),
    /// Inside `aggregate`: a group key's value.
    Key(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Not,
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    /// `string + string`.
    Concat,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Coalesce,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add | BinOp::Concat => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "&&",
            BinOp::Or => "||",
            BinOp::Coalesce => "??",
        }
    }
}

macro_rules! builtins {
    ($($variant:ident = $name:literal,)*) => {
        /// A built-in scalar function.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Builtin { $($variant,)* }

        impl Builtin {
            pub const ALL: &'static [Builtin] = &[$(Builtin::$variant,)*];
            pub fn name(self) -> &'static str {
                match self { $(Builtin::$variant => $name,)* }
            }
            pub fn from_name(name: &str) -> Option<Builtin> {
                match name { $($name => Some(Builtin::$variant),)* _ => None }
            }
        }
    };
}

builtins! {
    Lower = "lower",
    Upper = "upper",
    Trim = "trim",
    Len = "len",
    Contains = "contains",
    StartsWith = "starts_with",
    EndsWith = "ends_with",
    Substr = "substr",
    Replace = "replace",
    Split = "split",
    Concat = "concat",
    RegexMatch = "regex_match",
    RegexExtract = "regex_extract",
    Abs = "abs",
    Round = "round",
    Floor = "floor",
    Ceil = "ceil",
    Min = "min",
    Max = "max",
    Int = "int",
    Float = "float",
    String = "string",
    ParseInt = "parse_int",
    ParseFloat = "parse_float",
    Coalesce = "coalesce",
    IsNull = "is_null",
    Now = "now",
    Millis = "millis",
    ToTimestamp = "to_timestamp",
    DateTrunc = "date_trunc",
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AggFunc {
    /// `count()`: rows.
    CountRows,
    /// `count(expr)`: non-null values.
    Count,
    Sum,
    Min,
    Max,
    Avg,
    CountDistinct,
    First,
    Last,
    Collect,
}

impl AggFunc {
    pub fn name(self) -> &'static str {
        match self {
            AggFunc::CountRows | AggFunc::Count => "count",
            AggFunc::Sum => "sum",
            AggFunc::Min => "min",
            AggFunc::Max => "max",
            AggFunc::Avg => "avg",
            AggFunc::CountDistinct => "count_distinct",
            AggFunc::First => "first",
            AggFunc::Last => "last",
            AggFunc::Collect => "collect",
        }
    }
}

/// One accumulator of an `aggregate` block.
#[derive(Clone, Debug, PartialEq)]
pub struct AggCall {
    pub func: AggFunc,
    pub arg: Option<TExpr>,
    /// The result type.
    pub ty: Type,
    pub span: Span,
}
