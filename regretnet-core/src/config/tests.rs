//! Tests of parsing and validating configs: every field's check names the field.

use super::*;
use crate::prior::Prior;

const MINIMAL: &str = r#"
[setting]
name = "t"
bidders = 2
items = 2
prior = { kind = "uniform", lo = 0.0, hi = 1.0 }
"#;

fn with(extra: &str) -> Result<Config, ConfigError> {
    Config::from_toml_str(&format!("{MINIMAL}{extra}"))
}

#[test]
fn defaults_are_the_reference_hyperparameters() {
    // docs/PAPER.md, "Training": Adam 1e-3, batch 128, 640,000 profiles,
    // 25 misreport steps at lr 0.1, lambda 5, rho 1, 2 x 100 tanh nets, test seed 100.
    let c = with("").unwrap();
    assert_eq!(c.train.lr, 1e-3);
    assert_eq!(c.train.batch_size, 128);
    assert_eq!(c.train.train_size, 640_000);
    assert_eq!(c.train.misreport_steps, 25);
    assert_eq!(c.train.misreport_lr, 0.1);
    assert_eq!(c.train.lambda_init, 5.0);
    assert_eq!(c.train.rho_init, 1.0);
    assert_eq!(c.net.alloc_hidden, vec![100, 100]);
    assert_eq!(c.eval.seed, 100);
    assert_eq!(EvalConfig::paper().restarts, 1_000);
    assert_eq!(EvalConfig::paper().steps, 2_000);
}

#[test]
fn round_trips_through_toml() {
    let c = with("[train]\niterations = 7\n").unwrap();
    let back = Config::from_toml_str(&c.to_toml_string()).unwrap();
    assert_eq!(c, back);
}

#[test]
fn bounds_expand_per_item_and_per_bidder() {
    let c = Config::from_toml_str(
        "[setting]\nname='a'\nbidders=2\nitems=2\n\
         prior={kind='uniform', lo=[[0,0],[1,1]], hi=[2.0, 3.0]}\n",
    )
    .unwrap();
    let s = c.setting.build().unwrap();
    let Prior::UniformBox(b) = &s.prior else {
        panic!("a box prior")
    };
    assert_eq!((b.lo(1, 0), b.hi(1, 0), b.hi(0, 1)), (1.0, 2.0, 3.0));
}

#[test]
fn a_generated_menu_round_trips_and_is_refused_for_combinatorial_bidders() {
    let text = "[setting]\nname='g'\nbidders=2\nitems=3\nprior={kind='uniform',lo=0,hi=1}\n\
                [net]\nkind='ama'\nmenu='generated'\nmenu_hidden=[32, 32]\n";
    let c = Config::from_toml_str(text).unwrap();
    assert_eq!(c.net.menu, crate::MenuKind::Generated);
    assert_eq!(c.net.menu_hidden, vec![32, 32]);
    assert_eq!(Config::from_toml_str(&c.to_toml_string()).unwrap(), c);
    // A free menu writes neither field, so configs and checkpoints of earlier versions read
    // back equal.
    let free = Config::from_toml_str(&text.replace("menu='generated'\nmenu_hidden=[32, 32]\n", ""))
        .unwrap();
    let written = free.to_toml_string();
    assert!(
        !written.contains("menu =") && !written.contains("menu_hidden"),
        "{written}"
    );
    let mut ca = crate::presets::preset("ca_sym_uniform_12").unwrap();
    ca.net.kind = crate::NetKind::Ama;
    ca.net.menu = crate::MenuKind::Generated;
    let err = ca.validate().unwrap_err().to_string();
    assert!(
        err.contains("net.menu") && err.contains("combinatorial"),
        "{err}"
    );
}

#[test]
fn a_triangle_prior_parses_and_round_trips() {
    let c =
        Config::from_toml_str("[setting]\nname='t'\nbidders=1\nitems=2\nprior={kind='triangle'}\n")
            .unwrap();
    assert_eq!(c.setting.prior, PriorConfig::Triangle {});
    assert!(matches!(
        c.setting.build().unwrap().prior,
        Prior::Triangle(_)
    ));
    assert_eq!(Config::from_toml_str(&c.to_toml_string()).unwrap(), c);
    let err = Config::from_toml_str(
        "[setting]\nname='t'\nbidders=1\nitems=2\nprior={kind='triangle',hi=2}\n",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("hi"), "{err}");
}

