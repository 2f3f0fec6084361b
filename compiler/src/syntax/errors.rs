//! Turns pest's errors into our diagnostics: human token names, at most three
//! expected items, and targeted messages for common mistakes.

use super::Rule;
use crate::diagnostics::{did_you_mean, Code, Diagnostic};
use crate::source::Span;
use pest::error::{ErrorVariant, InputLocation};

pub const KEYWORDS: &[&str] = &[
    "schema",
    "param",
    "source",
    "sink",
    "extern",
    "fn",
    "pipeline",
    "from",
    "to",
    "where",
    "select",
    "extend",
    "explode",
    "as",
    "dedupe",
    "by",
    "within",
    "group",
    "window",
    "tumbling",
    "sliding",
    "every",
    "session",
    "on",
    "watermark",
    "late",
    "aggregate",
    "join",
    "left",
    "if",
    "then",
    "else",
    "true",
    "false",
    "null",
    "processing_time",
    "int",
    "float",
    "bool",
    "string",
    "timestamp",
    "duration",
];

const STAGE_KEYWORDS: &[&str] = &["where", "select", "extend", "explode", "dedupe", "group", "join", "left", "to"];
const ITEM_KEYWORDS: &[&str] = &["schema", "param", "source", "sink", "extern", "pipeline"];

/// How a rule is named in "expected ..." messages.
fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "end of file",
        Rule::ident | Rule::type_name => "a name",
        Rule::word => "a word",
        Rule::kw_schema | Rule::kw_param | Rule::kw_source | Rule::kw_sink | Rule::kw_extern | Rule::kw_pipeline => {
            "an item (`schema`, `param`, `source`, `sink`, `extern fn`, `pipeline`)"
        }
        Rule::kw_where
        | Rule::kw_select
        | Rule::kw_extend
        | Rule::kw_explode
        | Rule::kw_dedupe
        | Rule::kw_group
        | Rule::kw_join
        | Rule::kw_left
        | Rule::kw_to => "a stage (`where`, `select`, `extend`, `explode`, `dedupe`, `group by`, `join`, `to`)",
        Rule::kw_fn => "`fn`",
        Rule::kw_from => "`from`",
        Rule::kw_as => "`as`",
        Rule::kw_by => "`by`",
        Rule::kw_within => "`within`",
        Rule::kw_window => "`window`",
        Rule::kw_tumbling | Rule::kw_sliding | Rule::kw_session => "a window (`tumbling`, `sliding`, `session`)",
        Rule::kw_every => "`every`",
        Rule::kw_on => "`on`",
        Rule::kw_watermark => "`watermark`",
        Rule::kw_late => "`late to`",
        Rule::kw_aggregate => "`aggregate`",
        Rule::kw_then => "`then`",
        Rule::kw_else => "`else`",
        Rule::kw_processing_time => "`processing_time`",
        Rule::type_expr | Rule::prim_type | Rule::list_type | Rule::record_type => "a type",
        Rule::pipe => "`|`",
        Rule::lbrace => "`{`",
        Rule::rbrace => "`}`",
        Rule::lparen => "`(`",
        Rule::rparen => "`)`",
        Rule::lbracket => "`[`",
        Rule::rbracket => "`]`",
        Rule::comma => "`,`",
        Rule::colon => "`:`",
        Rule::assign => "`=`",
        Rule::arrow => "`->`",
        Rule::qmark => "`?`",
        Rule::dot | Rule::field_access | Rule::index => "`.field` or `[index]`",
        Rule::op_coalesce
        | Rule::op_or
        | Rule::op_and
        | Rule::op_eq
        | Rule::op_ne
        | Rule::op_le
        | Rule::op_ge
        | Rule::op_lt
        | Rule::op_gt
        | Rule::op_add
        | Rule::op_sub
        | Rule::op_mul
        | Rule::op_div
        | Rule::op_rem => "an operator",
        Rule::expr
        | Rule::op_not
        | Rule::op_neg
        | Rule::if_expr
        | Rule::paren
        | Rule::call
        | Rule::number
        | Rule::string
        | Rule::kw_true
        | Rule::kw_false
        | Rule::kw_null
        | Rule::kw_if => "an expression",
        Rule::duration | Rule::dur_value | Rule::bad_duration => "a duration (like `10s`)",
        Rule::opt_value | Rule::opt_list | Rule::opt_call => "an option value",
        Rule::option => "an option",
        Rule::field_item | Rule::field_decl | Rule::named_key => "a field",
        Rule::group_key => "a group key",
        Rule::window_clause => "`window`",
        Rule::window_on => "`on`",
        Rule::window_watermark => "`watermark`",
        Rule::late_to => "`late to`",
        _ => return None,
    })
}

