//! The learning report: the Learning view's table (`ide::learning`, shared with the board's
//! Learning tab) over the period, as markdown.

use crate::ide::learning::{learning_markdown, learning_table};
use crate::ide::query::QueryError;
use crate::ide::report::{Context, DefaultPeriod};

pub(super) const ABOUT: &str = "what the tasks archived in the last 28 days left behind: \
                                learning files, outcomes and follow-ups (the board's Learning tab)";
pub(super) const PERIOD: DefaultPeriod = DefaultPeriod::Days(28);

pub(super) fn render(context: &Context) -> Result<String, QueryError> {
    Ok(learning_markdown(&learning_table(
        context.workspace,
        context.period,
    )))
}
