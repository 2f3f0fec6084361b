//! Type expressions -> types; schemas resolved by name, recursion detected.

use super::{Checker, ItemRef};
use crate::diagnostics::{Code, Diagnostic};
use crate::plan::{Field, RecordType, Type};
use crate::source::Span;
use crate::syntax::ast::{FieldDecl, TypeExpr, TypeKind};
use std::collections::HashSet;

/// Deepest chain of schemas inside schemas.
const MAX_SCHEMA_DEPTH: usize = 64;

impl Checker<'_> {
    pub(crate) fn resolve_type(&self, ty: &TypeExpr) -> Type {
        match &ty.kind {
            TypeKind::Int => Type::Int,
            TypeKind::Float => Type::Float,
            TypeKind::Bool => Type::Bool,
            TypeKind::String => Type::String,
            TypeKind::Timestamp => Type::Timestamp,
            TypeKind::Duration => Type::Duration,
            TypeKind::List(inner) => Type::List(Box::new(self.resolve_type(inner))),
            TypeKind::Optional(inner) => match self.resolve_type(inner) {
                Type::Optional(_) => {
                    self.report(
                        Diagnostic::error(Code::E0301, "a type cannot be optional twice")
                            .with_primary(ty.span, "`T??` is the same as `T?`")
                            .with_help("remove one `?`"),
                    );
                    Type::Error
                }
                inner => inner.optional(),
            },
            TypeKind::Record(fields) => Type::Record(RecordType::anonymous(self.resolve_fields(fields))),
            TypeKind::Named(name) => self.schema_type(name, ty.span).unwrap_or(Type::Error),
        }
    }

    pub(crate) fn resolve_fields(&self, fields: &[FieldDecl]) -> Vec<Field> {
        let mut seen: HashSet<&str> = HashSet::new();
        let mut out = Vec::with_capacity(fields.len());
        for field in fields {
            if !seen.insert(&field.name.node) {
                let first =
                    fields.iter().find(|f| f.name.node == field.name.node).map(|f| f.name.span).unwrap_or_default();
                self.report(
                    Diagnostic::error(Code::E0207, format!("field `{}` is declared twice", field.name.node))
                        .with_primary(field.name.span, "duplicate field")
                        .with_secondary(first, "first declared here")
                        .with_help("rename or remove one of them"),
                );
                continue;
            }
            out.push(Field::new(field.name.node.clone(), self.resolve_type(&field.ty)));
        }
        out
    }

    /// The type of a named schema; reports unknown names and recursion at `span`.
    pub(crate) fn schema_type(&self, name: &str, span: Span) -> Option<Type> {
        if let Some(state) = self.schemas.borrow().get(name) {
            return match state {
                Some(ty) => Some(ty.clone()),
                None => {
                    self.report(
                        Diagnostic::error(Code::E0214, format!("schema `{name}` contains itself"))
                            .with_primary(span, "recursive use here")
                            .with_help(
                                "a record cannot contain itself; store the nested value as a list or a separate stream",
                            ),
                    );
                    Some(Type::Error)
                }
            };
        }
        let Some(ItemRef::Schema(schema)) = self.items.get(name).copied() else {
            let builtin_like = match name {
                "str" | "String" | "text" | "varchar" => Some("string"),
                "i64" | "integer" | "long" | "bigint" | "i32" => Some("int"),
                "f64" | "double" | "number" | "decimal" | "real" => Some("float"),
                "boolean" => Some("bool"),
                "datetime" | "time" | "date" | "Timestamp" => Some("timestamp"),
                _ => None,
            };
            let schemas = self.names_of(|item| matches!(item, ItemRef::Schema(_)));
            let mut candidates = vec!["int", "float", "bool", "string", "timestamp", "duration"];
            candidates.extend(schemas);
            let mut diagnostic = Diagnostic::error(Code::E0202, format!("unknown type `{name}`"))
                .with_primary(span, "not a built-in type or a schema");
            if let Some(builtin) = builtin_like {
                diagnostic = diagnostic.with_help(format!("use `{builtin}`"));
            } else if let Some(suggestion) = crate::diagnostics::did_you_mean(name, candidates) {
                diagnostic = diagnostic.with_help(format!("did you mean `{suggestion}`?"));
            } else {
                diagnostic = diagnostic.with_help("declare it with `schema NAME { field: type, ... }`");
            }
            self.report(diagnostic);
            return None;
        };
        // Schemas nest through each other: bound the recursion on user input.
        if self.schema_depth.get() >= MAX_SCHEMA_DEPTH {
            self.report(
                Diagnostic::error(Code::E0105, format!("schemas are nested more than {MAX_SCHEMA_DEPTH} levels deep"))
                    .with_primary(span, "nested too deeply here")
                    .with_help("flatten the record: nest fewer schemas inside each other"),
            );
            return Some(Type::Error);
        }
        self.schema_depth.set(self.schema_depth.get() + 1);
        self.schemas.borrow_mut().insert(name.to_string(), None);
        let fields = self.resolve_fields(&schema.fields);
        self.schema_depth.set(self.schema_depth.get() - 1);
        let mut ty = Type::Record(RecordType { name: Some(name.to_string()), fields });
        // Cached schemas nest inside each other: bound the depth of the result too.
        if ty.depth() > MAX_SCHEMA_DEPTH * 2 {
            self.report(
                Diagnostic::error(
                    Code::E0105,
                    format!("schema `{name}` nests more than {} types deep", MAX_SCHEMA_DEPTH * 2),
                )
                .with_primary(schema.name.span, "nested too deeply")
                .with_help("flatten the record: nest fewer schemas inside each other"),
            );
            ty = Type::Error;
        }
        self.schemas.borrow_mut().insert(name.to_string(), Some(ty.clone()));
        Some(ty)
    }
}
