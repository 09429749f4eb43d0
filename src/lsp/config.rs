//! Server settings from `initializationOptions` and `workspace/configuration`: `flowos.user`,
//! `flowos.tasksRoot`, `flowos.rules.<rule>`, `flowos.extraEvents`.
//!
//! Clients send these in different shapes (`{"flowos": {...}}`, the section's own object,
//! or dotted keys such as `"flowos.rules.wip-limit": "off"`); all are accepted.

use serde_json::{Map, Value};

use crate::ide::types::{Config, Rule, Severity};
use crate::syntax::time::parse_rfc3339;

/// The moment `FLOWOS_NOW` fixes, as in the CLI: SLOs and times in stage measured to it make
/// a session (or a benchmark) reproducible. None means read the clock.
pub fn fixed_now() -> Option<i64> {
    std::env::var("FLOWOS_NOW")
        .ok()
        .and_then(|text| parse_rfc3339(text.trim()))
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Settings {
    pub user: Option<String>,
    pub tasks_root: Option<String>,
    pub rules: Vec<(Rule, Option<Severity>)>,
    pub extra_events: Vec<String>,
    /// Settings that could not be understood, for the log.
    pub problems: Vec<String>,
}

impl Settings {
    pub fn from_json(value: &Value) -> Settings {
        Settings::default().updated(value)
    }

    /// These settings with those `value` holds laid over them: a field present overrides (a
    /// `rules` object replaces the rules, a dotted `rules.<rule>` key sets that one), an absent
    /// one keeps its value. Clients answer `workspace/configuration` with `{}` or `null` when
    /// they have nothing to say, and that must not erase what `initializationOptions` gave.
    pub fn updated(&self, value: &Value) -> Settings {
        let mut settings = Settings {
            problems: Vec::new(),
            ..self.clone()
        };
        if let Some(object) = section(value) {
            for (key, value) in object {
                settings.read(key, value);
            }
        }
        settings
    }

    fn read(&mut self, key: &str, value: &Value) {
        let key = key.strip_prefix("flowos.").unwrap_or(key);
        match key {
            "user" => self.user = value.as_str().map(str::to_string).filter(|s| !s.is_empty()),
            "tasksRoot" => {
                self.tasks_root = value.as_str().map(str::to_string).filter(|s| !s.is_empty())
            }
            "extraEvents" => {
                self.extra_events = value
                    .as_array()
                    .map(|items| {
                        items
                            .iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default()
            }
            "rules" => {
                self.rules.clear();
                if let Some(rules) = value.as_object() {
                    for (name, level) in rules {
                        self.read_rule(name, level);
                    }
                }
            }
            _ => {
                if let Some(name) = key.strip_prefix("rules.") {
                    self.read_rule(name, value);
                }
            }
        }
    }

    fn read_rule(&mut self, name: &str, level: &Value) {
        let Some(rule) = Rule::parse(name) else {
            self.problems
                .push(format!("unknown rule `{name}` in flowos.rules"));
            return;
        };
        let severity = match level.as_str() {
            Some("off") => None,
            Some(text) => match Severity::parse(text) {
                Some(severity) => Some(severity),
                None => {
                    self.problems.push(format!(
                        "flowos.rules.{name}: `{text}` is not one of error, warning, info, hint, off"
                    ));
                    return;
                }
            },
            None => {
                self.problems
                    .push(format!("flowos.rules.{name} must be a string"));
                return;
            }
        };
        self.rules.retain(|(existing, _)| *existing != rule);
        self.rules.push((rule, severity));
    }

    /// The analysis configuration these settings describe, at the moment `now`.
    pub fn config(&self, now: i64) -> Config {
        Config {
            rule_overrides: self.rules.iter().copied().collect(),
            extra_events: self.extra_events.clone(),
            now,
            user: self.user.clone(),
        }
    }
}

/// The object holding the settings: `value.flowos` when present, else `value` itself.
fn section(value: &Value) -> Option<&Map<String, Value>> {
    let object = value.as_object()?;
    match object.get("flowos").and_then(Value::as_object) {
        Some(nested) => Some(nested),
        None => Some(object),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_flat_and_dotted_shapes() {
        let nested = Settings::from_json(
            &json!({"flowos": {"user": "@ana", "rules": {"wip-limit": "off"}}}),
        );
        assert_eq!(nested.user.as_deref(), Some("@ana"));
        assert_eq!(nested.rules, vec![(Rule::WipLimit, None)]);
        let dotted = Settings::from_json(
            &json!({"flowos.rules.stage-mismatch": "warning", "flowos.extraEvents": ["deployed"]}),
        );
        assert_eq!(
            dotted.rules,
            vec![(Rule::StageMismatch, Some(Severity::Warning))]
        );
        assert_eq!(dotted.extra_events, vec!["deployed".to_string()]);
        let config = dotted.config(0);
        assert_eq!(
            config.rule_overrides.get(&Rule::StageMismatch),
            Some(&Some(Severity::Warning))
        );
    }

    #[test]
    fn an_answer_overrides_the_fields_it_holds_and_keeps_the_others() {
        let initial = Settings::from_json(&json!({"flowos": {
            "user": "@ana",
            "tasksRoot": "planning/tasks",
            "rules": {"wip-limit": "off", "slo-exceeded": "hint"},
            "extraEvents": ["deployed"],
        }}));
        for empty in [json!({}), json!(null), json!({"flowos": {}}), json!([])] {
            assert_eq!(initial.updated(&empty), initial, "{empty}");
        }
        let answered = initial.updated(&json!({"user": "@bo", "rules.stage-mismatch": "off"}));
        assert_eq!(answered.user.as_deref(), Some("@bo"));
        assert_eq!(answered.tasks_root.as_deref(), Some("planning/tasks"));
        assert_eq!(answered.extra_events, ["deployed"]);
        assert_eq!(
            answered.rules,
            [
                (Rule::SloExceeded, Some(Severity::Hint)),
                (Rule::WipLimit, None),
                (Rule::StageMismatch, None),
            ]
        );
        // A `rules` object is the whole set; `null` unsets a value.
        let replaced =
            answered.updated(&json!({"rules": {"stage-mismatch": "warning"}, "tasksRoot": null}));
        assert_eq!(
            replaced.rules,
            [(Rule::StageMismatch, Some(Severity::Warning))]
        );
        assert_eq!(replaced.tasks_root, None);
        assert_eq!(replaced.user.as_deref(), Some("@bo"));
    }

    #[test]
    fn bad_settings_are_reported_not_applied() {
        let settings =
            Settings::from_json(&json!({"rules": {"no-such": "off", "wip-limit": "loud"}}));
        assert!(settings.rules.is_empty());
        assert_eq!(settings.problems.len(), 2);
    }
}
