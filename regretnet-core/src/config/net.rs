//! The `[net]` section: which architecture (RegretNet, RochetNet or MyersonNet) and its sizes.

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::setting::{Setting, ValuationKind};

use super::checks::positive_finite;

/// Most weights one network may have (hidden layers; 4 bytes each, three times that with
/// Adam's moments).
pub const MAX_PARAMETERS: u64 = 50_000_000;

/// The architecture: the paper's three networks (Dütting et al., sections 3-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetKind {
    /// Allocation and payment MLPs, trained under the regret constraint (any setting).
    #[default]
    Regretnet,
    /// A menu of lotteries for one bidder: exactly incentive compatible.
    Rochetnet,
    /// Monotone virtual values and a second-price auction on them, for one item: exactly
    /// incentive compatible.
    Myersonnet,
    /// A learned affine maximizer: a menu of randomized allocations, bidder weights and boosts
    /// ([`crate::ama`]); exactly incentive compatible for any number of bidders and items.
    Ama,
    /// A permutation-equivariant RegretNet (EquivariantNet, Rahme, Jelassi, Bruna and
    /// Weinberg, AAAI 2021): allocation and payment nets of exchangeable layers over the
    /// bidders x items grid, trained under the regret constraint as RegretNet is. Its
    /// parameters do not depend on the numbers of bidders and items. Additive bidders.
    Equivariant,
}

impl NetKind {
    /// The name used in configs.
    pub fn name(self) -> &'static str {
        match self {
            NetKind::Regretnet => "regretnet",
            NetKind::Rochetnet => "rochetnet",
            NetKind::Myersonnet => "myersonnet",
            NetKind::Ama => "ama",
            NetKind::Equivariant => "equivariant",
        }
    }

    /// Whether the architecture is incentive compatible by construction (no regret penalty in
    /// training; its audited regret must be at floating-point level).
    pub fn is_exactly_ic(self) -> bool {
        matches!(
            self,
            NetKind::Rochetnet | NetKind::Myersonnet | NetKind::Ama
        )
    }

    /// Whether the network's parameters do not depend on the numbers of bidders and items, so
    /// that a checkpoint of one size initializes (`train.init_from`) a run of another: the
    /// equivariant RegretNet, and the AMA with a generated menu.
    pub fn is_size_independent(self, menu: MenuKind) -> bool {
        self == NetKind::Equivariant || (self == NetKind::Ama && menu == MenuKind::Generated)
    }
}

/// Where an affine maximizer's menu comes from (`[net] menu`, `--menu`; docs/AMA.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MenuKind {
    /// A free menu: every entry's allocation logits, every boost and every bidder weight is a
    /// parameter (lottery AMA, Curry, Sandholm and Dickerson 2023). The parameters' shapes
    /// depend on the numbers of bidders and items.
    #[default]
    Free,
    /// A generated menu (AMenuNet-style, Duan et al. 2023): exchangeable layers over fixed
    /// bidder and item representations produce the entries, the boosts and the weights. The
    /// parameter count depends on neither the number of bidders nor of items, so a net trained
    /// at one size evaluates, and fine-tunes, at another.
    Generated,
}

impl MenuKind {
    fn is_free(&self) -> bool {
        *self == MenuKind::Free
    }

    /// The name in configs and on the command line.
    ///
    /// ```
    /// assert_eq!(regretnet_core::MenuKind::Generated.name(), "generated");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            MenuKind::Free => "free",
            MenuKind::Generated => "generated",
        }
    }
}

/// The generated menu's default exchangeable-layer widths.
pub const DEFAULT_MENU_HIDDEN: [usize; 3] = [64, 64, 64];

fn default_menu_hidden() -> Vec<usize> {
    DEFAULT_MENU_HIDDEN.to_vec()
}

fn is_default_menu_hidden(v: &[usize]) -> bool {
    v == DEFAULT_MENU_HIDDEN
}

