//! Tests of the Slurm array script, the plan, and the row states read from run directories
//! (the real cluster is exercised by `xtask/slurm_ci.sh`, which `cargo xtask ci` runs).

use std::path::Path;

use regretnet_core::NetKind;

use crate::tools::reproduce::slurm::{
    array_script, estimate_memory_mb, slurm_time, Plan, SlurmOptions, SLURM_DIR,
};
use crate::tools::reproduce::status::{collect, row_states, RowState};
use crate::tools::reproduce::table::{Budget, Row};

fn plan() -> Plan {
    Plan {
        budget: Budget::Quick,
        rows: vec!["additive_1x2_uniform".into(), "unit_1x2_uniform".into()],
        paper_protocol: false,
        iterations: Some(300),
        samples: Some(500),
        checkpoint_every: Some(100),
        trace_every: None,
        sweep: Vec::new(),
    }
}

fn row(preset: &str) -> Row {
    Row {
        preset: preset.into(),
        budget: Budget::Quick,
        protocol: "default-n500".into(),
        iterations: 300,
        samples: 500,
        revenue: 0.5,
        revenue_se: 0.01,
        gradient_regret: 1e-3,
        audited_regret: 2e-3,
        audit_to_gradient: Some(2.0),
        baselines: Vec::new(),
        train_seconds: 10.0,
        eval_seconds: 5.0,
        command: "regretnet reproduce --budget quick".into(),
        estimates: Vec::new(),
        protocol_detail: None,
        net: NetKind::Regretnet,
        allocation_distance: None,
        sweep: None,
        regret_target_start: None,
    }
}

#[test]
fn the_script_runs_the_local_command_per_row_with_the_resources() {
    let p = plan();
    let opts = SlurmOptions {
        partition: Some("short".into()),
        extra: vec!["--account=econ".into()],
        ..Default::default()
    };
    let s = array_script(
        &p,
        &[],
        Path::new("/data/out"),
        Path::new("/opt/regretnet"),
        &opts,
    )
    .unwrap();
    for line in [
        "#!/bin/bash\n",
        "#SBATCH --array=0-1\n",
        "#SBATCH --partition=short\n",
        "#SBATCH --account=econ\n",
        "#SBATCH --cpus-per-task=2\n", // the rows' train.shards
        "#SBATCH --output=/data/out/slurm/task-%a-%A.out\n",
        "PRESETS=('additive_1x2_uniform' 'unit_1x2_uniform')\n",
        "ROWS=('additive_1x2_uniform' 'unit_1x2_uniform')\n",
        "'/opt/regretnet' reproduce '--budget' 'quick' '--iterations' '300' '--samples' '500' \
         '--checkpoint-every' '100' --only \"${PRESETS[$I]}\" ${SWEEP[@]+\"${SWEEP[@]}\"} \
         --out \"$OUT\"",
    ] {
        assert!(s.contains(line), "{line} not in\n{s}");
    }
    // Resources estimated when not given: a time limit and memory that Slurm reads.
    let time = s
        .lines()
        .find(|l| l.starts_with("#SBATCH --time="))
        .unwrap();
    assert!(time.ends_with(":00") && time.contains('-'), "{time}");
    assert!(s.contains(&format!(
        "#SBATCH --mem={}M\n",
        estimate_memory_mb(&p.config("additive_1x2_uniform", None).unwrap()).unwrap()
    )));
    // A resubmission lists its rows; given resources are taken as they are.
    let opts = SlurmOptions {
        time: Some("01:00:00".into()),
        mem: Some("2G".into()),
        cpus_per_task: Some(1),
        ..Default::default()
    };
    let s = array_script(&p, &[1], Path::new("/o"), Path::new("/b"), &opts).unwrap();
    assert!(s.contains("#SBATCH --array=1\n") && s.contains("#SBATCH --time=01:00:00\n"));
    assert!(s.contains("#SBATCH --mem=2G\n") && s.contains("#SBATCH --cpus-per-task=1\n"));
}

#[test]
fn times_and_memory_are_what_slurm_reads() {
    assert_eq!(slurm_time(59.0), "0-00:01:00");
    assert_eq!(slurm_time(3601.0), "0-01:01:00");
    assert_eq!(slurm_time(90_000.0), "1-01:00:00");
    let small = estimate_memory_mb(&plan().config("additive_1x2_uniform", None).unwrap()).unwrap();
    assert!(
        (512..=1024).contains(&small) && small.is_multiple_of(256),
        "{small}"
    );
}

