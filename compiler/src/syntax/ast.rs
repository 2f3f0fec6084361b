//! The abstract syntax tree: what the user wrote, with a span on every node.

use crate::source::{Span, Spanned};

pub type Ident = Spanned<String>;

#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Schema(Schema),
    Param(Param),
    Source(SourceDecl),
    Sink(SinkDecl),
    Extern(ExternFn),
    Pipeline(Pipeline),
}

impl Item {
    pub fn name(&self) -> &Ident {
        match self {
            Item::Schema(item) => &item.name,
            Item::Param(item) => &item.name,
            Item::Source(item) => &item.name,
            Item::Sink(item) => &item.name,
            Item::Extern(item) => &item.name,
            Item::Pipeline(item) => &item.name,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Item::Schema(_) => "schema",
            Item::Param(_) => "param",
            Item::Source(_) => "source",
            Item::Sink(_) => "sink",
            Item::Extern(_) => "extern fn",
            Item::Pipeline(_) => "pipeline",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Schema {
    pub span: Span,
    pub name: Ident,
    pub fields: Vec<FieldDecl>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FieldDecl {
    pub name: Ident,
    pub ty: TypeExpr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TypeExpr {
    pub span: Span,
    pub kind: TypeKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TypeKind {
    Int,
    Float,
    Bool,
    String,
    Timestamp,
    Duration,
    Named(String),
    List(Box<TypeExpr>),
    Record(Vec<FieldDecl>),
    Optional(Box<TypeExpr>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub span: Span,
    pub name: Ident,
    pub ty: TypeExpr,
    pub default: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SourceDecl {
    pub span: Span,
    pub name: Ident,
    pub ty: TypeExpr,
    pub connector: Ident,
    pub options: Options,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SinkDecl {
    pub span: Span,
    pub name: Ident,
    pub connector: Ident,
    pub options: Options,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    pub span: Span,
    pub entries: Vec<OptionEntry>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OptionEntry {
    pub name: Ident,
    pub value: OptionValue,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OptionValue {
    pub span: Span,
    pub kind: OptionValueKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum OptionValueKind {
    /// A bare word: an enum value (`json`, `earliest`) or a name (`user_id`, a sink).
    Word(String),
    String(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Duration(i64),
    List(Vec<OptionValue>),
    Call(Ident, Vec<OptionValue>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExternFn {
    pub span: Span,
    pub name: Ident,
    pub params: Vec<FieldDecl>,
    pub ret: TypeExpr,
    pub path: Option<Spanned<String>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Pipeline {
    pub span: Span,
    pub name: Ident,
    pub from: Vec<Ident>,
    pub stages: Vec<Stage>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    pub span: Span,
    pub kind: StageKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StageKind {
    Where(Expr),
    Select(Vec<FieldItem>),
    Extend(Vec<FieldItem>),
    Explode { field: Ident, alias: Option<Ident> },
    Dedupe { keys: Vec<Expr>, within: DurationValue, on: Option<Ident> },
    Group { keys: Vec<GroupKey>, window: Option<Window>, aggregates: Vec<FieldItem> },
    Join { left: bool, table: Ident, on: Expr },
    To(Ident),
}

impl StageKind {
    pub fn keyword(&self) -> &'static str {
        match self {
            StageKind::Where(_) => "where",
            StageKind::Select(_) => "select",
            StageKind::Extend(_) => "extend",
            StageKind::Explode { .. } => "explode",
            StageKind::Dedupe { .. } => "dedupe",
            StageKind::Group { .. } => "group by",
            StageKind::Join { left: true, .. } => "left join",
            StageKind::Join { .. } => "join",
            StageKind::To(_) => "to",
        }
    }
}

/// `name` or `name: expr` in `select`, `extend` and `aggregate`.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldItem {
    pub span: Span,
    pub name: Ident,
    pub value: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GroupKey {
    pub span: Span,
    pub name: Option<Ident>,
    pub value: Expr,
}

/// A duration written as a literal (`10s`), a param name, or something wrong.
#[derive(Clone, Debug, PartialEq)]
pub struct DurationValue {
    pub span: Span,
    pub kind: DurationKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum DurationKind {
    Millis(i64),
    Param(String),
    /// A plain number where a duration belongs (`tumbling 10`).
    Number(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    pub span: Span,
    pub kind: WindowKind,
    pub on: Option<WindowTime>,
    pub watermark: Option<DurationValue>,
    pub late_to: Option<Ident>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum WindowKind {
    Tumbling { size: DurationValue },
    Sliding { size: DurationValue, every: DurationValue },
    Session { gap: DurationValue },
}

#[derive(Clone, Debug, PartialEq)]
pub enum WindowTime {
    Field(Ident),
    ProcessingTime(Span),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub span: Span,
    pub kind: ExprKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Int(i64),
    Float(f64),
    String(String),
    Bool(bool),
    Null,
    Duration(i64),
    Name(String),
    Field(Box<Expr>, Ident),
    Index(Box<Expr>, Box<Expr>),
    Call(Ident, Vec<Expr>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// Stands in for an expression that failed to parse (its error is already reported).
    Error,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Coalesce,
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Coalesce => "??",
            BinaryOp::Or => "||",
            BinaryOp::And => "&&",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(self, BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge)
    }
}

impl UnaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            UnaryOp::Not => "!",
            UnaryOp::Neg => "-",
        }
    }
}

/// Fully parenthesised, so tests can see exactly how an expression was grouped.
impl std::fmt::Display for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            ExprKind::Int(v) => write!(f, "{v}"),
            ExprKind::Float(v) => write!(f, "{v:?}"),
            ExprKind::String(v) => write!(f, "{v:?}"),
            ExprKind::Bool(v) => write!(f, "{v}"),
            ExprKind::Null => f.write_str("null"),
            ExprKind::Duration(v) => write!(f, "{v}ms"),
            ExprKind::Name(name) => f.write_str(name),
            ExprKind::Field(base, field) => write!(f, "{base}.{}", field.node),
            ExprKind::Index(base, index) => write!(f, "{base}[{index}]"),
            ExprKind::Call(name, args) => {
                write!(f, "{}(", name.node)?;
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{arg}")?;
                }
                f.write_str(")")
            }
            ExprKind::Unary(op, operand) => write!(f, "({}{operand})", op.symbol()),
            ExprKind::Binary(op, lhs, rhs) => write!(f, "({lhs} {} {rhs})", op.symbol()),
            ExprKind::If(c, a, b) => write!(f, "(if {c} then {a} else {b})"),
            ExprKind::Error => f.write_str("<error>"),
        }
    }
}