/// The `[net]` section. RegretNet reads the hidden widths; RochetNet reads `menu_size`,
/// `temperature` and `bias_init`; MyersonNet reads `groups`, `linear`, `temperature` and
/// `bias_init`; the AMA reads `menu_size`, `temperature`, `bias_init`, `menu`, `itemwise`
/// and, for a generated menu, `menu_hidden`. Defaults are the reference implementation's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetConfig {
    /// Which network (`"regretnet"`, `"rochetnet"` or `"myersonnet"`).
    pub kind: NetKind,
    /// Hidden widths of the allocation net (reference: `[100, 100]`).
    pub alloc_hidden: Vec<usize>,
    /// Hidden widths of the payment net (reference: `[100, 100]`).
    pub pay_hidden: Vec<usize>,
    /// Menu entries besides the zero entry that guarantees IR: RochetNet's (reference: 1,000)
    /// and the AMA's.
    pub menu_size: usize,
    /// MyersonNet's groups: the virtual value is the min over groups (reference: 10).
    pub groups: usize,
    /// MyersonNet's linear pieces per group, maxed within a group (reference: 10).
    pub linear: usize,
    /// Softmax temperature of the training-time choice: RochetNet's and the AMA's menu entry,
    /// MyersonNet's winner (reference: 1,000). Evaluation uses the hard argmax.
    pub temperature: f64,
    /// Range of the uniform initial biases: RochetNet's entry utilities' offsets (minus the
    /// prices), MyersonNet's linear pieces. Default: RochetNet `[-V, 0]` with `V` the
    /// bidder's largest value of a bundle (the sum of the items' upper ends; unit demand: the
    /// largest upper end), as the reference's configs set it per setting except for 1x2
    /// (`[-1, 0]`, which its preset sets); MyersonNet `[-5, 0]` (the reference's code draws
    /// `-5 U[0,1)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bias_init: Option<[f64; 2]>,
    /// The AMA's menu: `"free"` (default) or `"generated"` ([`MenuKind`]).
    #[serde(skip_serializing_if = "MenuKind::is_free")]
    pub menu: MenuKind,
    /// A generated menu's exchangeable-layer widths (default `[64, 64, 64]`).
    #[serde(
        default = "default_menu_hidden",
        skip_serializing_if = "is_default_menu_hidden"
    )]
    pub menu_hidden: Vec<usize>,
    /// The AMA's item-wise block beside a free menu of additive bidders: every deterministic
    /// assignment of the items, with a learned boost per item and owner, started at item-wise
    /// Myerson ([`crate::ama_itemwise`]). Default `false`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub itemwise: bool,
    /// RegretNet on a truthful base (`"itemwise_myerson"`): the allocation logits add each
    /// bidder's virtual value over `base_temperature` (the dummy bidder's 0 beside them) and the
    /// payment logits the logit of the softened item-wise Myerson auction's payment fraction,
    /// and the output layers start at zero, so the network starts as that exactly IC auction
    /// ([`crate::myerson_soft`]) and training learns a residual. Additive bidders with uniform
    /// values. Omitted: none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<NetBase>,
    /// The base's temperature `tau` (in units of virtual value; required with `base`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_temperature: Option<f64>,
}

/// A truthful mechanism a RegretNet starts as and learns a residual to (`net.base`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetBase {
    /// Item-wise Myerson softened at `net.base_temperature` ([`crate::myerson_soft`]).
    ItemwiseMyerson,
}

/// Default RochetNet menu size (reference `num_hidden_units`).
pub const DEFAULT_MENU_SIZE: usize = 1000;

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            kind: NetKind::Regretnet,
            alloc_hidden: vec![100, 100],
            pay_hidden: vec![100, 100],
            menu_size: DEFAULT_MENU_SIZE,
            groups: 10,
            linear: 10,
            temperature: 1000.0,
            bias_init: None,
            menu: MenuKind::Free,
            menu_hidden: default_menu_hidden(),
            itemwise: false,
            base: None,
            base_temperature: None,
        }
    }
}

impl NetConfig {
    /// The initial bias range for `setting` ([`NetConfig::bias_init`] or its default).
    pub fn bias_range(&self, setting: &Setting) -> [f64; 2] {
        if let Some(r) = self.bias_init {
            return r;
        }
        let top = (0..setting.bidders)
            .flat_map(|i| {
                setting
                    .prior
                    .bounding_box(i)
                    .into_iter()
                    .map(|(_, h)| h as f64)
            })
            .fold(0.0f64, f64::max);
        let v = match (self.kind, setting.valuation) {
            (NetKind::Rochetnet, ValuationKind::Additive) => setting
                .prior
                .bounding_box(0)
                .iter()
                .map(|&(_, h)| h as f64)
                .sum(),
            (NetKind::Myersonnet, _) => 5.0,
            _ => top,
        };
        [-v.max(1e-3), 0.0]
    }

    /// Check the architecture against `setting` and its sizes (as [`crate::Config::validate`]
    /// does; checkpoint readers call it on the `net` metadata before allocating anything).
    pub fn validate_for(&self, setting: &Setting) -> Result<(), ConfigError> {
        self.validate(setting)
    }

