//! invalid-date: a date field that is not a real YYYY-MM-DD date. When only the padding is
//! wrong (`2026-3-2`) the rule names the date, and its fix writes it: the date itself is not
//! in doubt.

use crate::db::Workspace;
use crate::ide::diagnostics::fix::{Fixes, card_task, set};
use crate::ide::edit::frontmatter::NewValue;
use crate::ide::types::{Diagnostic, FixData, Rule, Severity};
use crate::syntax::time::{is_leap_year, parse_date};
use crate::syntax::yaml::{YamlNode, YamlValue};

use super::{Emit, shown};
use crate::ide::diagnostics::RuleDoc;

pub(super) fn check_date(node: &YamlNode, key: &str, source: &str, emit: &mut Emit) {
    let text = match &node.value {
        YamlValue::Null => return,
        YamlValue::Str { text, .. } => text.trim(),
        _ => {
            let written = shown(node.range.slice(source));
            emit.add(
                Rule::InvalidDate,
                node.range,
                format!(
                    "`{written}` is not a date; `{key}` must be written YYYY-MM-DD, e.g. 2026-01-31"
                ),
            );
            return;
        }
    };
    if parse_date(text).is_some() {
        return;
    }
    let mut fix = None;
    let message = match date_problem(text) {
        Some(problem) => format!("`{text}` is not a real date: {problem}"),
        None => match padded_date(text) {
            Some(padded) => {
                let message = format!(
                    "`{}` is not written YYYY-MM-DD; write `{padded}`",
                    shown(text)
                );
                fix = Some(FixData::InvalidDate {
                    key: key.to_string(),
                    date: padded,
                });
                message
            }
            None => format!(
                "`{}` is not a date; `{key}` must be written YYYY-MM-DD, e.g. 2026-01-31",
                shown(text)
            ),
        },
    };
    emit.add(Rule::InvalidDate, node.range, message).fix = fix;
}

/// Why a well-formed `YYYY-MM-DD` names no day of the calendar; None when it is not
/// well-formed in the first place.
fn date_problem(text: &str) -> Option<String> {
    let (year, month, day) = date_parts(text)?;
    if (year.len(), month.len(), day.len()) != (4, 2, 2) {
        return None;
    }
    let (year, month, day): (i64, u32, u32) =
        (year.parse().ok()?, month.parse().ok()?, day.parse().ok()?);
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let Some(month_name) = month.checked_sub(1).and_then(|i| MONTHS.get(i as usize)) else {
        return Some(format!("there is no month {month}"));
    };
    let days = match month {
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 31,
    };
    if day == 0 {
        return Some("days start at 01".to_string());
    }
    (day > days).then(|| format!("{month_name} {year} has {days} days"))
}

/// A date written with one-digit month or day, such as `2026-3-2`, as `2026-03-02`.
fn padded_date(text: &str) -> Option<String> {
    let (year, month, day) = date_parts(text)?;
    if year.len() != 4 || month.len() > 2 || day.len() > 2 {
        return None;
    }
    let padded = format!("{year}-{month:0>2}-{day:0>2}");
    parse_date(&padded).map(|_| padded)
}

/// The three dash-separated runs of digits of `text`, if that is all it is.
fn date_parts(text: &str) -> Option<(&str, &str, &str)> {
    let mut parts = text.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    (parts.next().is_none() && digits(year) && digits(month) && digits(day))
        .then_some((year, month, day))
}

/// invalid-date: write the date the diagnostic names, padded to YYYY-MM-DD.
pub(in crate::ide::diagnostics) fn fix(ws: &Workspace, d: &Diagnostic, fixes: &mut Fixes) {
    let Some(FixData::InvalidDate { key, date }) = &d.fix else {
        return;
    };
    if card_task(ws, d.file).is_none() {
        return;
    }
    fixes.change(
        format!("Write `{date}`"),
        true,
        set(ws, d.file, key, &NewValue::Str(date)),
    );
}

// What `flowos-lsp rules` and docs/rules.md say about the rules checked here.
pub(crate) const INVALID_DATE: RuleDoc = RuleDoc {
    rule: Rule::InvalidDate,
    name: "invalid-date",
    severity: Severity::Error,
    summary: "A date field is not a real YYYY-MM-DD date.",
    docs: include_str!("../docs/invalid-date.md"),
};

/// The fix of each rule above, applied: its diagnostic goes, nothing else changes.
#[cfg(test)]
mod fix_tests {
    use expect_test::expect;

    use crate::ide::diagnostics::check_fix::{check_fix, one};
    use crate::ide::types::Rule;

    #[test]
    fn date_without_padding() {
        let fixture = one("inbox/TASK-0001-x", "created_date: \"2026-3-2\"");
        check_fix(
            &fixture,
            Rule::InvalidDate,
            "Write",
            expect![[r#"
        Write `2026-03-02` (safe)
        inbox/TASK-0001-x/0001-x.task.md:4:21 `3-` -> `03-0`
          = created_date: "2026-03-02"
    "#]],
        );
    }
}
