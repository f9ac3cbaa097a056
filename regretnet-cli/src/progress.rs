//! Progress on stderr: a bar on a terminal, plain lines otherwise, nothing with `--quiet`
//! (warnings always). [`Display`] shows what the library reports while training, evaluating
//! and reproducing.

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use regretnet_train::tools::reproduce::{ReproduceProgress, Row};
use regretnet_train::{Event, Phase};

/// A progress display for `total` units of `unit`.
pub fn bar(total: u64, unit: &str, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
    }
    let pb = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let template =
        format!("{{elapsed_precise}} [{{bar:30}}] {{pos}}/{{len}} {unit} (eta {{eta}}) {{msg}}");
    pb.set_style(
        ProgressStyle::with_template(&template)
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    pb
}

/// Print a line above the bar (or plainly on stderr without a terminal), unless quiet.
pub fn line(pb: &ProgressBar, quiet: bool, msg: &str) {
    if quiet {
        return;
    }
    if pb.is_hidden() {
        eprintln!("{msg}");
    } else {
        pb.println(msg);
    }
}

/// The stderr display of a command: a training bar with validation lines, one bar per
/// evaluation phase, messages and warnings.
pub struct Display {
    quiet: bool,
    train: Mutex<Option<ProgressBar>>,
    eval: Mutex<Option<(Phase, ProgressBar)>>,
}

impl Display {
    pub fn new(quiet: bool) -> Self {
        Display {
            quiet,
            train: Mutex::new(None),
            eval: Mutex::new(None),
        }
    }
}

impl ReproduceProgress for Display {
    fn row_started(&self, index: usize, total: usize, name: &str) {
        if !self.quiet {
            eprintln!("[{}/{total}] {name}", index + 1);
        }
    }

    fn message(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    fn warning(&self, text: &str) {
        // Warnings are not progress: --quiet does not hide them.
        for l in text.lines() {
            eprintln!("warning: {l}");
        }
    }

    fn train_started(&self, iteration: u64, total: u64, text: &str) {
        let pb = bar(total, "iterations", self.quiet);
        pb.set_position(iteration);
        line(&pb, self.quiet, text);
        *self.train.lock().expect("progress lock") = Some(pb);
    }

    fn train_event(&self, event: &Event<'_>) {
        let cur = self.train.lock().expect("progress lock");
        let Some(pb) = cur.as_ref() else { return };
        match event {
            Event::Logged(row) => {
                pb.set_position(row.iteration);
                let rgt = row.regret.iter().sum::<f64>() / row.regret.len() as f64;
                pb.set_message(format!("revenue {:.4} regret {:.2e}", row.revenue, rgt));
            }
            Event::Validated(v) => {
                let rgt = v.regret.iter().sum::<f64>() / v.regret.len() as f64;
                line(
                    pb,
                    self.quiet,
                    &format!(
                        "iteration {:>8}  validation revenue {:.4}  regret {:.3e} (max {:.2e})  {:.0} s",
                        v.iteration, v.revenue, rgt, v.regret_max, v.seconds
                    ),
                );
            }
            Event::Checkpoint(_) => {}
        }
    }

    fn train_finished(&self) {
        if let Some(pb) = self.train.lock().expect("progress lock").take() {
            pb.finish_and_clear();
        }
    }

    fn eval_tick(&self, phase: Phase, done: usize, total: usize) {
        let mut cur = self.eval.lock().expect("progress lock");
        if cur.as_ref().map(|(p, _)| *p) != Some(phase) {
            if let Some((_, old)) = cur.take() {
                old.finish_and_clear();
            }
            let pb = bar(total as u64, "profiles", self.quiet);
            pb.set_message(phase.to_string());
            *cur = Some((phase, pb));
        }
        if let Some((_, pb)) = cur.as_ref() {
            pb.set_position(done as u64);
        }
    }

    fn eval_finished(&self) {
        if let Some((_, pb)) = self.eval.lock().expect("progress lock").take() {
            pb.finish_and_clear();
        }
    }

    fn row_done(&self, row: &Row) {
        // The row's verdict is the command's output, not progress.
        println!(
            "{}: revenue {:.4} +- {:.4}, regret {:.2e} (audited), {}",
            row.label(),
            row.revenue,
            row.revenue_se,
            row.audited_regret,
            row.checks()
        );
    }
}
