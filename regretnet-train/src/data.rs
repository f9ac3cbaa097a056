//! The fixed training set, its per-profile misreport cache, and the per-epoch reshuffle.

use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use regretnet_core::rng::{stream_rng, Stream};
use regretnet_core::Setting;

/// A fixed sample of profiles with one cached misreport per profile and bidder.
///
/// The cache is the warm start of the misreport search: each iteration starts from the
/// misreports left by the previous visit of the same profiles (initially prior draws), as in the
/// reference implementation.
#[derive(Debug, Clone)]
pub struct TrainingSet {
    len: usize,
    profiles: Vec<f32>,
    cache: Vec<f32>,
    order: Vec<usize>,
    cursor: usize,
    epoch: u64,
    shuffle: ChaCha8Rng,
}

impl TrainingSet {
    /// Draw `size` profiles from the data stream and their initial misreports from the
    /// misreport stream of `seed`, and shuffle for the first epoch.
    pub fn new(setting: &Setting, size: usize, seed: u64) -> Self {
        let profiles = setting.sample_profiles(&mut stream_rng(seed, Stream::Data), size);
        let cache = setting.sample_profiles(&mut stream_rng(seed, Stream::Misreport), size);
        let mut set = TrainingSet {
            len: setting.profile_len(),
            profiles,
            cache,
            order: (0..size).collect(),
            cursor: 0,
            epoch: 0,
            shuffle: stream_rng(seed, Stream::Shuffle),
        };
        set.order.shuffle(&mut set.shuffle);
        set
    }

    /// Number of profiles.
    pub fn size(&self) -> usize {
        self.order.len()
    }

    /// Completed passes over the set.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The next minibatch of indices; a new epoch (reshuffled) starts when fewer than
    /// `batch` profiles remain, so every batch is full.
    pub fn next_batch(&mut self, batch: usize) -> Vec<usize> {
        if self.cursor + batch > self.order.len() {
            self.order.shuffle(&mut self.shuffle);
            self.cursor = 0;
            self.epoch += 1;
        }
        let idx = self.order[self.cursor..self.cursor + batch].to_vec();
        self.cursor += batch;
        idx
    }

    /// Profiles and cached misreports of `idx`, each flat `[batch, n, m]`.
    pub fn gather(&self, idx: &[usize]) -> (Vec<f32>, Vec<f32>) {
        let mut truth = Vec::with_capacity(idx.len() * self.len);
        let mut mis = Vec::with_capacity(idx.len() * self.len);
        for &k in idx {
            truth.extend_from_slice(&self.profiles[k * self.len..(k + 1) * self.len]);
            mis.extend_from_slice(&self.cache[k * self.len..(k + 1) * self.len]);
        }
        (truth, mis)
    }

    /// Write the misreports found for `idx` back into the cache.
    pub fn store(&mut self, idx: &[usize], mis: &[f32]) {
        for (b, &k) in idx.iter().enumerate() {
            self.cache[k * self.len..(k + 1) * self.len]
                .copy_from_slice(&mis[b * self.len..(b + 1) * self.len]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use regretnet_core::presets::preset;

    #[test]
    fn batches_cover_each_epoch_once_and_the_cache_persists() {
        let setting = preset("additive_2x2_uniform")
            .unwrap()
            .setting
            .build()
            .unwrap();
        let mut set = TrainingSet::new(&setting, 10, 1);
        let mut seen: Vec<usize> = (0..5).flat_map(|_| set.next_batch(2)).collect();
        seen.sort();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
        assert_eq!(set.epoch(), 0);
        let idx = set.next_batch(2);
        assert_eq!(set.epoch(), 1);
        set.store(&idx, &[0.5; 8]);
        assert_eq!(set.gather(&idx).1, vec![0.5; 8]);
    }
}
