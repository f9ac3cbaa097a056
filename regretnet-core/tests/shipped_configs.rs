//! The configs shipped under `docs/configs/` (the forks RESULTS.md reports) parse, validate and
//! describe their preset's setting, so that a user who runs `regretnet train --config` on one gets
//! the run the docs describe, not a config error.
#![allow(clippy::unwrap_used)]

use regretnet_core::{presets, Config};
use std::path::PathBuf;

#[test]
fn every_shipped_config_validates_and_names_its_preset_setting() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/configs");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let config = Config::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let preset = presets::preset(&config.setting.name)
            .unwrap_or_else(|e| panic!("{}: not a preset's setting: {e}", path.display()));
        assert_eq!(
            config.setting.build().unwrap(),
            preset.setting.build().unwrap(),
            "{}: the setting differs from the preset it is named after",
            path.display()
        );
        // The preset's network of the config's kind (`train --net`), with the AMA's item-wise
        // block as the config asks (`train --itemwise`) and RegretNet's truthful base
        // (`train --myerson-base`).
        let mut net = presets::preset_with_net(&config.setting.name, config.net.kind)
            .unwrap()
            .net;
        net.itemwise = config.net.itemwise;
        net.base = config.net.base;
        net.base_temperature = config.net.base_temperature;
        assert_eq!(
            config.net,
            net,
            "{}: the network differs from the preset's",
            path.display()
        );
        seen += 1;
    }
    // The two forks of RESULTS.md: 5x10 and the 3x10 frontier.
    assert!(seen >= 2, "only {seen} configs under {}", dir.display());
}
