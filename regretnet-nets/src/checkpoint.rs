//! Self-describing safetensors checkpoints, written atomically.
//!
//! # File layout
//!
//! A checkpoint is a standard safetensors file. Tensors (all `F32`, row-major):
//!
//! | name | shape |
//! |---|---|
//! | `alloc.hidden{k}.weight` | `[in_k, h_k]`, `in_0 = n*m`, `in_k = h_{k-1}` |
//! | `alloc.hidden{k}.bias` | `[h_k]` |
//! | `alloc.out.weight` / `.bias` | `[h_last, (n+1)*(m+1)]` / `[(n+1)*(m+1)]` |
//! | `pay.hidden{k}.weight` / `.bias` | as for `alloc` |
//! | `pay.out.weight` / `.bias` | `[h_last, n]` / `[n]` |
//!
//! Other tensors may follow under other prefixes (the trainer stores optimizer state under
//! `optim.`); readers of the mechanism ignore them.
//!
//! Metadata (string to string): `format` = `"regretnet-checkpoint"`, `format_version` (integer
//! as text, currently 1), `setting` (JSON of the `[setting]` config: `name`, `bidders`, `items`,
//! `valuation`, `prior`), `net` (JSON: `alloc_hidden`, `pay_hidden`), plus whatever the caller
//! adds (the trainer adds `iteration` and the resolved `config` as TOML).
//!
//! # The forward computation, for recomputing the mechanism elsewhere
//!
//! With bids `b` of shape `[B, n, m]` flattened to `x: [B, n*m]` (entry `i*m + j`):
//!
//! ```text
//! h = x;  for each hidden k: h = tanh(h @ W_k + b_k)
//! z = (h @ W_out + b_out).reshape(B, n+1, m+1)
//! a = softmax(z, axis=1)[:, :n, :m]                 # allocation, [B, n, m]
//! g = x;  pay hidden layers likewise; s = sigmoid(g @ W_out + b_out)   # [B, n]
//! p = s * sum_j(a * b, axis=2)                      # payment, [B, n]
//! ```
//!
//! In Python: `from safetensors.numpy import load_file; t = load_file(path)`, and the metadata by
//! `safetensors.safe_open(path, "np").metadata()`.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use regretnet_core::{NetConfig, SettingConfig};

use crate::error::{NetsError, Result};
use crate::net::{NetSpec, RegretNet};

/// The `format` metadata value of every regretnet checkpoint.
pub const FORMAT: &str = "regretnet-checkpoint";
/// The newest checkpoint format version this build reads and the one it writes.
pub const FORMAT_VERSION: u32 = 1;

/// A loaded checkpoint: the network, the metadata and every other tensor of the file.
#[derive(Debug)]
pub struct Checkpoint {
    /// The mechanism.
    pub net: RegretNet,
    /// All metadata entries.
    pub metadata: BTreeMap<String, String>,
    /// Tensors outside the `alloc.` and `pay.` prefixes (optimizer state, ...).
    pub extra: BTreeMap<String, Tensor>,
}

