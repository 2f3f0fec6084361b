//! The types of the language, as the checker resolved them.

use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub enum Type {
    Int,
    Float,
    Bool,
    String,
    Timestamp,
    Duration,
    /// The type of the literal `null` before it meets another type.
    Null,
    List(Box<Type>),
    Record(RecordType),
    Optional(Box<Type>),
    /// Poison: an error was already reported for this value.
    Error,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RecordType {
    /// The schema name when the record is a declared schema.
    pub name: Option<String>,
    pub fields: Vec<Field>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub name: String,
    pub ty: Type,
}

impl Field {
    pub fn new(name: impl Into<String>, ty: Type) -> Self {
        Field { name: name.into(), ty }
    }
}

impl RecordType {
    pub fn anonymous(fields: Vec<Field>) -> Self {
        RecordType { name: None, fields }
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|field| field.name == name)
    }

    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|field| field.name.as_str())
    }

    /// Same field names and types in the same order (schema names aside).
    pub fn same_shape(&self, other: &RecordType) -> bool {
        self.fields.len() == other.fields.len()
            && self.fields.iter().zip(&other.fields).all(|(a, b)| a.name == b.name && a.ty.same_shape(&b.ty))
    }

    /// Only scalars (and optional scalars): what CSV can hold.
    pub fn is_flat(&self) -> bool {
        self.fields.iter().all(|field| field.ty.non_optional().is_scalar())
    }

    pub fn has_error(&self) -> bool {
        self.fields.iter().any(|field| field.ty.has_error())
    }
}

impl Type {
    pub fn optional(self) -> Type {
        match self {
            Type::Optional(_) | Type::Null | Type::Error => self,
            other => Type::Optional(Box::new(other)),
        }
    }

    pub fn is_optional(&self) -> bool {
        matches!(self, Type::Optional(_) | Type::Null)
    }

    /// `T` for `T?`, else the type itself.
    pub fn non_optional(&self) -> &Type {
        match self {
            Type::Optional(inner) => inner,
            other => other,
        }
    }

    /// Makes the type optional when `optional` holds.
    pub fn optional_if(self, optional: bool) -> Type {
        if optional {
            self.optional()
        } else {
            self
        }
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Type::Error)
    }

    pub fn has_error(&self) -> bool {
        match self {
            Type::Error => true,
            Type::List(inner) | Type::Optional(inner) => inner.has_error(),
            Type::Record(record) => record.has_error(),
            _ => false,
        }
    }

    /// How many types are nested in this one (a scalar is 1).
    pub fn depth(&self) -> usize {
        match self {
            Type::List(inner) | Type::Optional(inner) => 1 + inner.depth(),
            Type::Record(record) => 1 + record.fields.iter().map(|f| f.ty.depth()).max().unwrap_or(0),
            _ => 1,
        }
    }

    pub fn is_scalar(&self) -> bool {
        matches!(
            self,
            Type::Int | Type::Float | Type::Bool | Type::String | Type::Timestamp | Type::Duration | Type::Error
        )
    }

    pub fn is_numeric(&self) -> bool {
        matches!(self, Type::Int | Type::Float)
    }

    pub fn same_shape(&self, other: &Type) -> bool {
        match (self, other) {
            (Type::List(a), Type::List(b)) | (Type::Optional(a), Type::Optional(b)) => a.same_shape(b),
            (Type::Record(a), Type::Record(b)) => a.same_shape(b),
            (Type::Error, _) | (_, Type::Error) => true,
            (a, b) => a == b,
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Int => f.write_str("int"),
            Type::Float => f.write_str("float"),
            Type::Bool => f.write_str("bool"),
            Type::String => f.write_str("string"),
            Type::Timestamp => f.write_str("timestamp"),
            Type::Duration => f.write_str("duration"),
            Type::Null => f.write_str("null"),
            Type::Error => f.write_str("{unknown}"),
            Type::List(inner) => write!(f, "[{inner}]"),
            Type::Optional(inner) => write!(f, "{inner}?"),
            Type::Record(record) => write!(f, "{record}"),
        }
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(name) = &self.name {
            return f.write_str(name);
        }
        f.write_str("{ ")?;
        for (i, field) in self.fields.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}: {}", field.name, field.ty)?;
        }
        f.write_str(" }")
    }
}

impl RecordType {
    /// `{ a: int, b: string }` even for a named schema.
    pub fn structure(&self) -> String {
        RecordType::anonymous(self.fields.clone()).to_string()
    }
}
