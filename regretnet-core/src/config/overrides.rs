//! A config's fields overridden by name, as `regretnet train`'s flags and the Python package's
//! keyword arguments do: `section.field` (or `section__field`, which a Python keyword can
//! spell), a field name that only one section has, or one of the CLI's flag names
//! ([`FLAG_ALIASES`]). The result is parsed and validated as a config file is, so a bad value
//! gets the same message.

use crate::config::Config;
use crate::error::ConfigError;

/// The sections of a config, in the order a plain field name is looked up.
pub const SECTIONS: [&str; 4] = ["setting", "net", "train", "eval"];

/// The fields of each section (checked against the structs by a test).
pub const FIELDS: [(&str, &[&str]); 4] = [
    (
        "setting",
        &["name", "bidders", "items", "valuation", "prior"],
    ),
    (
        "net",
        &[
            "kind",
            "alloc_hidden",
            "pay_hidden",
            "menu_size",
            "groups",
            "linear",
            "temperature",
            "bias_init",
            "menu",
            "menu_hidden",
            "itemwise",
        ],
    ),
    (
        "train",
        &[
            "seed",
            "iterations",
            "batch_size",
            "shards",
            "train_size",
            "lr",
            "lr_decay_from",
            "lr_final",
            "misreport_steps",
            "misreport_lr",
            "misreport_extra_start",
            "misreport_prior_starts",
            "misreport_keep_best",
            "lambda_init",
            "lambda_update_every",
            "rho_init",
            "rho_increment",
            "rho_increment_every",
            "rho_steps",
            "regret_target",
            "regret_target_rate",
            "regret_target_rho_schedule",
            "regret_target_start",
            "regret_target_anneal",
            "schedule_end",
            "log_every",
            "trace_every",
            "validate_every",
            "validation_samples",
            "validation_steps",
            "checkpoint_every",
            "keep_checkpoints",
            "best_regret_bound",
            "init_from",
            "init_misreports",
            "teacher",
            "teacher_iterations",
            "teacher_temperature",
            "teacher_weight",
        ],
    ),
    (
        "eval",
        &[
            "samples",
            "regret_samples",
            "seed",
            "restarts",
            "corners",
            "steps",
            "lr",
            "batch_size",
            "grid",
            "grid_refine_top",
            "grid_refine_steps",
            "coordinate_grid",
            "coordinate_sweeps",
            "coordinate_starts",
            "coordinate_refine_steps",
            "pair_samples",
            "pair_grid",
            "reference_samples",
            "reference_restarts",
            "reference_steps",
            "certify",
            "certify_tol",
            "certify_budget",
            "certify_samples",
        ],
    ),
];

/// `regretnet train`'s flags that name a config field, by the flag's name (`--seed` is the
/// training seed, `--net` the architecture, `--trace` the trace interval).
pub const FLAG_ALIASES: [(&str, &str); 10] = [
    ("net", "net.kind"),
    ("menu", "net.menu"),
    ("itemwise", "net.itemwise"),
    ("regret_target", "train.regret_target"),
    ("iterations", "train.iterations"),
    ("seed", "train.seed"),
    ("shards", "train.shards"),
    ("init_from", "train.init_from"),
    ("init_misreports", "train.init_misreports"),
    ("trace", "train.trace_every"),
];

fn fields_of(section: &str) -> Option<&'static [&'static str]> {
    FIELDS.iter().find(|(s, _)| *s == section).map(|(_, f)| *f)
}

