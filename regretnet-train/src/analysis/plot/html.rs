//! The run's `report.html`: one self-contained page (no scripts, no external files; the SVG
//! figures inline) with the configuration, the final training metrics, the latest evaluation
//! (for an AMA with the menu entries it chose most often) and every figure.

use crate::analysis::plot::curves::Table;
use crate::analysis::plot::{latest_eval, Figure};
use crate::error::Result;
use crate::eval::menu::MenuUsage;
use crate::run::rundir::RunDir;

/// `&`, `<`, `>` and `"` escaped for HTML text and attributes.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn row(cells: &[String]) -> String {
    format!(
        "<tr>{}</tr>\n",
        cells
            .iter()
            .map(|c| format!("<td>{}</td>", escape(c)))
            .collect::<String>()
    )
}

/// The last row of a metrics table as `name: value` pairs.
fn last_row(table: &Table, keep: &[&str]) -> Vec<(String, String)> {
    let Some(last) = table.rows.last() else {
        return Vec::new();
    };
    table
        .header
        .iter()
        .zip(last)
        .filter(|(h, _)| keep.iter().any(|k| h.starts_with(k)))
        .map(|(h, v)| {
            let text = if v.fract() == 0.0 && v.abs() < 1e15 {
                format!("{v:.0}")
            } else {
                format!("{v:.6}")
            };
            (h.clone(), text)
        })
        .collect()
}

fn pairs_table(title: &str, pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let mut s = format!("<h2>{}</h2>\n<table>\n", escape(title));
    for (k, v) in pairs {
        s += &row(&[k.clone(), v.clone()]);
    }
    s + "</table>\n"
}