#[test]
fn a_slurm_table_in_toml_and_flags_combine() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slurm.toml");
    std::fs::write(
        &path,
        "[slurm]\npartition = \"long\"\nmem = \"4G\"\nextra = [\"--qos=low\"]\n",
    )
    .unwrap();
    let o = SlurmOptions::load(&path)
        .unwrap()
        .overridden_by(SlurmOptions {
            mem: Some("8G".into()),
            extra: vec!["--account=a".into()],
            ..Default::default()
        });
    assert_eq!(o.partition.as_deref(), Some("long"));
    assert_eq!(o.mem.as_deref(), Some("8G"));
    assert_eq!(o.extra, ["--qos=low", "--account=a"]);
    std::fs::write(&path, "[slurm]\npartitoin = \"x\"\n").unwrap();
    let e = SlurmOptions::load(&path).unwrap_err().to_string();
    assert!(e.contains("partitoin"), "{e}");
}

#[test]
fn the_plan_is_saved_once_per_directory() {
    let dir = tempfile::tempdir().unwrap();
    let p = plan();
    p.save(dir.path()).unwrap();
    assert_eq!(Plan::load(dir.path()).unwrap(), p);
    p.save(dir.path()).unwrap(); // the same plan again: fine
    let other = Plan {
        iterations: Some(1),
        ..plan()
    };
    let e = other.save(dir.path()).unwrap_err().to_string();
    assert!(e.contains("another reproduction"), "{e}");
    let e = Plan::load(&dir.path().join("nothing"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("reproduce --slurm"), "{e}");
}

#[test]
fn row_states_are_read_from_the_run_directories() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let p = Plan {
        rows: vec![
            "additive_1x2_uniform".into(),
            "unit_1x2_uniform".into(),
            "additive_1x2_uniform_triangle".into(),
            "additive_2x2_uniform".into(),
        ],
        ..plan()
    };
    p.save(out).unwrap();
    // Row 0 finished, row 1 trained to 200, row 2 failed, row 3 not started.
    let d0 = out.join("additive_1x2_uniform");
    std::fs::create_dir_all(&d0).unwrap();
    let r0 = row("additive_1x2_uniform");
    std::fs::write(
        d0.join("reproduce.json"),
        serde_json::to_string(&r0).unwrap(),
    )
    .unwrap();
    let d1 = out.join("unit_1x2_uniform");
    std::fs::create_dir_all(&d1).unwrap();
    std::fs::write(d1.join("config.toml"), "").unwrap();
    std::fs::write(
        d1.join("metrics.csv"),
        "iteration,revenue\n100,0.1\n200,0.2\n300,0.3", // the last line is partial
    )
    .unwrap();
    std::fs::write(
        out.join(SLURM_DIR)
            .join("failed-additive_1x2_uniform_triangle"),
        "exit 2\nerror: disk full\n",
    )
    .unwrap();
    let (_, states) = row_states(out).unwrap();
    assert_eq!(states[0].1, RowState::Finished(Box::new(r0)));
    assert_eq!(
        states[1].1,
        RowState::Running {
            iteration: 200,
            total: 300
        }
    );
    assert_eq!(
        states[2].1,
        RowState::Failed("exit 2 | error: disk full".into())
    );
    assert_eq!(states[3].1, RowState::Pending);
    // The table holds the finished row and names every other one with its state.
    let (text, _) = collect(out).unwrap();
    assert!(
        text.contains("| additive_1x2_uniform | 300 | 0.5000 ± 0.0100"),
        "{text}"
    );
    assert!(text.contains("- unit_1x2_uniform: running at iteration 200 of 300"));
    assert!(text.contains("- additive_1x2_uniform_triangle: failed: exit 2 | error: disk full"));
    assert!(text.contains("- additive_2x2_uniform: pending"));
}

#[cfg(unix)]
/// Run the array script's task `index` with a stand-in `regretnet` that records its arguments
/// one per line and exits with `rc` (after printing `error: boom` when it fails).
fn run_task(plan: &Plan, index: usize, rc: i32) -> (tempfile::TempDir, String, i32) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join(SLURM_DIR)).unwrap();
    let fake = dir.path().join("regretnet");
    let args = dir.path().join("args");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/bash\nprintf '%s\\n' \"$@\" > '{}'\n[ {rc} -eq 0 ] || echo 'error: boom' >&2\nexit {rc}\n",
            args.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let script = array_script(plan, &[], &out, &fake, &SlurmOptions::default()).unwrap();
    let path = dir.path().join("task.sbatch");
    std::fs::write(&path, script).unwrap();
    let status = std::process::Command::new("bash")
        .arg(&path)
        .env("SLURM_ARRAY_TASK_ID", index.to_string())
        .env("SLURM_CPUS_PER_TASK", "3")
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    let recorded = std::fs::read_to_string(&args).unwrap_or_default();
    (dir, recorded, status.code().unwrap_or(-1))
}

