//! Seeded random streams: one independent ChaCha8 stream per purpose.
//!
//! Every random number in regretnet comes from [`stream_rng`]: the run's seed selects the key and
//! the [`Stream`] selects ChaCha's 64-bit stream id, so the training data, the weight init, the
//! misreport restarts and the test sample never share a sequence, and changing how many numbers
//! one purpose draws never shifts another. candle's own CPU RNG cannot be seeded and is never used.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The purposes that draw random numbers, each with its own stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    /// The fixed training set.
    Data,
    /// Weight initialisation.
    Init,
    /// Initial misreports (training cache and search restarts).
    Misreport,
    /// The per-epoch reshuffle of the training set.
    Shuffle,
    /// The validation sample used during training.
    Validation,
    /// The test sample used by evaluation.
    Test,
    /// Misreport restarts during evaluation.
    TestMisreport,
    /// Misreport restarts of the validation search during training.
    ValidationMisreport,
    /// Prior-drawn starts of the coordinate audit during evaluation.
    AuditStarts,
    /// Prior-drawn starts of the reference search during evaluation.
    ReferenceSearch,
    /// Prior-drawn starts of the training misreport search (`train.misreport_prior_starts`),
    /// keyed by the run's seed and the iteration.
    TrainStarts,
    /// The fixed bidder and item representations of a generated AMA menu (keyed by the
    /// bidder's or item's index, not by the run's seed, so that every size shares them).
    Representation,
}

impl Stream {
    /// ChaCha stream id of this purpose (stable across versions: checkpoints rely on it).
    pub fn id(self) -> u64 {
        match self {
            Stream::Data => 1,
            Stream::Init => 2,
            Stream::Misreport => 3,
            Stream::Shuffle => 4,
            Stream::Validation => 5,
            Stream::Test => 6,
            Stream::TestMisreport => 7,
            Stream::ValidationMisreport => 8,
            Stream::AuditStarts => 9,
            Stream::ReferenceSearch => 10,
            Stream::Representation => 11,
            Stream::TrainStarts => 12,
        }
    }
}

/// The random stream for `purpose` under `seed`.
///
/// ```
/// use rand::Rng;
/// use regretnet_core::rng::{stream_rng, Stream};
/// let a: u64 = stream_rng(7, Stream::Data).random();
/// let b: u64 = stream_rng(7, Stream::Data).random();
/// let c: u64 = stream_rng(7, Stream::Init).random();
/// assert_eq!(a, b);
/// assert_ne!(a, c);
/// ```
pub fn stream_rng(seed: u64, purpose: Stream) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(purpose.id());
    rng
}
