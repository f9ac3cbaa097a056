//! The layer trace's record: one row per layer and traced iteration, as written to
//! `trace.csv` by the metrics sinks ([`super::metrics`]) and read back by `regretnet probe`.
//! What the columns measure and how the trainer computes them: [`crate::train::layers`].

/// One layer at one traced iteration.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceRow {
    /// Weight updates done before the traced gradient (0: the initial weights).
    pub iteration: u64,
    /// The layer (`alloc.hidden0`, ..., `pay.out`).
    pub layer: String,
    /// `|dR/dW|`, the revenue term's gradient norm.
    pub revenue_grad: f64,
    /// `|dG/dW|`, the regret terms' gradient norm.
    pub regret_grad: f64,
    /// `|dG/dW| / |dR/dW|` (infinite when the revenue gradient is 0).
    pub ratio: f64,
    /// Cosine between `dR/dW` and `dG/dW` (0 when either is 0).
    pub cosine: f64,
    /// `|W - W_0| / |W_0|`.
    pub movement: f64,
}

/// The header of `trace.csv`.
pub const TRACE_HEADER: &str = "iteration,layer,revenue_grad,regret_grad,ratio,cosine,movement";

impl TraceRow {
    /// The row as a line of `trace.csv` (no newline).
    pub fn csv(&self) -> String {
        format!(
            "{},{},{:.6e},{:.6e},{:.6e},{:.6},{:.6e}",
            self.iteration,
            self.layer,
            self.revenue_grad,
            self.regret_grad,
            self.ratio,
            self.cosine,
            self.movement
        )
    }
}

/// Parse `trace.csv` back into rows (for `regretnet probe`).
pub fn parse_trace(text: &str) -> std::result::Result<Vec<TraceRow>, String> {
    let mut out = Vec::new();
    for (k, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != 7 {
            return Err(format!("line {}: {} fields, expected 7", k + 1, f.len()));
        }
        let num = |i: usize| {
            f[i].parse::<f64>().map_err(|_| {
                format!(
                    "line {}: field {} is not a number: {:?}",
                    k + 1,
                    i + 1,
                    f[i]
                )
            })
        };
        out.push(TraceRow {
            iteration: f[0]
                .parse()
                .map_err(|_| format!("line {}: bad iteration {:?}", k + 1, f[0]))?,
            layer: f[1].to_string(),
            revenue_grad: num(2)?,
            regret_grad: num(3)?,
            ratio: num(4)?,
            cosine: num(5)?,
            movement: num(6)?,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_survive_the_csv_round_trip_and_bad_lines_are_named() {
        let row = TraceRow {
            iteration: 20,
            layer: "alloc.hidden0".into(),
            revenue_grad: 1.5e-2,
            regret_grad: 3.0e-3,
            ratio: 0.2,
            cosine: -0.25,
            movement: 0.125,
        };
        let text = format!("{TRACE_HEADER}\n{}\n", row.csv());
        assert_eq!(parse_trace(&text).unwrap(), vec![row]);
        let err = parse_trace("h\n1,a,2").unwrap_err();
        assert!(err.contains("line 2: 3 fields"), "{err}");
        let err = parse_trace("h\n1,a,x,1,1,1,1").unwrap_err();
        assert!(err.contains("field 3"), "{err}");
    }
}
