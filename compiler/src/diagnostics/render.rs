//! rustc-style text rendering, via codespan-reporting.

use super::{Diagnostic, Severity};
use crate::source::SourceFile;
use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorMode {
    Always,
    Never,
}

impl ColorMode {
    /// Colour when `stream` is a terminal and `NO_COLOR` is unset.
    pub fn auto_for(stream_is_terminal: bool) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        if stream_is_terminal && !no_color {
            ColorMode::Always
        } else {
            ColorMode::Never
        }
    }
}

fn to_codespan(diagnostic: &Diagnostic) -> cs::Diagnostic<()> {
    let severity = match diagnostic.severity {
        Severity::Bug => cs::Severity::Bug,
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
    };
    let labels = diagnostic
        .labels
        .iter()
        .map(|label| {
            let style = if label.primary { cs::LabelStyle::Primary } else { cs::LabelStyle::Secondary };
            cs::Label::new(style, (), label.span.range()).with_message(label.message.clone())
        })
        .collect();
    let mut notes: Vec<String> = diagnostic.notes.iter().map(|note| format!("note: {note}")).collect();
    if let Some(help) = &diagnostic.help {
        notes.push(format!("help: {help}"));
    }
    cs::Diagnostic::new(severity)
        .with_code(diagnostic.code.as_str())
        .with_message(diagnostic.message.clone())
        .with_labels(labels)
        .with_notes(notes)
}

fn config() -> term::Config {
    term::Config { chars: term::Chars::ascii(), ..term::Config::default() }
}

/// Renders one diagnostic as rustc-style text.
pub fn render(diagnostic: &Diagnostic, file: &SourceFile, color: ColorMode) -> String {
    let files = SimpleFile::new(file.name.as_str(), file.text.as_str());
    let diagnostic = to_codespan(diagnostic);
    let result = match color {
        ColorMode::Never => term::emit_into_string(&config(), &files, &diagnostic),
        ColorMode::Always => {
            let mut buffer = termcolor::Buffer::ansi();
            term::emit_to_write_style(&mut buffer, &config(), &files, &diagnostic)
                .map(|()| String::from_utf8_lossy(buffer.as_slice()).into_owned())
        }
    };
    result.unwrap_or_else(|error| {
        format!("{}: {} (could not render: {error})\n", diagnostic.severity_str(), diagnostic.message)
    })
}

/// Renders every diagnostic, followed by a summary line when there is any.
pub fn render_all(diagnostics: &[Diagnostic], file: &SourceFile, color: ColorMode) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        out.push_str(&render(diagnostic, file, color));
    }
    out
}

trait SeverityStr {
    fn severity_str(&self) -> &'static str;
}

impl SeverityStr for cs::Diagnostic<()> {
    fn severity_str(&self) -> &'static str {
        match self.severity {
            cs::Severity::Bug => "bug",
            cs::Severity::Error => "error",
            cs::Severity::Warning => "warning",
            cs::Severity::Note => "note",
            cs::Severity::Help => "help",
        }
    }
}
