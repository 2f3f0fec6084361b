//! The code generator's context: names of generated types, Rust types of
//! language types, and the statics (regexes) a program needs.

use crate::plan::{RecordType, Type, TypedPlan};
use crate::source::{SourceFile, Span};
use proc_macro2::{Ident, Span as RustSpan, TokenStream};
use quote::{format_ident, quote};
use std::cell::RefCell;

pub struct Cx<'p> {
    pub plan: &'p TypedPlan,
    pub file: &'p SourceFile,
    /// Path of the runtime crate (`::sluice`).
    pub rt: TokenStream,
    structs: RefCell<Vec<(RecordType, Ident)>>,
    borrowed: RefCell<Vec<(RecordType, Ident)>>,
    struct_items: RefCell<Vec<TokenStream>>,
    regexes: RefCell<Vec<(String, Ident)>>,
}

const RUST_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn", "else", "enum",
    "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro", "match", "mod", "move",
    "mut", "override", "priv", "pub", "ref", "return", "static", "struct", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// A field or variable name as a Rust identifier (`type` -> `r#type`, `self` -> `self_`).
pub fn field_ident(name: &str) -> Ident {
    if matches!(name, "self" | "Self" | "super" | "crate" | "_") {
        format_ident!("{}_", name)
    } else if RUST_KEYWORDS.contains(&name) {
        Ident::new_raw(name, RustSpan::call_site())
    } else {
        format_ident!("{}", name)
    }
}

/// Whether the field needs `#[serde(rename)]` (its Rust name differs from its data name).
pub fn needs_rename(name: &str) -> bool {
    matches!(name, "self" | "Self" | "super" | "crate" | "_")
}

/// `page_views` -> `PageViews`.
pub fn camel(name: &str) -> String {
    let mut out = String::new();
    for part in name.split('_').filter(|p| !p.is_empty()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'R');
    }
    out
}

/// `PageViews` -> `page_views`, for function names.
pub fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

impl<'p> Cx<'p> {
    pub fn new(plan: &'p TypedPlan, file: &'p SourceFile, rt: TokenStream) -> Self {
        Cx {
            plan,
            file,
            rt,
            structs: RefCell::new(Vec::new()),
            borrowed: RefCell::new(Vec::new()),
            struct_items: RefCell::new(Vec::new()),
            regexes: RefCell::new(Vec::new()),
        }
    }

    /// `file.pipe:12` for a span.
    pub fn location(&self, span: Span) -> String {
        let (line, _) = self.file.line_col(span.start as usize);
        format!("{}:{line}", self.file.name)
    }

    /// The first line of a span's text, for doc comments.
    pub fn headline(&self, span: Span) -> String {
        self.file.headline(span, 80)
    }

    /// The dead-letter record is the runtime's own type.
    fn is_dead_letter(record: &RecordType) -> bool {
        record.name.as_deref() == Some("DeadLetter") && record.field("payload_encoding").is_some()
    }

