//! `regretnet export`: a run's checkpoint as a weights-only model directory
//! ([`regretnet_train::run::export`]).

use regretnet_train::run::export::export_model;
use regretnet_train::RunDir;

use crate::cli::ExportArgs;
use crate::failure::Failure;

pub fn run(args: &ExportArgs) -> Result<(), Failure> {
    let run = RunDir::open(&args.run_dir)?;
    let path = match &args.checkpoint {
        Some(p) => p.clone(),
        None => run.latest_checkpoint()?.1,
    };
    let e = export_model(&run, &path, &args.out, args.force)?;
    println!(
        "exported iteration {} of {} to {} ({} KB)",
        e.iteration,
        path.display(),
        e.checkpoint.display(),
        e.bytes.div_ceil(1024)
    );
    println!("next: regretnet eval {}", e.dir.display());
    Ok(())
}