/// The token at `offset`, for "found ..." and the primary label.
fn token_at(text: &str, offset: usize) -> (Span, String) {
    let rest = &text[offset.min(text.len())..];
    let Some(first) = rest.chars().next() else {
        return (Span::new(text.len(), text.len()), "end of file".into());
    };
    let len = if first.is_ascii_alphanumeric() || first == '_' {
        rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len())
    } else if first == '"' {
        rest[1..].find('"').map_or(rest.len(), |end| end + 2)
    } else {
        let two = rest.get(..2).unwrap_or("");
        if ["==", "!=", "<=", ">=", "&&", "||", "??", "->"].contains(&two) {
            2
        } else {
            first.len_utf8()
        }
    };
    (Span::new(offset, offset + len), rest[..len].to_string())
}

fn join_expected(items: &[&str]) -> String {
    match items {
        [] => "something else".into(),
        [one] => (*one).into(),
        [a, b] => format!("{a} or {b}"),
        [rest @ .., last] if rest.len() <= 4 => format!("{}, or {last}", rest.join(", ")),
        [a, b, c, ..] => format!("{a}, {b}, {c}, or another token"),
    }
}

pub fn translate(error: &pest::error::Error<Rule>, text: &str) -> Diagnostic {
    let offset = match error.location {
        InputLocation::Pos(pos) => pos,
        InputLocation::Span((start, _)) => start,
    };
    let (span, found) = token_at(text, offset);
    let found_desc = if found == "end of file" { found.clone() } else { format!("`{found}`") };

    let positives: Vec<Rule> = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { message } => {
            // pest's resource guards ("call limit reached", "stack limit reached").
            return Diagnostic::error(Code::E0105, "program is nested too deeply to parse")
                .with_primary(span, message.clone())
                .with_help("split deeply nested expressions into several `extend` stages");
        }
    };

    // A keyword where a name belongs.
    let wants_name = positives.iter().any(|r| matches!(r, Rule::ident | Rule::type_name));
    if wants_name && found == "processing_time" {
        return Diagnostic::error(Code::E0107, "`on processing_time` is only for windows")
            .with_primary(span, "expected a timestamp field")
            .with_help("`dedupe` runs on event time: name a timestamp field (`on ts`), or leave `on` out to use the source's `event_time`");
    }
    if wants_name && KEYWORDS.contains(&found.as_str()) {
        return Diagnostic::error(Code::E0107, format!("`{found}` is a keyword and cannot be used as a name"))
            .with_primary(span, "reserved keyword")
            .with_help(format!("quote it to use it as a name: `` `{found}` `` (a JSON key `{found}` is read by a field declared `` `{found}`: ... ``)"));
    }

    let mut expected: Vec<&str> = Vec::new();
    for rule in &positives {
        if let Some(name) = describe(*rule) {
            if !expected.contains(&name) {
                expected.push(name);
            }
        }
    }
    if expected.contains(&"`.field` or `[index]`") {
        expected.retain(|e| *e != "`[`");
    }
    // Stable, most useful first: punctuation before generic classes.
    expected.sort_by_key(|name| (!name.starts_with('`'), *name == "an operator", *name == "`.field` or `[index]`"));

    let wants_pipe = positives.contains(&Rule::pipe);
    let wants_rbrace = positives.contains(&Rule::rbrace);
    let wants_stage = positives.contains(&Rule::kw_where);
    let wants_item = positives.contains(&Rule::kw_schema);

    let message = if wants_pipe && wants_rbrace {
        "expected `|` or `}` after a stage".to_string()
    } else if wants_stage {
        "expected a stage after `|`".to_string()
    } else if wants_item && found != "end of file" {
        "expected an item (`schema`, `param`, `source`, `sink`, `extern fn`, `pipeline`)".to_string()
    } else {
        format!("expected {}", join_expected(&expected))
    };
    let wants_operator = positives.iter().any(|r| matches!(r, Rule::op_add | Rule::op_eq | Rule::op_and));
    let upper = found.to_ascii_uppercase();
    // Mistakes from SQL and other languages get their own message.
    if wants_operator {
        let sql = match (found.as_str(), upper.as_str()) {
            ("=", _) => Some(("use `==` to compare", "write `==`: `=` is not an operator in sluice")),
            (_, "AND") => Some(("use `&&`, not `AND`", "write `a && b`")),
            (_, "OR") => Some(("use `||`, not `OR`", "write `a || b`")),
            (_, "IN") => Some(("sluice has no `in`", "compare each value: `country == \"DE\" || country == \"FR\"`")),
            (_, "LIKE") => {
                Some(("sluice has no `like`", "use `contains(s, \"..\")`, `starts_with`, `ends_with` or `regex_match`"))
            }
            (_, "IS") => Some(("sluice has no `is`", "use `is_null(x)` or `!is_null(x)`")),
            _ => None,
        };
        if let Some((message, help)) = sql {
            return Diagnostic::error(Code::E0101, format!("{message}, found {found_desc}"))
                .with_primary(span, format!("unexpected {found_desc}"))
                .with_help(help);
        }
    }
    if found == ";" {
        return Diagnostic::error(Code::E0101, "unexpected `;`")
            .with_primary(span, "not needed here")
            .with_help("items and stages are not terminated by `;`: remove it");
    }
    if found == "*" && positives.contains(&Rule::rparen) {
        return Diagnostic::error(Code::E0101, format!("{message}, found `*`"))
            .with_primary(span, "unexpected `*`")
            .with_help("to count rows, write `count()`");
    }
    let mut diagnostic = Diagnostic::error(Code::E0101, format!("{message}, found {found_desc}"))
        .with_primary(span, format!("unexpected {found_desc}"));
    // Point at the bracket that is still open.
    for (open, close, rule, what) in
        [('(', ')', Rule::rparen, "`(`"), ('[', ']', Rule::rbracket, "`[`"), ('{', '}', Rule::rbrace, "`{`")]
    {
        if positives.contains(&rule) {
            if let Some(at) = unmatched_open(text, offset, open, close) {
                diagnostic = diagnostic.with_secondary(Span::new(at, at + 1), format!("this {what} is not closed"));
                if diagnostic.help.is_none()
                    && !(wants_pipe && wants_rbrace && open == '{')
                    && !positives.contains(&Rule::comma)
                {
                    diagnostic = diagnostic.with_help(format!("close it with `{close}`"));
                }
                break;
            }
        }
    }

    if wants_stage {
        if let Some(suggestion) = did_you_mean(&found, STAGE_KEYWORDS.iter().copied()) {
            diagnostic = diagnostic.with_help(format!("did you mean `{suggestion}`?"));
        } else {
            diagnostic = diagnostic.with_help(
                "a stage is one of `where`, `select`, `extend`, `explode`, `dedupe`, `group by`, `join`, `to`",
            );
        }
    } else if wants_item && found != "end of file" {
        if let Some(suggestion) = did_you_mean(&found, ITEM_KEYWORDS.iter().copied()) {
            diagnostic = diagnostic.with_help(format!("did you mean `{suggestion}`?"));
        }
    } else if wants_pipe && wants_rbrace {
        diagnostic = diagnostic.with_help("stages are joined by `|`, and the pipeline ends with `}`");
    } else if diagnostic.help.is_some() {
    } else if positives.contains(&Rule::comma) && positives.contains(&Rule::rbrace) {
        diagnostic = diagnostic.with_help("separate entries with `,`");
    } else if found == "=" && positives.contains(&Rule::colon) {
        diagnostic = diagnostic.with_help("fields and options are written `name: value`");
    } else if found == "=" {
        diagnostic = diagnostic.with_help("compare with `==`");
    } else if found == "end of file" {
        diagnostic = diagnostic.with_help("the program ends in the middle of an item: finish it");
    } else if wants_item {
        diagnostic = diagnostic
            .with_help("a program is a list of `schema`, `param`, `source`, `sink`, `extern fn` and `pipeline` items");
    } else {
        diagnostic = diagnostic.with_help(format!("remove or replace {found_desc}"));
    }
    diagnostic
}

/// The innermost `open` bracket before `offset` with no matching `close` (strings and comments skipped).
fn unmatched_open(text: &str, offset: usize, open: char, close: char) -> Option<usize> {
    let mut stack = Vec::new();
    let mut chars = text[..offset.min(text.len())].char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '/' if chars.peek().map(|(_, c)| *c) == Some('/') => {
                for (_, c) in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            c if c == open => stack.push(i),
            c if c == close => {
                stack.pop();
            }
            _ => {}
        }
    }
    stack.pop()
}