    /// The struct for a record type, generated on first use; `hint` names an anonymous one.
    pub fn record(&self, record: &RecordType, hint: &str) -> TokenStream {
        if Self::is_dead_letter(record) {
            let rt = &self.rt;
            return quote!(#rt::io::DeadLetter);
        }
        // The same fields in the same order are one struct, named or not (a union
        // can join a schema's records with a `select` of the same fields).
        if let Some((_, ident)) = self.structs.borrow().iter().find(|(r, _)| r == record || r.same_shape(record)) {
            return quote!(#ident);
        }
        let base = camel(record.name.as_deref().unwrap_or(hint));
        let mut name = base.clone();
        let mut n = 2;
        while self.structs.borrow().iter().any(|(_, ident)| *ident == name) {
            name = format!("{base}{n}");
            n += 1;
        }
        let ident = format_ident!("{}", name);
        self.structs.borrow_mut().push((record.clone(), ident.clone()));
        let rt = &self.rt;
        let fields = record.fields.iter().map(|field| {
            let fname = field_ident(&field.name);
            let ty = self.rust_type(&field.ty, &format!("{name}_{}", field.name));
            let rename = needs_rename(&field.name).then(|| {
                let data_name = &field.name;
                quote!(#[serde(rename = #data_name)])
            });
            quote!(#rename pub #fname: #ty)
        });
        let doc = match &record.name {
            Some(schema) => format!(" `schema {schema}`."),
            None => format!(" Records `{}`.", record.structure()),
        };
        let serde_path = format!("{}::__private::serde", rt.to_string().replace(' ', ""));
        let item = quote! {
            #[doc = #doc]
            #[derive(Clone, Debug, PartialEq, #rt::__private::serde::Serialize, #rt::__private::serde::Deserialize)]
            #[serde(crate = #serde_path)]
            pub struct #ident { #(#fields,)* }
        };
        self.struct_items.borrow_mut().push(item);
        quote!(#ident)
    }

    /// Top-level `string` / `string?` fields: the ones a borrowed twin holds as `Cow<str>`.
    pub fn cow_fields(record: &RecordType) -> Vec<String> {
        record.fields.iter().filter(|f| matches!(f.ty.non_optional(), Type::String)).map(|f| f.name.clone()).collect()
    }

    /// The borrowed twin of a record, decoded without copying its strings
    /// (`ClickRef<'a>`: top-level strings as `Cow<'a, str>`), with conversions
    /// both ways; None when the record has no top-level string field.
    pub fn borrowed_record(&self, record: &RecordType, hint: &str) -> Option<Ident> {
        if Self::cow_fields(record).is_empty() || Self::is_dead_letter(record) {
            return None;
        }
        if let Some((_, ident)) = self.borrowed.borrow().iter().find(|(r, _)| r == record || r.same_shape(record)) {
            return Some(ident.clone());
        }
        let owned = self.record(record, hint);
        let ident = format_ident!("{}Ref", owned.to_string());
        self.borrowed.borrow_mut().push((record.clone(), ident.clone()));
        let rt = &self.rt;
        let serde_path = format!("{}::__private::serde", rt.to_string().replace(' ', ""));
        let mut fields = Vec::new();
        let mut to_owned = Vec::new();
        let mut to_borrowed = Vec::new();
        for field in &record.fields {
            let name = field_ident(&field.name);
            let rename = needs_rename(&field.name).then(|| {
                let data_name = &field.name;
                quote!(#[serde(rename = #data_name)])
            });
            match (&field.ty, field.ty.non_optional()) {
                (Type::Optional(_), Type::String) => {
                    fields.push(quote!(#rename #[serde(borrow)] pub #name: Option<#rt::__private::Cow<'a, str>>));
                    to_owned.push(quote!(#name: rec.#name.map(|v| v.into_owned())));
                    to_borrowed.push(quote!(#name: rec.#name.map(#rt::__private::Cow::Owned)));
                }
                (Type::String, _) => {
                    fields.push(quote!(#rename #[serde(borrow)] pub #name: #rt::__private::Cow<'a, str>));
                    to_owned.push(quote!(#name: rec.#name.into_owned()));
                    to_borrowed.push(quote!(#name: #rt::__private::Cow::Owned(rec.#name)));
                }
                _ => {
                    let ty = self.rust_type(&field.ty, &format!("{hint}_{}", field.name));
                    fields.push(quote!(#rename pub #name: #ty));
                    to_owned.push(quote!(#name: rec.#name));
                    to_borrowed.push(quote!(#name: rec.#name));
                }
            }
        }
        let doc = format!(" `{owned}` decoded in place: its strings borrow from the input where they can.");
        self.struct_items.borrow_mut().push(quote! {
            #[doc = #doc]
            #[derive(Clone, Debug, PartialEq, #rt::__private::serde::Serialize, #rt::__private::serde::Deserialize)]
            #[serde(crate = #serde_path)]
            pub struct #ident<'a> { #(#fields,)* }

            impl From<#ident<'_>> for #owned {
                fn from(rec: #ident<'_>) -> Self {
                    #owned { #(#to_owned,)* }
                }
            }

            impl From<#owned> for #ident<'static> {
                fn from(rec: #owned) -> Self {
                    #ident { #(#to_borrowed,)* }
                }
            }
        });
        Some(ident)
    }

    /// The Rust type of a language type.
    pub fn rust_type(&self, ty: &Type, hint: &str) -> TokenStream {
        let rt = &self.rt;
        match ty {
            Type::Int => quote!(i64),
            Type::Float => quote!(f64),
            Type::Bool => quote!(bool),
            Type::String => quote!(String),
            Type::Timestamp => quote!(#rt::Timestamp),
            Type::Duration => quote!(#rt::Duration),
            Type::Null | Type::Error => quote!(Option<()>),
            Type::List(inner) => {
                let inner = self.rust_type(inner, hint);
                quote!(Vec<#inner>)
            }
            Type::Optional(inner) => {
                let inner = self.rust_type(inner, hint);
                quote!(Option<#inner>)
            }
            Type::Record(record) => self.record(record, hint),
        }
    }

    /// The hashable Rust type of a key value (floats as `F64Key`).
    pub fn key_type(&self, ty: &Type) -> TokenStream {
        let rt = &self.rt;
        match ty {
            Type::Float => quote!(#rt::keys::F64Key),
            Type::Optional(inner) => {
                let inner = self.key_type(inner);
                quote!(Option<#inner>)
            }
            other => self.rust_type(other, "Key"),
        }
    }

    /// Converts a value of `ty` into its key form.
    pub fn to_key(&self, ty: &Type, value: TokenStream) -> TokenStream {
        let rt = &self.rt;
        match ty {
            Type::Float => quote!(#rt::keys::F64Key(#value)),
            Type::Optional(inner) if **inner == Type::Float => quote!((#value).map(#rt::keys::F64Key)),
            _ => value,
        }
    }

    /// Converts a key form back into a value of `ty`.
    pub fn from_key(&self, ty: &Type, key: TokenStream) -> TokenStream {
        match ty {
            Type::Float => quote!(#key.0),
            Type::Optional(inner) if **inner == Type::Float => quote!(#key.map(|k| k.0)),
            _ => quote!(#key.clone()),
        }
    }

    /// A lazily compiled regex static for a pattern checked at compile time.
    pub fn regex(&self, pattern: &str) -> Ident {
        if let Some((_, ident)) = self.regexes.borrow().iter().find(|(p, _)| p == pattern) {
            return ident.clone();
        }
        let ident = format_ident!("REGEX_{}", self.regexes.borrow().len());
        self.regexes.borrow_mut().push((pattern.to_string(), ident.clone()));
        ident
    }

    /// Every struct generated so far, and the regex statics.
    pub fn take_items(&self) -> Vec<TokenStream> {
        let rt = &self.rt;
        let mut items = std::mem::take(&mut *self.struct_items.borrow_mut());
        for (pattern, ident) in self.regexes.borrow().iter() {
            let doc = format!(" The regex `{pattern}` (checked when the program was compiled).");
            items.push(quote! {
                #[doc = #doc]
                static #ident: std::sync::LazyLock<#rt::__private::Regex> =
                    std::sync::LazyLock::new(|| #rt::__private::Regex::new(#pattern).expect("checked by sluice check"));
            });
        }
        items
    }
}