/// Write `bytes` to `path` atomically: a temporary file in the same directory, fsync, rename.
/// A crash leaves either the old file or the new one, never a truncated file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = match dir {
        Some(d) => d.join(format!(".{name}.tmp")),
        None => Path::new(&format!(".{name}.tmp")).to_path_buf(),
    };
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Some(d) = dir {
            // Persist the rename itself; not all platforms allow opening a directory.
            if let Ok(dirf) = std::fs::File::open(d) {
                let _ = dirf.sync_all();
            }
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Save `net` (and `extra` tensors) to `path` with the self-describing metadata plus `meta`.
pub fn save(
    net: &RegretNet,
    extra: &BTreeMap<String, Tensor>,
    meta: &BTreeMap<String, String>,
    path: &Path,
) -> Result<()> {
    let spec = net.spec();
    let mut metadata: HashMap<String, String> = meta.clone().into_iter().collect();
    metadata.insert("format".into(), FORMAT.into());
    metadata.insert("format_version".into(), FORMAT_VERSION.to_string());
    metadata.insert("setting".into(), to_json(&spec.setting));
    metadata.insert("net".into(), to_json(&spec.net));
    let mut tensors: BTreeMap<String, Tensor> = net
        .named_vars()
        .into_iter()
        .map(|(k, v)| (k, v.as_detached_tensor()))
        .collect();
    tensors.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    let bytes = safetensors::serialize(tensors.iter(), Some(metadata)).map_err(|e| {
        NetsError::BadCheckpoint {
            path: path.display().to_string(),
            reason: format!("cannot serialize: {e}"),
        }
    })?;
    write_atomic(path, &bytes).map_err(|source| NetsError::Io {
        path: path.display().to_string(),
        source,
    })
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("config types always serialize to JSON")
}

/// Load a checkpoint, building the network its metadata describes.
pub fn load(path: &Path) -> Result<Checkpoint> {
    let shown = path.display().to_string();
    let bad = |reason: String| NetsError::BadCheckpoint {
        path: shown.clone(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|source| NetsError::Io {
        path: shown.clone(),
        source,
    })?;
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes)
        .map_err(|e| bad(format!("not a safetensors file ({e})")))?;
    let metadata: BTreeMap<String, String> = header
        .metadata()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    let get = |key: &str| {
        metadata.get(key).ok_or_else(|| {
            bad(format!(
                "metadata has no `{key}` entry (not a regretnet checkpoint?)"
            ))
        })
    };
    if get("format")? != FORMAT {
        return Err(bad(format!("metadata `format` is not `{FORMAT}`")));
    }
    let version: u32 = get("format_version")?
        .parse()
        .map_err(|_| bad("metadata `format_version` is not an integer".into()))?;
    if version > FORMAT_VERSION {
        return Err(bad(format!(
            "format version {version} is newer than this build reads ({FORMAT_VERSION}); \
             upgrade regretnet"
        )));
    }
    let setting: SettingConfig = serde_json::from_str(get("setting")?)
        .map_err(|e| bad(format!("metadata `setting` is invalid: {e}")))?;
    let net_cfg: NetConfig = serde_json::from_str(get("net")?)
        .map_err(|e| bad(format!("metadata `net` is invalid: {e}")))?;
    let built = setting
        .build()
        .map_err(|e| bad(format!("metadata `setting` is invalid: {e}")))?;
    let spec = NetSpec {
        setting,
        net: net_cfg,
    };
    // Weights are overwritten below; the init stream only has to be deterministic.
    let mut rng = regretnet_core::rng::stream_rng(0, regretnet_core::rng::Stream::Init);
    let net = RegretNet::new(&built, spec, &mut rng)?;
    let mut tensors = candle_core::safetensors::load_buffer(&bytes, &Device::Cpu)
        .map_err(|e| bad(format!("cannot read tensors ({e})")))?;
    for (name, var) in net.named_vars() {
        let t = tensors
            .remove(&name)
            .ok_or_else(|| bad(format!("tensor `{name}` is missing")))?;
        if t.dtype() != DType::F32 {
            return Err(bad(format!(
                "tensor `{name}` is {:?}, expected F32",
                t.dtype()
            )));
        }
        if t.dims() != var.as_tensor().dims() {
            return Err(bad(format!(
                "tensor `{name}` has shape {:?}, expected {:?} from the metadata",
                t.dims(),
                var.as_tensor().dims()
            )));
        }
        var.set(&t)?;
    }
    if let Some(stray) = tensors
        .keys()
        .find(|k| k.starts_with("alloc.") || k.starts_with("pay."))
    {
        return Err(bad(format!("unexpected network tensor `{stray}`")));
    }
    Ok(Checkpoint {
        net,
        metadata,
        extra: tensors.into_iter().collect(),
    })
}

/// Load a checkpoint and check that it was written for `expected` (setting and architecture).
pub fn load_expecting(path: &Path, expected: &NetSpec) -> Result<Checkpoint> {
    let ckpt = load(path)?;
    let found = ckpt.net.spec();
    let mismatch = |field: &str, found: String, expected: String| NetsError::Mismatch {
        path: path.display().to_string(),
        field: field.into(),
        found,
        expected,
    };
    if found.setting != expected.setting {
        return Err(mismatch(
            "setting",
            to_json(&found.setting),
            to_json(&expected.setting),
        ));
    }
    if found.net != expected.net {
        return Err(mismatch("net", to_json(&found.net), to_json(&expected.net)));
    }
    Ok(ckpt)
}

/// Convenience for tests and tools: the values of a tensor as a flat `Vec<f32>`.
pub fn flat_values(t: &Tensor) -> Result<Vec<f32>> {
    Ok(t.flatten_all()?.to_vec1::<f32>()?)
}
