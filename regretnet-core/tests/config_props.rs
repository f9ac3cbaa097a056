//! Properties of the config parser: valid configs survive a round trip through their TOML
//! text unchanged; random text and random mutations of valid text never panic.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use regretnet_core::{Bound, Config, PriorConfig};

fn base() -> Config {
    Config::from_toml_str(
        "[setting]\nname='p'\nbidders=1\nitems=1\nprior={kind='uniform',lo=0,hi=1}\n",
    )
    .unwrap()
}

prop_compose! {
    fn bound(items: usize)(scalar in 0.0f64..5.0, per in proptest::collection::vec(0.0f64..5.0, items), pick in 0..2u8) -> Bound {
        if pick == 0 { Bound::Scalar(scalar) } else { Bound::PerItem(per) }
    }
}

prop_compose! {
    fn valid_config()(bidders in 1usize..5, items in 1usize..6)
        (lo in bound(items), width in 0.1f64..10.0,
         alloc in proptest::collection::vec(1usize..200, 1..4),
         pay in proptest::collection::vec(1usize..200, 1..4),
         seed in any::<u64>(), iterations in 1u64..1_000_000,
         batch in 1usize..512, epochs in 1usize..100,
         lr in 1e-6f64..1e-1, decay in proptest::option::of(0.0f64..0.99),
         steps in 0usize..60, lambda in 0.0f64..50.0, rho in 0.0f64..100.0,
         keep in 1usize..10, grid in prop_oneof![Just(0usize), 2usize..300],
         restarts in 0usize..100, corners in any::<bool>(),
         bidders in Just(bidders), items in Just(items)) -> Config {
        let mut c = base();
        c.setting.name = format!("s{bidders}x{items}");
        c.setting.bidders = bidders;
        c.setting.items = items;
        let hi = match &lo {
            Bound::Scalar(x) => Bound::Scalar(x + width),
            Bound::PerItem(v) => Bound::PerItem(v.iter().map(|x| x + width).collect()),
            Bound::PerBidderItem(_) => unreachable!(),
        };
        c.setting.prior = PriorConfig::Uniform { lo, hi };
        c.net.alloc_hidden = alloc;
        c.net.pay_hidden = pay;
        let t = &mut c.train;
        t.seed = seed;
        t.iterations = iterations;
        t.batch_size = batch;
        // The default two shards need a batch of at least two (validate refuses more
        // shards than profiles).
        t.shards = t.shards.min(batch);
        t.train_size = batch * epochs;
        t.lr = lr;
        t.lr_decay_from = decay;
        t.misreport_steps = steps;
        t.lambda_init = lambda;
        t.rho_increment = rho;
        t.keep_checkpoints = keep;
        c.eval.grid = grid;
        c.eval.restarts = restarts;
        c.eval.corners = corners;
        c
    }
}

/// A random edit of `text`: delete a span, insert a snippet, or duplicate a line.
fn mutate(text: &str, op: u8, at: usize, len: usize, snippet: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let at = at % (chars.len() + 1);
    let end = (at + len).min(chars.len());
    match op % 3 {
        0 => chars[..at].iter().chain(&chars[end..]).collect(),
        1 => {
            let mut s: String = chars[..at].iter().collect();
            s.push_str(snippet);
            s.extend(&chars[at..]);
            s
        }
        _ => {
            let lines: Vec<&str> = text.lines().collect();
            let k = at % lines.len().max(1);
            let mut out: Vec<&str> = lines.clone();
            if let Some(line) = lines.get(k) {
                out.insert(k, line);
            }
            out.join("\n")
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn valid_configs_round_trip_through_toml(c in valid_config()) {
        prop_assert!(c.validate().is_ok(), "{:?}", c.validate());
        let text = c.to_toml_string();
        let back = Config::from_toml_str(&text).unwrap();
        prop_assert_eq!(back, c);
    }

    #[test]
    fn mutated_configs_never_panic(
        c in valid_config(),
        edits in proptest::collection::vec(
            (any::<u8>(), any::<usize>(), 0usize..40,
             prop_oneof![
                 Just("=".to_string()), Just("[".to_string()), Just("]".to_string()),
                 Just("-1".to_string()), Just("nan".to_string()), Just("inf".to_string()),
                 Just("1e400".to_string()), Just("\"".to_string()), Just("\n[train]\n".to_string()),
                 Just("18446744073709551616".to_string()), Just("{".to_string()),
                 "[a-z_]{1,8} = [0-9.e-]{1,6}\n",
                 ".{0,12}",
             ]),
            1..6)
    ) {
        let mut text = c.to_toml_string();
        for (op, at, len, snippet) in &edits {
            text = mutate(&text, *op, *at, *len, snippet);
        }
        // Either a config or an error that names something; never a panic.
        if let Err(e) = Config::from_toml_str(&text) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,300}") {
        let _ = Config::from_toml_str(&text);
    }
}