    /// Check the architecture against `setting` and its sizes.
    pub(crate) fn validate(&self, setting: &Setting) -> Result<(), ConfigError> {
        if self.menu == MenuKind::Generated {
            self.validate_generated(setting)?;
        }
        if self.itemwise {
            self.validate_itemwise(setting)?;
        }
        self.validate_base(setting)?;
        match self.kind {
            NetKind::Regretnet => self.validate_mlps(setting),
            NetKind::Equivariant => self.validate_equivariant(setting),
            NetKind::Rochetnet => {
                if setting.bidders != 1 {
                    return Err(ConfigError::invalid(
                        "net.kind",
                        format!(
                            "RochetNet is a menu for a single bidder; this setting has {} \
                             bidders (use \"regretnet\")",
                            setting.bidders
                        ),
                    ));
                }
                if setting.valuation == ValuationKind::Combinatorial {
                    return Err(ConfigError::invalid(
                        "net.kind",
                        "RochetNet covers additive and unit-demand bidders, not combinatorial",
                    ));
                }
                self.validate_menu_size()?;
                self.validate_shared()
            }
            NetKind::Ama => {
                if setting.valuation == ValuationKind::Combinatorial
                    && (setting.bidders, setting.items) != (2, 2)
                {
                    return Err(ConfigError::invalid(
                        "net.kind",
                        "the AMA's combinatorial menu covers 2 bidders and 2 items",
                    ));
                }
                self.validate_menu_size()?;
                self.validate_shared()
            }
            NetKind::Myersonnet => {
                if setting.items != 1 {
                    return Err(ConfigError::invalid(
                        "net.kind",
                        format!(
                            "MyersonNet sells a single item; this setting has {} items (use \
                             \"regretnet\", or \"rochetnet\" for one bidder)",
                            setting.items
                        ),
                    ));
                }
                if setting.valuation != ValuationKind::Additive {
                    return Err(ConfigError::invalid(
                        "setting.valuation",
                        "MyersonNet needs valuation = \"additive\" (one item)",
                    ));
                }
                for (field, v) in [("net.groups", self.groups), ("net.linear", self.linear)] {
                    if !(1..=1000).contains(&v) {
                        return Err(ConfigError::invalid(
                            field,
                            format!("must be between 1 and 1000, got {v}"),
                        ));
                    }
                }
                self.validate_shared()
            }
        }
    }

    /// The menu size of RochetNet and the AMA.
    fn validate_menu_size(&self) -> Result<(), ConfigError> {
        if !(1..=100_000).contains(&self.menu_size) {
            return Err(ConfigError::invalid(
                "net.menu_size",
                format!("must be between 1 and 100000, got {}", self.menu_size),
            ));
        }
        Ok(())
    }

    /// The item-wise block: an AMA's, beside a free menu, for additive bidders.
    fn validate_itemwise(&self, setting: &Setting) -> Result<(), ConfigError> {
        let why = if self.kind != NetKind::Ama {
            format!(
                "the item-wise block is part of the AMA (net.kind = \"ama\"), not of {}",
                self.kind.name()
            )
        } else if self.menu != MenuKind::Free {
            "the item-wise block goes beside a free menu (menu = \"free\"): its boosts are \
             one per item and owner, so they depend on n and m"
                .to_string()
        } else if setting.valuation != ValuationKind::Additive {
            "the item-wise block needs additive bidders: only their welfare is a sum over items"
                .to_string()
        } else {
            return Ok(());
        };
        Err(ConfigError::invalid("net.itemwise", why))
    }

    /// A generated menu: an AMA's, additive or unit-demand, with sensible widths.
    fn validate_generated(&self, setting: &Setting) -> Result<(), ConfigError> {
        if self.kind != NetKind::Ama {
            return Err(ConfigError::invalid(
                "net.menu",
                format!(
                    "\"generated\" is a menu of the AMA (net.kind = \"ama\"), not of {}",
                    self.kind.name()
                ),
            ));
        }
        if setting.valuation == ValuationKind::Combinatorial {
            return Err(ConfigError::invalid(
                "net.menu",
                "a generated menu covers additive and unit-demand bidders; the combinatorial \
                 2 x 2 menu is over nine fixed outcomes (use menu = \"free\")",
            ));
        }
        if self.menu_hidden.is_empty() || self.menu_hidden.len() > 8 {
            return Err(ConfigError::invalid(
                "net.menu_hidden",
                format!("needs 1 to 8 layers, got {}", self.menu_hidden.len()),
            ));
        }
        if let Some(w) = self.menu_hidden.iter().find(|&&w| w == 0 || w > 1024) {
            return Err(ConfigError::invalid(
                "net.menu_hidden",
                format!("layer width {w} must be between 1 and 1024"),
            ));
        }
        Ok(())
    }