/// The dotted path (`train.seed`) that `key` names, or an error saying why it names none.
pub fn resolve_key(key: &str) -> Result<(String, String), ConfigError> {
    let split = key.split_once('.').or_else(|| key.split_once("__"));
    if let Some((section, field)) = split {
        let known = fields_of(section).ok_or_else(|| {
            ConfigError::invalid(
                key,
                format!(
                    "no config section `{section}`; sections: {}",
                    SECTIONS.join(", ")
                ),
            )
        })?;
        if !known.contains(&field) {
            return Err(ConfigError::invalid(
                key,
                format!(
                    "[{section}] has no field `{field}`; its fields: {}",
                    known.join(", ")
                ),
            ));
        }
        return Ok((section.into(), field.into()));
    }
    if let Some((_, path)) = FLAG_ALIASES.iter().find(|(flag, _)| *flag == key) {
        return resolve_key(path);
    }
    let holders: Vec<&str> = FIELDS
        .iter()
        .filter(|(_, f)| f.contains(&key))
        .map(|(s, _)| *s)
        .collect();
    match holders.as_slice() {
        [one] => Ok(((*one).into(), key.into())),
        [] => Err(ConfigError::invalid(
            key,
            "no config field of this name (write section.field or section__field, e.g. \
             train__batch_size; `regretnet presets` lists the presets)",
        )),
        many => Err(ConfigError::invalid(
            key,
            format!(
                "more than one section has this field: write {}",
                many.iter()
                    .map(|s| format!("{s}__{key}"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        )),
    }
}

impl Config {
    /// This config with `overrides` applied in order (keys as [`resolve_key`] reads them,
    /// values as a TOML file would hold them), then parsed and validated; errors name the key.
    ///
    /// ```
    /// use regretnet_core::presets;
    /// let base = presets::preset("additive_1x2_uniform").unwrap();
    /// let c = base
    ///     .with_overrides([
    ///         ("iterations", toml::Value::Integer(500)),
    ///         ("train__batch_size", toml::Value::Integer(64)),
    ///         ("eval.samples", toml::Value::Integer(1000)),
    ///     ])
    ///     .unwrap();
    /// assert_eq!((c.train.iterations, c.train.batch_size, c.eval.samples), (500, 64, 1000));
    /// assert!(base.with_overrides([("lr", toml::Value::Float(0.1))]).is_err()); // net or train?
    /// assert!(base.with_overrides([("iterations", toml::Value::Integer(0))]).is_err());
    /// ```
    pub fn with_overrides<'a>(
        &self,
        overrides: impl IntoIterator<Item = (&'a str, toml::Value)>,
    ) -> Result<Config, ConfigError> {
        let mut value = toml::Value::try_from(self).map_err(|e| ConfigError::Parse {
            origin: None,
            message: e.to_string(),
        })?;
        let Some(table) = value.as_table_mut() else {
            unreachable!("a Config serializes to a table")
        };
        for (key, value) in overrides {
            let (section, field) = resolve_key(key)?;
            let entry = table
                .entry(section.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if let toml::Value::Table(t) = entry {
                t.insert(field, value);
            }
        }
        let config: Config = value
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Parse {
                origin: None,
                message: e.to_string().trim_end().to_string(),
            })?;
        config.validate()?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets;

    #[test]
    fn every_listed_field_exists_and_every_field_is_listed() {
        let base = presets::preset("additive_1x2_uniform").unwrap();
        let table = toml::Value::try_from(&base).unwrap();
        for (section, fields) in FIELDS {
            // Serialized fields are listed (the optional ones are skipped when unset).
            for key in table[section].as_table().unwrap().keys() {
                assert!(fields.contains(&key.as_str()), "{section}.{key} not listed");
            }
            // Each listed field is known to the struct: a wrong-typed value (an empty table
            // fits none of them) is a type error, never an unknown field.
            for field in fields {
                let e = base
                    .with_overrides([(
                        format!("{section}.{field}").as_str(),
                        toml::Value::Table(toml::Table::new()),
                    )])
                    .unwrap_err()
                    .to_string();
                assert!(!e.contains("unknown field"), "{section}.{field}: {e}");
            }
        }
    }

    #[test]
    fn keys_resolve_as_documented() {
        let r = |k| resolve_key(k).map(|(s, f)| format!("{s}.{f}"));
        assert_eq!(r("seed").unwrap(), "train.seed"); // the CLI's --seed
        assert_eq!(r("eval__seed").unwrap(), "eval.seed");
        assert_eq!(r("net").unwrap(), "net.kind");
        assert_eq!(r("trace").unwrap(), "train.trace_every");
        assert_eq!(r("misreport_steps").unwrap(), "train.misreport_steps");
        assert_eq!(r("pair_grid").unwrap(), "eval.pair_grid");
        let e = r("batch_size").unwrap_err().to_string();
        assert!(e.contains("train__batch_size or eval__batch_size"), "{e}");
        assert!(r("batchsize")
            .unwrap_err()
            .to_string()
            .contains("no config field"));
        assert!(r("trian.lr")
            .unwrap_err()
            .to_string()
            .contains("no config section"));
        assert!(r("train.nope")
            .unwrap_err()
            .to_string()
            .contains("its fields"));
    }

    #[test]
    fn values_are_validated_as_a_file_would_be() {
        let base = presets::preset("additive_1x2_uniform").unwrap();
        let c = base
            .with_overrides([
                ("net", toml::Value::String("ama".into())),
                ("regret_target", toml::Value::Float(1e-3)),
            ])
            .unwrap();
        assert_eq!(c.net.kind, crate::config::NetKind::Ama);
        assert_eq!(c.train.regret_target, Some(1e-3));
        let e = base
            .with_overrides([("iterations", toml::Value::String("many".into()))])
            .unwrap_err()
            .to_string();
        assert!(e.contains("iterations"), "{e}");
        let e = base
            .with_overrides([("train.batch_size", toml::Value::Integer(0))])
            .unwrap_err()
            .to_string();
        assert!(e.contains("train.batch_size"), "{e}");
    }
}
