//! Self-describing safetensors checkpoints, written atomically.
//!
//! # File layout
//!
//! A checkpoint is a standard safetensors file. Tensors (all `F32`, row-major):
//!
//! | name | shape |
//! |---|---|
//! | `alloc.hidden{k}.weight` | `[in_k, h_k]`, `in_0` the input width below, `in_k = h_{k-1}` |
//! | `alloc.hidden{k}.bias` | `[h_k]` |
//! | `alloc.out.weight` / `.bias` | `[h_last, L]` / `[L]`, `L` the head's logits below |
//! | `pay.hidden{k}.weight` / `.bias` | as for `alloc` |
//! | `pay.out.weight` / `.bias` | `[h_last, n]` / `[n]` |
//!
//! | valuation (`setting` metadata) | input width `in_0` | allocation logits `L` |
//! |---|---|---|
//! | `additive` | `n*m` | `(n+1)*(m+1)` |
//! | `unit_demand` | `n*m` | `2*(n+1)*(m+1)` |
//! | `combinatorial` (2 x 2) | `6` | `16` |
//!
//! Other tensors may follow under other prefixes (the trainer stores optimizer state under
//! `optim.`, lambda as `lagrange.lambda`, the misreport cache and data order under `data.`;
//! `regretnet-train/src/resume.rs`); readers of the mechanism
//! ignore them.
//!
//! Metadata (string to string) of every checkpoint: `format` = `"regretnet-checkpoint"`,
//! `format_version` (integer as text, currently 1), `setting` (JSON of the `[setting]` config:
//! `name`, `bidders`, `items`, `valuation`, `prior`), `net` (JSON: `alloc_hidden`,
//! `pay_hidden`). The trainer's periodic checkpoints (`checkpoints/iter-*`, `best`) add, all as
//! text: `iteration` (iterations done), `config` (the resolved config as TOML),
//! `trainer_state` (the resume layout's version), `rho` and `rho_bits` (the penalty weight, and
//! its f64 bit pattern for an exact resume), `data.cursor`, `data.epoch` and
//! `data.shuffle_word_pos` (where the epoch's order and the shuffle stream stand), `window`
//! (the metrics window: count, then revenue, loss and per-bidder regret sums as f64 bit
//! patterns), `elapsed_seconds` (wall time so far), and `best` (`iteration,revenue_bits` of the
//! best validation so far) once there is one. Trace checkpoints (`checkpoints/trace/iter-*`)
//! hold the weights and `iteration` only.
//!
//! # The forward computation, for recomputing the mechanism elsewhere
//!
//! With bids `b` of shape `[B, n, d]` (`d = m` item values, or a combinatorial type
//! `(v1, v2, C)`, `d = 3`):
//!
//! ```text
//! x = b.reshape(B, n*m)                             # entry i*m + j; combinatorial below
//! h = x;  for each hidden k: h = tanh(h @ W_k + b_k)
//! z = h @ W_out + b_out                             # [B, L]
//! additive:     a = softmax(z.reshape(B, n+1, m+1), axis=1)[:, :n, :m]
//! unit demand:  z1, z2 = z[:, :K], z[:, K:]         # K = (n+1)(m+1), each reshaped (B, n+1, m+1)
//!               a = minimum(softmax(z1, axis=1), softmax(z2, axis=2))[:, :n, :m]
//! g = x;  pay hidden layers likewise; s = sigmoid(g @ W_out + b_out)   # [B, n]
//! p = s * sum_j(a * b, axis=2)                      # payment, [B, n]
//! ```
//!
//! With a truthful base (`net` metadata `"base": "itemwise_myerson"`, `"base_temperature":
//! tau`; additive bidders with `U[lo, hi]` values from the `setting` metadata), `z` and the
//! payment logits each add the base's terms before the heads ([`crate::base`]):
//!
//! ```text
//! zb = (2 b - hi) / tau                             # [B, n, m]; the dummy's row stays 0
//! z.reshape(B, n+1, m+1)[:, :n, :m] += zb
//! c_ij = logsumexp over {zb_kj : k != i} and 0      # per bidder and item
//! l = zb - c; a* = sigmoid(l)
//! p* = b a* - (tau/2) (softplus(l) - softplus((2 lo - hi)/tau - c))
//! f = clip(sum_j p* / max(sum_j a* b, 1e-12), 1e-6, 1 - 1e-6)
//! pay logits += log(f) - log(1 - f)
//! ```
//!
//! Combinatorial 2 x 2: the input is each bidder's bundle values,
//! `x = [v1_1, v2_1, v1_1 + v2_1 + C_1, v1_2, v2_2, v1_2 + v2_2 + C_2]`. The 16 logits are, in
//! order, item 1's 5-way softmax and item 2's, over {bidder 1 alone, bidder 2 alone, bidder 1
//! in the bundle, bidder 2 in the bundle, unsold} (`z[0:5]`, `z[5:10]`), then bidder 1's and
//! bidder 2's 3-way softmax over {item 1, item 2, bundle} (`z[10:13]`, `z[13:16]`). Bidder `k`
//! (0 or 1) gets item 1 alone with `s1 = min(item1[k], bidder_k[0])`, item 2 alone with
//! `s2 = min(item2[k], bidder_k[1])` and the bundle with
//! `sb = min(item1[2+k], item2[2+k], bidder_k[2])`. The allocation `a` in the payment formula
//! is the coefficient row `(s1 + sb, s2 + sb, sb)` of the type `(v1, v2, C)`, so
//! `sum_j a_j b_j = s1 v1 + s2 v2 + sb (v1 + v2 + C)`, the reported value of what it receives.
//!
//! # RochetNet, MyersonNet and the AMA
//!
//! The `net` metadata's `kind` says which network the file holds (absent: `"regretnet"`, the
//! layout above). RochetNet (`"rochetnet"`, one bidder, `K = menu_size`):
//!
//! | name | shape |
//! |---|---|
//! | `menu.alpha` | `[m, K]` (unit demand: `[m + 1, K]`) |
//! | `menu.bias` | `[K]` |
//!
//! ```text
//! W = sigmoid(alpha)                       # unit demand: softmax(alpha, axis=0)[:m]
//! W = concat([W, zeros((m, 1))], axis=1)   # the zero entry, always on the menu
//! c = concat([bias, [0]])
//! u = b[:, 0, :] @ W + c                   # [B, K+1]: utility of each entry
//! k = argmax(u, axis=1)                    # the bidder's choice
//! a = W[:, k].T                            # allocation [B, m]; payment p = -c[k]
//! ```
//!
//! MyersonNet (`"myersonnet"`, one item, `n` bidders, `G = groups`, `L = linear`):
//!
//! | name | shape |
//! |---|---|
//! | `vv.slope_log` | `[G, L, n]` |
//! | `vv.bias` | `[G, L, n]` |
//!
//! ```text
//! x = b[:, :, 0]                                                  # [B, n]
//! phi = (x[:, None, None, :] * exp(slope_log) + bias).max(axis=2).min(axis=1)   # [B, n]
//! z = concat([phi, zeros((B, 1))], axis=1); w = argmax(z, axis=1)   # n: unsold
//! t_i = max(0, max_{j != i} phi_j)                                 # the winner's threshold
//! price_i = ((t_i - bias[..., i]) / exp(slope_log[..., i])).min(axis=1).max(axis=0)
//! a[:, i] = (w == i); p[:, i] = a[:, i] * price_i
//! ```
//!
//! The learned affine maximizer (`"ama"`, `n` bidders, `m` items, `K = menu_size`;
//! [`crate::ama`], [`regretnet_core::ama`]):
//!
//! | name | shape |
//! |---|---|
//! | `ama.alloc` | additive `[K, n + 1, m]`; unit demand `[K, n + 1, m + 1]`; combinatorial 2 x 2 `[K, 9]` |
//! | `ama.boost` | `[K]` |
//! | `ama.weight` | `[n]` |
//! | `ama.itemwise` | `[m, n + 1]`, only with `net.itemwise = true` (additive) |
//!
//! ```text
//! additive:     A = softmax(alloc, axis=1)[:, :n, :]                          # [K, n, m]
//! unit demand:  A = minimum(softmax(alloc, axis=1), softmax(alloc, axis=2))[:, :n, :m]
//! combinatorial: P = softmax(alloc, axis=1)            # over the nine outcomes, in order:
//!               # none; 1 gets item 1; 2 gets item 2; 1 gets item 2; 2 gets item 1;
//!               # 1 item 1 + 2 item 2; 1 item 2 + 2 item 1; 1 gets both; 2 gets both
//!               A = (P @ C).reshape(K, 2, 3)           # C[o] = both bidders' rows of (v1, v2, C)
//!               # coefficients: item 1 alone (1,0,0), item 2 alone (0,1,0), both (1,1,1)
//! A = concat([zeros((1, n, d)), A]); lam = concat([[0], boost]); w = exp(weight)
//! V = einsum("bid,kid->bik", b, A)                      # [B, n, K+1]: values of the entries
//! S = (w[None, :, None] * V).sum(1) + lam               # [B, K+1]
//! k = argmax(S, axis=1)                                 # the first maximizer
//! S_i = S[:, None, :] - w[None, :, None] * V            # [B, n, K+1]: welfare without i
//! p = clip((S_i.max(2) - S_i[b, :, k]) / w, 0, V[b, :, k])   # payments [B, n]
//! a = A[k]                                              # allocations [B, n, d]
//! ```
//!
//! With `ama.itemwise` (`beta`, [`crate::ama_block`]) the menu also holds every deterministic
//! assignment `o` of the items, boost `sum_j beta[j, o_j]` (`o_j = n`: unsold), maximized item
//! by item; it is chosen where its best welfare is strictly above `S.max(1)`:
//!
//! ```text
//! s = concat([w[None, None, :] * b.transpose(0, 2, 1), zeros((B, m, 1))], 2) + beta   # [B, m, n+1]
//! block = s.max(2).sum(1); owner = argmax(s, axis=2)    # [B], [B, m] (first maximizer)
//! s_i = s[:, None] - eye(n, n+1)[None, :, None, :] * (w[:, None] * b)[..., None]   # [B, n, m, n+1]
//! top_i = maximum(S_i.max(2), s_i.max(3).sum(2))        # the others' best over everything
//! where block > S.max(1): a[:, i, j] = (owner[:, j] == i); S_i(chosen) = block - w * (a * b).sum(2)
//! ```
//!
//! A generated menu (`net.menu = "generated"`, [`crate::menu_gen`]; widths `h_0..h_{L-1}` of
//! `net.menu_hidden`, `R = 16`) stores instead `ama.gen.layer{l}.{entry,col,row,all}`
//! `[c_in, h_l]` and `.bias` `[h_l]` (`c_in = 2R + 2` for layer 0), `ama.gen.alloc` `[h, K]`,
//! `ama.gen.boost` `[h, K]`, `ama.gen.boost_bias` `[K]`, `ama.gen.weight` `[h, 1]` and
//! `ama.gen.weight_bias` `[1]` (`h` the last width), from which `alloc`, `boost` and `weight`
//! above are computed:
//!
//! ```text
//! X[0, i, j] = concat([r_bidder(i) or 0, r_item(j) or 0, [i == n], [j >= m]])  # [1, n+1, c, 2R+2]
//! # r_bidder(i), r_item(j): regretnet's fixed ChaCha8 draws (menu_gen::bidder_representation,
//! # item_representation); outside regretnet, take the grid X from `MenuGenerator::input`
//! for each layer: H = tanh(H @ entry + H.mean(1, keepdims) @ col
//!                          + H.mean(2, keepdims) @ row + H.mean((1, 2), keepdims) @ all + bias)
//! alloc  = (H[0] @ gen.alloc).transpose(2, 0, 1)         # [K, n+1, c]
//! boost  = H[0].mean((0, 1)) @ gen.boost + gen.boost_bias  # [K]
//! weight = H[0, :n].mean(1) @ gen.weight[:, 0] + gen.weight_bias  # [n]
//! ```
//!
//! # The equivariant RegretNet
//!
//! `"equivariant"` ([`crate::equivariant`]; widths `h_0..h_{L-1}` of `net.alloc_hidden`,
//! `g_0..g_{K-1}` of `net.pay_hidden`): the same names and shapes at every `n` and `m`.
//!
//! | name | shape |
//! |---|---|
//! | `eq.alloc.layer{l}.{entry,col,row,all}` / `.bias` | `[c_in, h_l]` / `[h_l]`, `c_in = 1` for layer 0 |
//! | `eq.alloc.out.{entry,col,row,all}` / `.bias` | `[h_last, 1]` / `[1]` |
//! | `eq.alloc.dummy` / `eq.alloc.dummy_bias` | `[h_last, 1]` / `[1]` |
//! | `eq.pay.layer{l}.*` | as for `eq.alloc.layer{l}`, widths `g_l` |
//! | `eq.pay.out` / `eq.pay.out_bias` | `[g_last, 1]` / `[1]` |
//!
//! ```text
//! X = b[..., None]                                      # [B, n, m, 1]
//! E(X) = X @ entry + X.mean(1, keepdims) @ col + X.mean(2, keepdims) @ row
//!        + X.mean((1, 2), keepdims) @ all + bias        # one exchangeable layer
//! H = X;  for each alloc layer: H = tanh(E_l(H))        # [B, n, m, h]
//! z = E_out(H)[..., 0]                                  # [B, n, m]
//! z_dummy = H.mean(1) @ dummy + dummy_bias              # [B, m, 1]: the unsold row
//! a = softmax(concat([z, z_dummy.transpose(0, 2, 1)], axis=1), axis=1)[:, :n]
//! G = X;  for each pay layer: G = tanh(E_l(G))          # [B, n, m, g]
//! s = sigmoid(G.mean(2) @ pay.out + pay.out_bias)[..., 0]   # [B, n]
//! p = s * sum_j(a * b, axis=2)
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
use crate::model::Model;
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
    save_vars(net.spec(), &net.named_vars(), extra, meta, path)
}