    /// Checks shared by the exactly-IC networks.
    fn validate_shared(&self) -> Result<(), ConfigError> {
        positive_finite("net.temperature", self.temperature)?;
        if let Some([lo, hi]) = self.bias_init {
            if !(lo.is_finite() && hi.is_finite() && lo <= hi && lo.abs() <= 1e6 && hi.abs() <= 1e6)
            {
                return Err(ConfigError::invalid(
                    "net.bias_init",
                    format!("needs finite [low, high] with low <= high, got [{lo}, {hi}]"),
                ));
            }
        }
        Ok(())
    }

    /// The equivariant RegretNet: additive bidders, 1 to 8 exchangeable layers of widths 1 to
    /// 1024 in each net.
    fn validate_equivariant(&self, setting: &Setting) -> Result<(), ConfigError> {
        if setting.valuation != ValuationKind::Additive {
            return Err(ConfigError::invalid(
                "net.kind",
                format!(
                    "the equivariant RegretNet covers additive bidders; this setting's are {} \
                     (use \"regretnet\")",
                    setting.valuation.name()
                ),
            ));
        }
        for (field, widths) in [
            ("net.alloc_hidden", &self.alloc_hidden),
            ("net.pay_hidden", &self.pay_hidden),
        ] {
            if widths.is_empty() || widths.len() > 8 {
                return Err(ConfigError::invalid(
                    field,
                    format!(
                        "the equivariant net needs 1 to 8 exchangeable layers, got {}",
                        widths.len()
                    ),
                ));
            }
            if let Some(w) = widths.iter().find(|&&w| w == 0 || w > 1024) {
                return Err(ConfigError::invalid(
                    field,
                    format!("exchangeable layer width {w} must be between 1 and 1024"),
                ));
            }
        }
        Ok(())
    }

    /// Check the widths and the size of each network on `setting`'s input.
    fn validate_base(&self, setting: &Setting) -> Result<(), ConfigError> {
        let tau = match (self.base, self.base_temperature) {
            (None, None) => return Ok(()),
            (None, Some(_)) => {
                return Err(ConfigError::invalid(
                    "net.base_temperature",
                    "applies with net.base only",
                ))
            }
            (Some(_), None) => {
                return Err(ConfigError::invalid(
                    "net.base",
                    "needs net.base_temperature (e.g. 0.02)",
                ))
            }
            (Some(_), Some(tau)) => tau,
        };
        if !(tau.is_finite() && tau > 0.0) {
            return Err(ConfigError::invalid(
                "net.base_temperature",
                format!("must be a finite number > 0, got {tau}"),
            ));
        }
        if self.kind != NetKind::Regretnet {
            return Err(ConfigError::invalid(
                "net.base",
                format!("applies to \"regretnet\", not \"{}\"", self.kind.name()),
            ));
        }
        if setting.valuation != ValuationKind::Additive
            || !matches!(setting.prior, crate::Prior::UniformBox(_))
        {
            return Err(ConfigError::invalid(
                "net.base",
                format!(
                    "item-wise Myerson as a base needs additive bidders with uniform values; \
                     `{}` has none",
                    setting.name
                ),
            ));
        }
        Ok(())
    }

    fn validate_mlps(&self, setting: &Setting) -> Result<(), ConfigError> {
        for (field, widths) in [
            ("net.alloc_hidden", &self.alloc_hidden),
            ("net.pay_hidden", &self.pay_hidden),
        ] {
            if widths.is_empty() {
                return Err(ConfigError::invalid(
                    field,
                    "needs at least one hidden layer",
                ));
            }
            if let Some(w) = widths.iter().find(|&&w| w == 0 || w > 65_536) {
                return Err(ConfigError::invalid(
                    field,
                    format!("layer width {w} must be between 1 and 65536"),
                ));
            }
            let mut params = 0u64;
            let mut fan_in = setting.profile_len() as u64;
            for &w in widths.iter() {
                params = params.saturating_add(fan_in.saturating_mul(w as u64) + w as u64);
                fan_in = w as u64;
            }
            if params > MAX_PARAMETERS {
                return Err(ConfigError::invalid(
                    field,
                    format!(
                        "{params} weights (about {} MB with the optimizer state) are more than \
                         the {MAX_PARAMETERS} allowed; use narrower layers",
                        (params * 12) >> 20
                    ),
                ));
            }
        }
        Ok(())
    }
}
