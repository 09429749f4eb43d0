//! The rework report: the Rework view's table (`ide::rework`, shared with the board's Rework
//! tab) over the period, as markdown.

use crate::ide::query::QueryError;
use crate::ide::report::{Context, DefaultPeriod};
use crate::ide::rework::{rework_markdown, rework_table};

pub(super) const ABOUT: &str =
    "rework in the last 28 days: its rate, the tasks sent back and why (the board's Rework tab)";
pub(super) const PERIOD: DefaultPeriod = DefaultPeriod::Days(28);

pub(super) fn render(context: &Context) -> Result<String, QueryError> {
    Ok(rework_markdown(&rework_table(
        context.workspace,
        context.period,
    )))
}
