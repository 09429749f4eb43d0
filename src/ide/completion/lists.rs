//! A list being completed in frontmatter (flow `[a, b]` or block `- a`, or a value typed on
//! a list key's own line): what is in it already, how it quotes, and the items offered.
//! Shared by the key-and-list provider (`frontmatter`) and the value provider (`values`).

use super::context::{Token, quote_of, spacing_before, unquoted};
use super::matching::{RefSite, Relation};
use super::seen::{dri_items, seen_tags, tasks_count};
use super::tasks::task_completion;
use super::{CompletionKind, CompletionList, Cx, complete, simple_item};
use crate::db::vocab::REF_LIST_FIELDS;
use crate::syntax::task_id::parse_task_ref;
use std::collections::HashSet;

/// A list being completed: what is already in it, how it quotes, and the item being typed.
pub(super) struct ListSite {
    pub(super) token: Token,
    /// The other items, as written.
    pub(super) others: Vec<String>,
    /// The quote the other items use, when they use one.
    pub(super) style: Option<char>,
}

impl ListSite {
    pub(super) fn new(token: Token, others: Vec<String>) -> ListSite {
        let style = others.iter().find_map(|item| quote_of(item));
        ListSite {
            token,
            others,
            style,
        }
    }

    /// The text before and after a value so it fits the list: the user's open quote closed,
    /// else the other items' quotes (or double quotes when `force_quote`), and a space after
    /// a `-`, `,` or `:` typed right before.
    pub(super) fn affixes(&self, text: &str, force_quote: bool) -> (String, String) {
        if self.token.opened.is_some() {
            return (String::new(), self.token.closing());
        }
        let space = if self.token.range.is_empty() {
            spacing_before(text, self.token.start())
        } else {
            ""
        };
        match self.style.or(force_quote.then_some('"')) {
            Some(quote) => (format!("{space}{quote}"), quote.to_string()),
            None => (space.to_string(), String::new()),
        }
    }

    pub(super) fn wrap(&self, text: &str, value: &str, force_quote: bool) -> String {
        let (before, after) = self.affixes(text, force_quote);
        format!("{before}{value}{after}")
    }
}

pub(super) fn list_completion(cx: &Cx, key: &str, site: ListSite) -> Option<CompletionList> {
    let namespace = cx.own_namespace();
    if REF_LIST_FIELDS.contains(&key) {
        let listed = site
            .others
            .iter()
            .filter_map(|item| parse_task_ref(unquoted(item)))
            .map(|(id, _)| id.resolved_in(namespace.as_deref()))
            .collect();
        let relation = match key {
            "depends_on" => Relation::DependsOn,
            "blocks" => Relation::Blocks,
            _ => Relation::Other,
        };
        let (before, after) = site.affixes(cx.text, false);
        return task_completion(
            cx,
            RefSite {
                token: site.token,
                before,
                after,
                listed,
                own: cx.own,
                namespace,
                relation,
            },
        );
    }
    match key {
        "tags" => {
            let listed: HashSet<&str> = site.others.iter().map(|item| unquoted(item)).collect();
            let items = seen_tags(cx.workspace, cx.root)
                .into_iter()
                .filter(|(tag, _)| !listed.contains(tag.as_str()))
                .enumerate()
                .map(|(rank, (tag, count))| {
                    let new_text = site.wrap(cx.text, &tag, needs_quotes(&tag));
                    let mut item = simple_item(tag, CompletionKind::Tag, site.token, new_text);
                    item.detail = Some(tasks_count(count));
                    item.sort_text = format!("{rank:04}");
                    item
                })
                .collect();
            Some(complete(items))
        }
        "previous_dris" => {
            let listed: HashSet<&str> = site.others.iter().map(|item| unquoted(item)).collect();
            // `@` cannot start a plain YAML scalar, so DRIs are always quoted.
            dri_items(cx, site.token, &listed, |dri| site.wrap(cx.text, dri, true))
        }
        _ => None,
    }
}

/// Fields whose value is a list.
pub(super) fn is_list_field(key: &str) -> bool {
    REF_LIST_FIELDS.contains(&key) || matches!(key, "tags" | "previous_dris")
}

/// Whether a tag must be quoted to stay a plain YAML string.
fn needs_quotes(value: &str) -> bool {
    value.is_empty()
        || !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/'))
        || value.starts_with('-')
}
