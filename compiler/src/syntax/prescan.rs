//! A cheap lexical pass before pest runs. It finds what pest reports badly or
//! too late: unterminated strings, and nesting deep enough to threaten the stack.

use crate::diagnostics::{Code, Diagnostic};
use crate::source::Span;

/// Deepest bracket nesting accepted. Real programs stay far below it.
pub const MAX_NESTING: usize = 64;

pub fn prescan(text: &str) -> Option<Diagnostic> {
    let bytes = text.as_bytes();
    let mut open: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                let start = i;
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => {
                            return Some(
                                Diagnostic::error(Code::E0102, "unterminated string literal")
                                    .with_primary(Span::new(start, start + 1), "string starts here")
                                    .with_help("close the string with `\"`"),
                            )
                        }
                        Some(b'\\') => i += 2,
                        Some(b'"') => break,
                        Some(_) => i += 1,
                    }
                }
            }
            b'(' | b'[' | b'{' => {
                open.push(i);
                if open.len() > MAX_NESTING {
                    return Some(
                        Diagnostic::error(Code::E0105, "brackets are nested too deeply")
                            .with_primary(Span::new(i, i + 1), format!("more than {MAX_NESTING} levels deep here"))
                            .with_help("split the expression into several `extend` stages"),
                    );
                }
            }
            b')' | b']' | b'}' => {
                open.pop();
            }
            _ => {}
        }
        i += 1;
    }
    None
}