/// The table of an AMA's most chosen menu entries, from an evaluation's `menu` field (empty
/// when there is none).
fn menu_table(menu: &serde_json::Value) -> String {
    let Ok(u) = serde_json::from_value::<MenuUsage>(menu.clone()) else {
        return String::new();
    };
    let mut s = format!(
        "<h2>Menu entries chosen most often</h2>\n<p>{} entries (the empty one, entry 0, \
         included); {} chosen on the {} test profiles; {} cover half of them and {} cover 90%. \
         Bidder weights {}. Each bidder's cells: its probability of each item (combinatorial: \
         the coefficients of item 1, item 2 and the bundle's complementarity).</p>\n<table>\n",
        u.entries,
        u.used,
        u.profiles,
        u.cover[0],
        u.cover[1],
        escape(
            &u.weights
                .iter()
                .map(|w| format!("{w:.3}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    );
    let mut header = vec![
        "entry".to_string(),
        "chosen".into(),
        "revenue when chosen".into(),
        "boost".into(),
    ];
    header.extend((1..=u.bidders).map(|i| format!("bidder {i}: {}", u.columns.join(", "))));
    s += &row(&header);
    let d = u.columns.len().max(1);
    for e in &u.top {
        let mut cells = vec![
            e.entry.to_string(),
            format!("{:.1}%", 100.0 * e.share),
            format!("{:.4}", e.revenue),
            format!("{:.3}", e.boost),
        ];
        cells.extend(e.alloc.chunks(d).map(|r| {
            r.iter()
                .map(|a| format!("{a:.2}"))
                .collect::<Vec<_>>()
                .join(" ")
        }));
        s += &row(&cells);
    }
    s + "</table>\n"
}

/// The report page for `run` with `figures` (their SVG texts in `svgs`, in order).
pub fn report_html(run: &RunDir, figures: &[Figure], svgs: &[String]) -> Result<String> {
    let config = run.read_config()?;
    let mut body = String::new();
    body += &format!(
        "<h1>regretnet run: {}</h1>\n<p>{} bidder(s), {} item(s), {} valuation; run directory \
         <code>{}</code>; regretnet {}.</p>\n",
        escape(&config.setting.name),
        config.setting.bidders,
        config.setting.items,
        config.setting.valuation.name(),
        escape(&run.path().display().to_string()),
        env!("CARGO_PKG_VERSION")
    );
    if let Some(m) = Table::read(&run.path().join("metrics.csv"))? {
        body += &pairs_table(
            "Last training row (metrics.csv)",
            &last_row(
                &m,
                &["iteration", "revenue", "regret", "lambda", "rho", "loss"],
            ),
        );
    }
    if let Some(v) = Table::read(&run.path().join("validation.csv"))? {
        body += &pairs_table(
            "Last validation (validation.csv)",
            &last_row(&v, &["iteration", "revenue", "regret"]),
        );
    }
    if let Some((name, e)) = latest_eval(run)? {
        let f = |k: &str| e[k].as_f64().map_or("-".to_string(), |x| format!("{x:.6}"));
        let p = &e["protocol"];
        let mut pairs = vec![
            ("protocol".to_string(), name.clone()),
            (
                "test sample".into(),
                format!("{} profiles, seed {}", e["samples"], p["seed"]),
            ),
            (
                "search".into(),
                format!(
                    "truthful + corners + {} prior starts x {} Adam steps at lr {}",
                    p["restarts"], p["steps"], p["lr"]
                ),
            ),
            (
                "audit".into(),
                format!("{} (grid {})", e["audit"], p["grid"]),
            ),
            (
                "revenue".into(),
                format!("{} +- {}", f("revenue"), f("revenue_se")),
            ),
            ("optimal revenue on the sample".into(), f("optimal_revenue")),
            (
                "regret (audited)".into(),
                format!("{} +- {}", f("regret"), f("regret_se")),
            ),
            (
                "regret (gradient search)".into(),
                e["gradient"]["mean"]
                    .as_f64()
                    .map_or("-".into(), |x| format!("{x:.6}")),
            ),
            ("audit / search".into(), f("audit_to_gradient")),
        ];
        // Every estimate beside the search, with its ratio to the search on its profiles.
        for est in e["estimates"].as_array().into_iter().flatten() {
            pairs.push((
                format!(
                    "{} ({} profiles)",
                    est["name"].as_str().unwrap_or("-"),
                    est["profiles"]
                ),
                format!(
                    "{} ({:.3}x the search)",
                    est["mean"]
                        .as_f64()
                        .map_or("-".into(), |x| format!("{x:.6}")),
                    est["to_search"].as_f64().unwrap_or(f64::NAN)
                ),
            ));
        }
        // The proven upper bound, where the evaluation certified the regret.
        let c = &e["certified"];
        if c.is_object() {
            let num = |k: &str| c[k].as_f64().map_or("-".into(), |x| format!("{x:.6}"));
            pairs.push((
                format!("regret, certified upper bound ({} profiles)", c["profiles"]),
                format!(
                    "{} +- {} (max {}; {:.1}% of profiles and bidders within tol {}; audited {} on the same profiles)",
                    num("mean"),
                    num("se"),
                    num("max"),
                    100.0 * c["share_within_tol"].as_f64().unwrap_or(f64::NAN),
                    c["tol"],
                    num("audited")
                ),
            ));
        }
        pairs.extend([
            ("IR violation".into(), f("ir_violation")),
            (
                "checkpoint".into(),
                e["checkpoint"].as_str().unwrap_or("-").to_string(),
            ),
        ]);
        body += &pairs_table("Latest evaluation", &pairs);
        body += &menu_table(&e["menu"]);
    }
    body += "<h2>Figures</h2>\n";
    if figures.is_empty() {
        body += "<p>No figures yet: train the run first.</p>\n";
    }
    for (fig, svg) in figures.iter().zip(svgs) {
        body += &format!(
            "<figure id=\"{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
            escape(&fig.stem),
            svg.trim(),
            escape(&fig.title)
        );
    }
    body += &format!(
        "<h2>Configuration</h2>\n<pre>{}</pre>\n",
        escape(&config.to_toml_string())
    );
    Ok(format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>regretnet: \
         {}</title>\n<style>\nbody {{ font-family: sans-serif; max-width: 1150px; margin: 2em auto; \
         color: #222; }}\ntable {{ border-collapse: collapse; margin-bottom: 1em; }}\ntd {{ border: \
         1px solid #ccc; padding: 3px 8px; }}\nfigure {{ margin: 1.5em 0; }}\nfigcaption {{ \
         color: #555; }}\npre {{ background: #f6f6f6; padding: 1em; overflow-x: auto; }}\n</style>\n\
         </head>\n<body>\n{body}</body>\n</html>\n",
        escape(&config.setting.name)
    ))
}