/// Save any of the three networks ([`Model`]) like [`save`].
pub fn save_model(
    model: &Model,
    extra: &BTreeMap<String, Tensor>,
    meta: &BTreeMap<String, String>,
    path: &Path,
) -> Result<()> {
    save_vars(model.spec(), &model.named_vars(), extra, meta, path)
}

fn save_vars(
    spec: &NetSpec,
    vars: &BTreeMap<String, candle_core::Var>,
    extra: &BTreeMap<String, Tensor>,
    meta: &BTreeMap<String, String>,
    path: &Path,
) -> Result<()> {
    let mut metadata: HashMap<String, String> = meta.clone().into_iter().collect();
    metadata.insert("format".into(), FORMAT.into());
    metadata.insert("format_version".into(), FORMAT_VERSION.to_string());
    metadata.insert("setting".into(), to_json(&spec.setting));
    metadata.insert("net".into(), to_json(&spec.net));
    let mut tensors: BTreeMap<String, Tensor> = vars
        .iter()
        .map(|(k, v)| (k.clone(), v.as_detached_tensor()))
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

/// A loaded checkpoint of any of the three networks.
#[derive(Debug)]
pub struct ModelCheckpoint {
    /// The mechanism.
    pub model: Model,
    /// All metadata entries.
    pub metadata: BTreeMap<String, String>,
    /// Tensors that are not the network's (optimizer state, ...).
    pub extra: BTreeMap<String, Tensor>,
}

/// Prefixes of network tensors: a stray one is an error, not an extra.
const NET_PREFIXES: [&str; 6] = ["alloc.", "pay.", "menu.", "vv.", "ama.", "eq."];

/// Load a RegretNet checkpoint, building the network its metadata describes; a RochetNet or
/// MyersonNet checkpoint is refused with its kind named ([`load_model`] reads all three).
pub fn load(path: &Path) -> Result<Checkpoint> {
    let ModelCheckpoint {
        model,
        metadata,
        extra,
    } = load_model(path)?;
    match model {
        Model::RegretNet(net) => Ok(Checkpoint {
            net,
            metadata,
            extra,
        }),
        other => Err(NetsError::BadCheckpoint {
            path: path.display().to_string(),
            reason: format!(
                "holds a {} network; this needs a RegretNet",
                other.kind().name()
            ),
        }),
    }
}

/// Load a checkpoint of any of the three networks.
pub fn load_model(path: &Path) -> Result<ModelCheckpoint> {
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
        return Err(NetsError::Version {
            path: shown.clone(),
            reason: format!(
                "format version {version} is newer than this build reads ({FORMAT_VERSION}); \
             upgrade regretnet"
            ),
        });
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
    spec.net
        .validate_for(&built)
        .map_err(|e| bad(format!("metadata `net` is invalid: {e}")))?;
    let model = Model::new(&built, spec, &mut rng)?;
    let mut tensors = candle_core::safetensors::load_buffer(&bytes, &Device::Cpu)
        .map_err(|e| bad(format!("cannot read tensors ({e})")))?;
    for (name, var) in model.named_vars() {
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
        .find(|k| NET_PREFIXES.iter().any(|p| k.starts_with(p)))
    {
        return Err(bad(format!("unexpected network tensor `{stray}`")));
    }
    Ok(ModelCheckpoint {
        model,
        metadata,
        extra: tensors.into_iter().collect(),
    })
}

/// Load a checkpoint and check that it was written for `expected` (setting and architecture).
pub fn load_expecting(path: &Path, expected: &NetSpec) -> Result<Checkpoint> {
    let ckpt = load(path)?;
    check_spec(path, ckpt.net.spec(), expected)?;
    Ok(ckpt)
}

/// [`load_model`], checking that it was written for `expected` (setting and architecture).
pub fn load_model_expecting(path: &Path, expected: &NetSpec) -> Result<ModelCheckpoint> {
    let ckpt = load_model(path)?;
    check_spec(path, ckpt.model.spec(), expected)?;
    Ok(ckpt)
}

fn check_spec(path: &Path, found: &NetSpec, expected: &NetSpec) -> Result<()> {
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
    Ok(())
}

/// Convenience for tests and tools: the values of a tensor as a flat `Vec<f32>`.
pub fn flat_values(t: &Tensor) -> Result<Vec<f32>> {
    Ok(t.flatten_all()?.to_vec1::<f32>()?)
}
