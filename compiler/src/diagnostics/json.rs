//! `--message-format json`: one JSON object per diagnostic.

use super::Diagnostic;
use crate::source::SourceFile;
use serde_json::{json, Value};

/// The machine-readable form of a diagnostic (one line of `--message-format json`).
pub fn to_json(diagnostic: &Diagnostic, file: &SourceFile) -> Value {
    let position = |offset: u32| file.line_col(offset as usize);
    let primary = diagnostic.primary_span();
    let (line, column) = primary.map_or((None, None), |span| {
        let (line, column) = position(span.start);
        (Some(line), Some(column))
    });
    let (end_line, end_column) = primary.map_or((None, None), |span| {
        let (line, column) = position(span.end);
        (Some(line), Some(column))
    });
    let labels: Vec<Value> = diagnostic
        .labels
        .iter()
        .map(|label| {
            let (line, column) = position(label.span.start);
            json!({
                "span": { "start": label.span.start, "end": label.span.end },
                "line": line,
                "column": column,
                "message": label.message,
                "primary": label.primary,
            })
        })
        .collect();
    json!({
        "file": file.name,
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
        "span": primary.map(|span| json!({ "start": span.start, "end": span.end })),
        "code": diagnostic.code.as_str(),
        "severity": diagnostic.severity.as_str(),
        "message": diagnostic.message,
        "labels": labels,
        "help": diagnostic.help,
        "notes": diagnostic.notes,
    })
}