#[test]
fn every_bad_field_is_named() {
    let cases: &[(&str, &str)] = &[
        ("[train]\nbatchsize = 3\n", "batchsize"),
        ("[train]\nbatch_size = 0\n", "train.batch_size"),
        ("[train]\nbatch_size = -1\n", "batch_size"),
        ("[train]\nlr = nan\n", "train.lr"),
        ("[train]\nlr = 0.0\n", "train.lr"),
        ("[train]\nmisreport_lr = inf\n", "train.misreport_lr"),
        ("[train]\nlambda_init = -1.0\n", "train.lambda_init"),
        ("[train]\nlr_decay_from = 1.0\n", "train.lr_decay_from"),
        ("[train]\nlr_final = 0.0\n", "train.lr_final"),
        (
            "[train]\nrho_increment_every = 0\n",
            "train.rho_increment_every",
        ),
        ("[train]\ntrain_size = 100\n", "train.batch_size"),
        ("[train]\ntrain_size = 100000000000\n", "train.train_size"),
        ("[net]\nalloc_hidden = []\n", "net.alloc_hidden"),
        ("[net]\npay_hidden = [100, 0]\n", "net.pay_hidden"),
        ("[net]\nalloc_hidden = [60000, 60000]\n", "net.alloc_hidden"),
        ("[net]\nmenu = 'generated'\n", "net.menu"),
        ("[net]\nmenu = 'lottery'\n", "menu"),
        (
            "[net]\nkind = 'ama'\nmenu = 'generated'\nmenu_hidden = []\n",
            "net.menu_hidden",
        ),
        (
            "[net]\nkind = 'ama'\nmenu = 'generated'\nmenu_hidden = [64, 0]\n",
            "net.menu_hidden",
        ),
        ("[eval]\nsamples = 0\n", "eval.samples"),
        ("[train]\nkeep_checkpoints = 0\n", "train.keep_checkpoints"),
        (
            "[train]\nbest_regret_bound = -1.0\n",
            "train.best_regret_bound",
        ),
        ("[train]\ninit_misreports = true\n", "train.init_misreports"),
        ("[train]\nrho_steps = 0\n", "train.rho_steps"),
        ("[train]\nshards = 0\n", "train.shards"),
        (
            "[train]\nmisreport_prior_starts = 65\n",
            "train.misreport_prior_starts",
        ),
        (
            "[train]\nmisreport_prior_starts = -1\n",
            "misreport_prior_starts",
        ),
        ("[train]\nbatch_size = 2\nshards = 3\n", "train.shards"),
        (
            "[train]\niterations = 10\nschedule_end = 11\n",
            "train.schedule_end",
        ),
        ("[eval]\nrestarts = -1\n", "restarts"),
        ("[eval]\ngrid = 1\n", "eval.grid"),
        ("[eval]\ngrid = 5000\n", "eval.grid"),
        ("[eval]\ngrid_refine_top = 0\n", "eval.grid_refine_top"),
        ("[eval]\ncoordinate_grid = 1\n", "eval.coordinate_grid"),
        ("[eval]\ncoordinate_sweeps = 0\n", "eval.coordinate_sweeps"),
        ("[eval]\npair_grid = 1\n", "eval.pair_grid"),
        ("[eval]\npair_grid = 500\n", "eval.pair_grid"),
        (
            "[eval]\nreference_samples = 5\nreference_steps = 0\n",
            "eval.reference_steps",
        ),
        ("[eval]\ncorners = 3\n", "corners"),
        ("[eval]\nlr = -0.1\n", "eval.lr"),
        (
            "[eval]\nbatch_size = 1000000\nrestarts = 1000\n",
            "eval.batch_size",
        ),
        ("[extra]\n", "extra"),
    ];
    for (extra, needle) in cases {
        let err = with(extra).expect_err(extra).to_string();
        assert!(err.contains(needle), "{extra:?} gave {err:?}");
    }
    let bad_settings: &[(&str, &str)] = &[
        (
            "bidders=0\nitems=2\nprior={kind='uniform',lo=0,hi=1}",
            "setting.bidders",
        ),
        (
            "bidders=1\nitems=2\nprior={kind='uniform',lo=1,hi=1}",
            "lo = 1 must be below",
        ),
        (
            "bidders=1\nitems=2\nprior={kind='uniform',lo=0,hi=nan}",
            "setting.prior.hi",
        ),
        (
            "bidders=1\nitems=2\nprior={kind='uniform',lo=[0,0,0],hi=1}",
            "setting.prior.lo",
        ),
        (
            "bidders=1\nitems=2\nprior={kind='normal',lo=0,hi=1}",
            "normal",
        ),
        (
            "bidders=1\nitems=2\nprior={kind='uniform',lo=0,hi=1,mid=3}",
            "mid",
        ),
        (
            "bidders=1\nitems=2\nvaluation='unit'\nprior={kind='uniform',lo=0,hi=1}",
            "unit",
        ),
    ];
    for (body, needle) in bad_settings {
        let err = Config::from_toml_str(&format!("[setting]\nname='x'\n{body}\n"))
            .expect_err(body)
            .to_string();
        assert!(err.contains(needle), "{body:?} gave {err:?}");
    }
}

