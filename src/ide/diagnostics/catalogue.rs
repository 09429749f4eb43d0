//! The rule catalogue: each rule's name, default severity, summary and documentation, as the
//! module that checks it declares them (a [`RuleDoc`] beside the check), and docs/rules.md
//! built from them.
//!
//! `Rule` is declared in `ide::types` with the diagnostics that carry it; what a rule is
//! called and how severe it is by default is answered here, from the rule modules, so that
//! adding a rule never touches a central table of names and descriptions.

use std::fmt;
use std::sync::LazyLock;

use crate::ide::diagnostics::{RuleDoc, rule_docs};
use crate::ide::types::{Rule, Severity};

/// Each rule's entry by its place in `Rule::ALL` (the declaration order, so `rule as usize`),
/// gathered once: a rule's name and default severity are asked for every diagnostic.
static BY_RULE: LazyLock<Vec<&'static RuleDoc>> = LazyLock::new(|| {
    Rule::ALL
        .iter()
        .map(|&rule| {
            rule_docs()
                .find(|doc| doc.rule == rule)
                .unwrap_or_else(|| unreachable!("{rule:?} declares no RuleDoc"))
        })
        .collect()
});

impl Rule {
    /// The rule's entry in the catalogue. Every rule has one: a test below holds each rule
    /// to exactly one `RuleDoc`.
    pub fn doc(self) -> &'static RuleDoc {
        BY_RULE[self as usize]
    }

    pub fn name(self) -> &'static str {
        self.doc().name
    }

    pub fn default_severity(self) -> Severity {
        self.doc().severity
    }

    pub fn description(self) -> &'static str {
        self.doc().summary
    }

    pub fn parse(name: &str) -> Option<Rule> {
        rule_docs().find(|doc| doc.name == name).map(|doc| doc.rule)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The rule's section of docs/rules.md: its name as the heading, its summary, then its docs.
pub fn section(rule: Rule) -> String {
    let doc = rule.doc();
    format!("## {}\n\n{}\n\n{}", doc.name, doc.summary, doc.docs)
}

/// docs/rules.md: `intro` (the hand-written opening, everything before the first rule's
/// section) followed by every rule's section in catalogue order.
pub fn reference(intro: &str) -> String {
    let sections: Vec<String> = Rule::ALL.iter().map(|&rule| section(rule)).collect();
    format!("{intro}{}", sections.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_declared_once_under_a_name_of_its_own() {
        for &rule in Rule::ALL {
            let declared = rule_docs().filter(|doc| doc.rule == rule).count();
            assert_eq!(declared, 1, "{rule:?} has {declared} RuleDocs");
            assert_eq!(rule.doc().rule, rule, "Rule::ALL is in declaration order");
            assert_eq!(Rule::parse(rule.name()), Some(rule));
        }
        assert_eq!(rule_docs().count(), Rule::ALL.len());
    }

    #[test]
    fn each_rules_docs_open_with_its_default_severity() {
        for &rule in Rule::ALL {
            let doc = rule.doc();
            let opening = format!("Default severity: **{}**", doc.severity.name());
            assert!(
                doc.docs.starts_with(&opening),
                "{}'s docs must open with `{opening}`",
                doc.name
            );
            assert!(!doc.summary.contains('\n'), "{}: one line", doc.name);
        }
    }
}
