//! Ledger edits: appending event lines. A ledger is an audit log, so appending is the only
//! edit there is; existing lines are never touched.

use crate::ide::edit::line_ending;

/// `text` with `lines` appended, one per line, in the file's line ending style. When the
/// last line lacks its line ending the new lines start on a fresh line, so an event never
/// glues onto the one before it.
pub fn append_lines(text: &str, lines: &[String]) -> String {
    let eol = line_ending(text);
    let mut out =
        String::with_capacity(text.len() + lines.iter().map(|l| l.len() + 2).sum::<usize>());
    out.push_str(text);
    if !text.is_empty() && !text.ends_with('\n') {
        out.push_str(eol);
    }
    for line in lines {
        out.push_str(line);
        out.push_str(eol);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_on_a_fresh_line_in_the_files_style() {
        let lines = vec!["{\"a\":1}".to_string(), "{\"b\":2}".to_string()];
        assert_eq!(
            append_lines("{\"x\":0}\n", &lines),
            "{\"x\":0}\n{\"a\":1}\n{\"b\":2}\n"
        );
        assert_eq!(
            append_lines("{\"x\":0}", &lines[..1]),
            "{\"x\":0}\n{\"a\":1}\n"
        );
        assert_eq!(
            append_lines("{\"x\":0}\r\n", &lines[..1]),
            "{\"x\":0}\r\n{\"a\":1}\r\n"
        );
        assert_eq!(append_lines("", &lines[..1]), "{\"a\":1}\n");
    }
}
