//! `rbacgraph generate`: a synthetic cluster on standard output.

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use crate::AppError;
use crate::cli::{Format, GenerateArgs, GlobalArgs};

pub fn run(global: &GlobalArgs, args: &GenerateArgs) -> Result<ExitCode, AppError> {
    let Some(preset) = rbacgraph_synth::preset(&args.preset) else {
        return Err(AppError::Usage(format!("unknown preset `{}`", args.preset)));
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    let written = match global.output {
        Format::Yaml => rbacgraph_synth::write_yaml(preset, args.seed, &mut out),
        Format::Json => rbacgraph_synth::write_json(preset, args.seed, &mut out),
        _ => {
            return Err(AppError::Usage(
                "generate writes `-o json` or `-o yaml`".into(),
            ));
        }
    };
    match written {
        Ok(()) => {}
        Err(rbacgraph_synth::Error::Io(e)) => return Err(AppError::Io(e)),
        Err(e) => return Err(AppError::Usage(e.to_string())),
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