#[cfg(unix)]
#[test]
fn each_task_runs_its_row_alone_and_a_failure_leaves_its_cause() {
    // A seed sweep: task 1 is the preset's second seed, run as `--only P --seeds 2`.
    let sweep = Plan {
        rows: vec!["additive_1x2_uniform".into()],
        sweep: vec![
            crate::tools::reproduce::sweep::Sweep::Seed(1),
            crate::tools::reproduce::sweep::Sweep::Seed(2),
        ],
        ..plan()
    };
    let (dir, args, rc) = run_task(&sweep, 1, 0);
    let out = dir.path().join("out");
    let want = format!(
        "reproduce\n--budget\nquick\n--iterations\n300\n--samples\n500\n--checkpoint-every\n100\n\
         --only\nadditive_1x2_uniform\n--seeds\n2\n--out\n{}\n--results\n{}\n--threads\n3\n--quiet\n",
        out.display(),
        out.join(SLURM_DIR).join("results-additive_1x2_uniform-seed2.md").display()
    );
    assert_eq!((args.as_str(), rc), (want.as_str(), 0));
    // Without a sweep no empty argument slips in; a failing task leaves its exit code and
    // its last error line, which the row's state reports.
    let (dir, args, rc) = run_task(&plan(), 1, 3);
    assert!(args.contains("--only\nunit_1x2_uniform\n--out\n"), "{args}");
    assert_eq!(rc, 3);
    let out = dir.path().join("out");
    let marker = std::fs::read_to_string(out.join(SLURM_DIR).join("failed-unit_1x2_uniform"));
    assert_eq!(marker.unwrap(), "exit 3\nerror: boom\n");
    plan().save(&out).unwrap();
    let (_, states) = row_states(&out).unwrap();
    assert_eq!(states[1].1, RowState::Failed("exit 3 | error: boom".into()));
}

#[test]
fn prepare_writes_every_row_or_only_the_unfinished_ones() {
    use crate::tools::reproduce::slurm::prepare;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let bin = Path::new("/opt/regretnet");
    let o = SlurmOptions::default();
    let p = prepare(&plan(), &out, bin, &o, false).unwrap();
    assert!(p.out.is_absolute() && p.tasks == 2);
    let script = std::fs::read_to_string(p.script.unwrap()).unwrap();
    assert!(script.contains("#SBATCH --array=0-1\n"));
    // Row 0 finished: a resubmission runs row 1 alone; with both finished, nothing.
    for (k, preset) in ["additive_1x2_uniform", "unit_1x2_uniform"]
        .iter()
        .enumerate()
    {
        let d = out.join(preset);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("reproduce.json"),
            serde_json::to_string(&row(preset)).unwrap(),
        )
        .unwrap();
        let p = prepare(&plan(), &out, bin, &o, true).unwrap();
        if k == 0 {
            let script = std::fs::read_to_string(p.script.unwrap()).unwrap();
            assert!(script.contains("#SBATCH --array=1\n") && p.tasks == 1);
        } else {
            assert_eq!((p.script, p.tasks), (None, 0));
        }
    }
    // A row whose config is invalid is refused before anything is written.
    let bad = Plan {
        rows: vec!["no_such_preset".into()],
        ..plan()
    };
    let fresh = dir.path().join("fresh");
    assert!(prepare(&bad, &fresh, bin, &o, false).is_err());
    assert!(!fresh.exists());
}

#[test]
fn the_equivariant_net_s_estimate_covers_its_measured_iterations() {
    // BENCHMARKS.md ("The equivariant RegretNet"): a training iteration took 158 ms at 2x3 and
    // 2,408 ms at 5x10 on one EPYC core; the estimate must not be shorter (Slurm would kill the
    // task), and the MLP's rate would have been (it assumes 20 GFLOP/s).
    use crate::tools::reproduce::slurm::{estimate_seconds, EVAL_ALLOWANCE_SECONDS};
    for (preset, measured) in [
        ("additive_2x3_uniform", 0.158),
        ("additive_5x10_uniform", 2.408),
    ] {
        let mut c =
            regretnet_core::presets::preset_with_net(preset, regretnet_core::NetKind::Equivariant)
                .unwrap();
        c.train.iterations = 1000;
        let per_iteration = (estimate_seconds(&c).unwrap() - EVAL_ALLOWANCE_SECONDS) / 1000.0;
        assert!(
            per_iteration >= measured && per_iteration <= 10.0 * measured,
            "{preset}: {per_iteration} s per iteration against {measured} s measured"
        );
    }
}