#[test]
fn exponential_and_mixture_priors_parse_round_trip_and_name_their_errors() {
    // The reference MyersonNet's exponential(3) and irregular 3/4 U[0,3] + 1/4 U[3,8].
    let c = Config::from_toml_str(
        "[setting]\nname='e'\nbidders=3\nitems=1\nprior={kind='exponential',scale=3}\n",
    )
    .unwrap();
    assert_eq!(Config::from_toml_str(&c.to_toml_string()).unwrap(), c);
    let s = c.setting.build().unwrap();
    let m = s.prior.marginal(2, 0).unwrap();
    // The default cap: the 1 - 1e-4 quantile, 3 ln(1e4).
    assert!((m.report_range().1 - 3.0 * 1e4f64.ln()).abs() < 1e-9);
    assert!((m.cdf(m.report_range().1) - (1.0 - 1e-4)).abs() < 1e-12);
    let c = Config::from_toml_str(
        "[setting]\nname='i'\nbidders=3\nitems=1\n[setting.prior]\nkind='mixture'\n\
         parts=[{weight=0.75,lo=0,hi=3},{weight=0.25,lo=3,hi=8}]\n",
    )
    .unwrap();
    assert_eq!(Config::from_toml_str(&c.to_toml_string()).unwrap(), c);
    assert_eq!(
        c.setting.build().unwrap().prior.bounding_box(1),
        vec![(0.0, 8.0)]
    );
    let bad: &[(&str, &str)] = &[
        ("prior={kind='exponential',scale=0}", "setting.prior.scale"),
        (
            "prior={kind='exponential',scale=[1,2]}",
            "setting.prior.scale",
        ),
        (
            "prior={kind='exponential',scale=3,cap=1}",
            "setting.prior.cap",
        ),
        ("prior={kind='exponential'}", "scale"),
        ("prior={kind='mixture',parts=[]}", "setting.prior.parts"),
        (
            "prior={kind='mixture',parts=[{weight=0.5,lo=0,hi=1}]}",
            "setting.prior.parts",
        ),
        (
            "prior={kind='mixture',parts=[{weight=1,lo=2,hi=1}]}",
            "setting.prior.parts",
        ),
        (
            "prior={kind='mixture',parts=[{weight=1,lo=0,hi=1,mode=2}]}",
            "mode",
        ),
    ];
    for (prior, needle) in bad {
        let err = Config::from_toml_str(&format!(
            "[setting]\nname='x'\nbidders=3\nitems=1\n{prior}\n"
        ))
        .expect_err(prior)
        .to_string();
        assert!(err.contains(needle), "{prior:?} gave {err:?}");
    }
}

#[test]
fn an_annealed_regret_target_round_trips_and_is_checked() {
    let c = with(
        "[train]\nregret_target = 1e-4\nregret_target_start = 3e-3\nregret_target_anneal = 0.25\n",
    )
    .unwrap();
    assert_eq!(c.train.regret_target_start, Some(3e-3));
    assert_eq!(c.train.regret_target_anneal, Some(0.25));
    assert_eq!(Config::from_toml_str(&c.to_toml_string()).unwrap(), c);
    for (extra, field) in [
        // A start without a target, at or below the target, or not a regret.
        ("regret_target_start = 1e-2", "train.regret_target_start"),
        (
            "regret_target = 1e-3\nregret_target_start = 1e-3",
            "train.regret_target_start",
        ),
        (
            "regret_target = 1e-3\nregret_target_start = 1.5",
            "train.regret_target_start",
        ),
        (
            "regret_target = 1e-3\nregret_target_start = nan",
            "train.regret_target_start",
        ),
        // An anneal without a start, or not a fraction of the schedule.
        (
            "regret_target = 1e-3\nregret_target_anneal = 0.5",
            "train.regret_target_anneal",
        ),
        (
            "regret_target = 1e-3\nregret_target_start = 1e-2\nregret_target_anneal = 0.0",
            "train.regret_target_anneal",
        ),
        (
            "regret_target = 1e-3\nregret_target_start = 1e-2\nregret_target_anneal = 1.5",
            "train.regret_target_anneal",
        ),
    ] {
        let err = with(&format!("[train]\n{extra}\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains(field), "{extra}: {err}");
    }
}

#[test]
fn a_regret_target_is_a_regret_and_round_trips() {
    let c = with("[train]\nregret_target = 1e-4\n").unwrap();
    assert_eq!(c.train.regret_target, Some(1e-4));
    assert_eq!(c.train.regret_target_rate, DEFAULT_REGRET_TARGET_RATE);
    let text = c.to_toml_string();
    assert!(text.contains("regret_target = 0.0001") && !text.contains("regret_target_rate"));
    assert_eq!(Config::from_toml_str(&text).unwrap(), c);
    for (extra, field) in [
        ("regret_target = 0.0", "train.regret_target"),
        ("regret_target = 2.0", "train.regret_target"),
        ("regret_target = nan", "train.regret_target"),
        ("regret_target_rate = 0.0", "train.regret_target_rate"),
        ("regret_target_rate = 3.0", "train.regret_target_rate"),
    ] {
        let err = with(&format!("[train]\n{extra}\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains(field), "{extra}: {err}");
    }
}
