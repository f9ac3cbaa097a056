//! Training metrics: rows, sinks (CSV file, memory), and the CSV layout.
//!
//! `metrics.csv` has one row every `log_every` iterations with the means over those iterations:
//! `iteration,revenue,regret_0..regret_{n-1},regret_mean,lambda_0..,rho,loss,seconds`.
//! `validation.csv` has one row per validation:
//! `iteration,revenue,regret_0..,regret_mean,regret_max,seconds`.
//! `trace.csv` (only when `train.trace_every > 0`) has one row per layer and traced iteration
//! ([`super::trace`]).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Result, TrainError};
use crate::run::trace::{TraceRow, TRACE_HEADER};

/// Means over the last logging window.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsRow {
    /// Iterations completed.
    pub iteration: u64,
    /// Mean batch revenue.
    pub revenue: f64,
    /// Mean batch regret of each bidder (the training search's estimate).
    pub regret: Vec<f64>,
    /// Multipliers at the end of the window.
    pub lambda: Vec<f64>,
    /// Penalty weight at the end of the window.
    pub rho: f64,
    /// Mean loss.
    pub loss: f64,
    /// Wall-clock seconds since training started (this process).
    pub seconds: f64,
}

/// A validation on the held-out sample with a stronger search than training's.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationRow {
    /// Iterations completed.
    pub iteration: u64,
    /// Mean revenue.
    pub revenue: f64,
    /// Mean regret of each bidder.
    pub regret: Vec<f64>,
    /// Largest per-profile regret.
    pub regret_max: f64,
    /// Wall-clock seconds since training started.
    pub seconds: f64,
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// Where metrics go.
pub trait MetricsSink {
    /// Record a training row.
    fn record(&mut self, row: &MetricsRow) -> Result<()>;
    /// Record a validation.
    fn record_validation(&mut self, row: &ValidationRow) -> Result<()>;
    /// Record the layer trace of one iteration (`train.trace_every`); ignored by default.
    fn record_trace(&mut self, rows: &[TraceRow]) -> Result<()> {
        let _ = rows;
        Ok(())
    }
}

/// Keeps every row in memory (tests, library users).
#[derive(Debug, Default, Clone)]
pub struct MemorySink {
    /// Training rows.
    pub rows: Vec<MetricsRow>,
    /// Validation rows.
    pub validations: Vec<ValidationRow>,
    /// Layer-trace rows.
    pub trace: Vec<TraceRow>,
}

impl MetricsSink for MemorySink {
    fn record(&mut self, row: &MetricsRow) -> Result<()> {
        self.rows.push(row.clone());
        Ok(())
    }
    fn record_validation(&mut self, row: &ValidationRow) -> Result<()> {
        self.validations.push(row.clone());
        Ok(())
    }
    fn record_trace(&mut self, rows: &[TraceRow]) -> Result<()> {
        self.trace.extend_from_slice(rows);
        Ok(())
    }
}

/// Appends rows to `metrics.csv` and `validation.csv` in a run directory, flushing each row.
#[derive(Debug)]
pub struct CsvSink {
    metrics: (PathBuf, std::fs::File),
    validation: (PathBuf, std::fs::File),
    /// `trace.csv`, opened on the first trace.
    trace: Option<(PathBuf, std::fs::File)>,
    dir: PathBuf,
}

fn open_csv(path: &Path, header: &str) -> Result<std::fs::File> {
    let fresh = !path.exists();
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| TrainError::io(path, e))?;
    if fresh {
        writeln!(f, "{header}").map_err(|e| TrainError::io(path, e))?;
    }
    Ok(f)
}

fn numbered(prefix: &str, n: usize) -> String {
    (0..n)
        .map(|i| format!("{prefix}_{i}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn join(v: &[f64]) -> String {
    v.iter()
        .map(|x| format!("{x:.6e}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The iteration of the last complete row of the `metrics.csv` at `path` (`None` when the file
/// is missing or has no complete row): how far a run has trained, read without its trainer.
pub fn read_last_iteration(path: &Path) -> Option<u64> {
    row_iterations(&std::fs::read_to_string(path).ok()?).last()
}

/// The iterations of a CSV text's complete data rows (the header and a partial last line
/// skipped).
fn row_iterations(text: &str) -> impl Iterator<Item = u64> + '_ {
    text.split_inclusive('\n')
        .skip(1)
        .filter(|line| line.ends_with('\n'))
        .filter_map(|line| line.split(',').next()?.parse::<u64>().ok())
}

/// How many complete data rows of the run's `metrics.csv` and `validation.csv` in `dir` are
/// past `iteration` (what [`truncate_after`] would cut from them).
pub fn rows_after(dir: &Path, iteration: u64) -> Result<usize> {
    let mut count = 0;
    for name in ["metrics.csv", "validation.csv"] {
        let path = dir.join(name);
        if !path.exists() {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| TrainError::io(&path, e))?;
        count += row_iterations(&text).filter(|&it| it > iteration).count();
    }
    Ok(count)
}

/// Drop the rows of `metrics.csv` and `validation.csv` in `dir` after `iteration` (and any
/// partial last line), rewriting each file atomically: what a resumed run does before it
/// appends, so that the files read as if the run had never been interrupted.
pub fn truncate_after(dir: &Path, iteration: u64) -> Result<()> {
    for name in ["metrics.csv", "validation.csv", TRACE_CSV] {
        // A trace row is labelled with the updates done *before* its step: the row of
        // `iteration` is written again by the resumed run.
        let keep = |it: u64| {
            if name == TRACE_CSV {
                it < iteration
            } else {
                it <= iteration
            }
        };
        let path = dir.join(name);
        if !path.exists() {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| TrainError::io(&path, e))?;
        let mut kept = String::with_capacity(text.len());
        for (k, line) in text.split_inclusive('\n').enumerate() {
            if !line.ends_with('\n') {
                break; // a row cut short by a kill
            }
            let row_it = line.split(',').next().and_then(|f| f.parse::<u64>().ok());
            if k == 0 || row_it.is_some_and(keep) {
                kept.push_str(line);
            }
        }
        regretnet_nets::checkpoint::write_atomic(&path, kept.as_bytes())
            .map_err(|e| TrainError::io(&path, e))?;
    }
    Ok(())
}

impl CsvSink {
    /// Open (or create, with a header) the CSV files of a run with `bidders` bidders.
    pub fn open(dir: &Path, bidders: usize) -> Result<Self> {
        let mp = dir.join("metrics.csv");
        let vp = dir.join("validation.csv");
        let mh = format!(
            "iteration,revenue,{},regret_mean,{},rho,loss,seconds",
            numbered("regret", bidders),
            numbered("lambda", bidders)
        );
        let vh = format!(
            "iteration,revenue,{},regret_mean,regret_max,seconds",
            numbered("regret", bidders)
        );
        Ok(CsvSink {
            metrics: (mp.clone(), open_csv(&mp, &mh)?),
            validation: (vp.clone(), open_csv(&vp, &vh)?),
            trace: None,
            dir: dir.to_path_buf(),
        })
    }
}

impl MetricsSink for CsvSink {
    fn record(&mut self, r: &MetricsRow) -> Result<()> {
        let (path, f) = &mut self.metrics;
        writeln!(
            f,
            "{},{:.6},{},{:.6e},{},{:.6e},{:.6},{:.3}",
            r.iteration,
            r.revenue,
            join(&r.regret),
            mean(&r.regret),
            join(&r.lambda),
            r.rho,
            r.loss,
            r.seconds
        )
        .and_then(|_| f.flush())
        .map_err(|e| TrainError::io(path, e))
    }

    fn record_validation(&mut self, r: &ValidationRow) -> Result<()> {
        let (path, f) = &mut self.validation;
        writeln!(
            f,
            "{},{:.6},{},{:.6e},{:.6e},{:.3}",
            r.iteration,
            r.revenue,
            join(&r.regret),
            mean(&r.regret),
            r.regret_max,
            r.seconds
        )
        .and_then(|_| f.flush())
        .map_err(|e| TrainError::io(path, e))
    }

    fn record_trace(&mut self, rows: &[TraceRow]) -> Result<()> {
        if self.trace.is_none() {
            let p = self.dir.join(TRACE_CSV);
            self.trace = Some((p.clone(), open_csv(&p, TRACE_HEADER)?));
        }
        let (path, f) = self.trace.as_mut().expect("opened above");
        let mut text = String::new();
        for r in rows {
            text += &r.csv();
            text.push('\n');
        }
        f.write_all(text.as_bytes())
            .and_then(|_| f.flush())
            .map_err(|e| TrainError::io(path, e))
    }
}

/// The layer trace's file in a run directory.
pub const TRACE_CSV: &str = "trace.csv";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_keeps_the_header_and_rows_up_to_the_iteration() {
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path().join("metrics.csv");
        std::fs::write(&m, "iteration,x\n10,a\n20,b\n30,c\n40,d").unwrap();
        std::fs::write(dir.path().join("validation.csv"), "iteration,y\n20,v\n").unwrap();
        let t = dir.path().join(TRACE_CSV);
        std::fs::write(&t, "iteration,layer\n10,a\n10,b\n20,a\n20,b\n").unwrap();
        truncate_after(dir.path(), 20).unwrap();
        // Trace row 20 is the gradient at the weights after 20 updates: the resumed run's
        // first step writes it again.
        assert_eq!(
            std::fs::read_to_string(&t).unwrap(),
            "iteration,layer\n10,a\n10,b\n"
        );
        assert_eq!(
            std::fs::read_to_string(&m).unwrap(),
            "iteration,x\n10,a\n20,b\n"
        );
        let v = std::fs::read_to_string(dir.path().join("validation.csv")).unwrap();
        assert_eq!(v, "iteration,y\n20,v\n");
        // A partial last row (killed mid-write) goes even when its iteration is early.
        std::fs::write(&m, "iteration,x\n10,a\n20,b").unwrap();
        truncate_after(dir.path(), 99).unwrap();
        assert_eq!(std::fs::read_to_string(&m).unwrap(), "iteration,x\n10,a\n");
    }
}
