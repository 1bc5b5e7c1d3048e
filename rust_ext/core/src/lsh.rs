//! LSH over MinHash signatures: band keys, candidate pairs, their verification and the
//! union-find that turns verified pairs into clusters.
//!
//! The pieces are separate so the grouping can run in one process ([`clusters`]) or bucket by
//! bucket with bounded memory (band keys partitioned by [`bucket_of`], [`candidates`] per
//! bucket, [`edge`] on the full signatures, one [`UnionFind`] over the edges): both find the
//! same pairs, and a cluster's root is its smallest document whatever order the unions come in,
//! so both give the same clusters.

use crate::minhash::{mix, similarity};

/// One band of one document's signature: documents with equal `(band, hash)` are candidates.
/// Ordered by band, hash, then document, the order [`candidates`] walks a bucket in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct BandKey {
    pub band: u32,
    pub hash: u64,
    pub doc: u32,
}

impl BandKey {
    pub const BYTES: usize = 16;

    pub fn to_le_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..4].copy_from_slice(&self.band.to_le_bytes());
        b[4..12].copy_from_slice(&self.hash.to_le_bytes());
        b[12..].copy_from_slice(&self.doc.to_le_bytes());
        b
    }

    pub fn from_le_bytes(b: &[u8; 16]) -> Self {
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        BandKey {
            band: u32_at(0),
            hash: u64::from(u32_at(4)) | u64::from(u32_at(8)) << 32,
            doc: u32_at(12),
        }
    }
}

/// Bands and rows for LSH at `threshold` with `num_perm` values: the (b, r) with b·r ≤ num_perm
/// whose S-curve 1 - (1 - s^r)^b is at least 0.99 at the threshold and lowest below it (few
/// false candidates to verify).
pub fn lsh_params(threshold: f64, num_perm: usize) -> (usize, usize) {
    let mut best = (num_perm.max(1), 1);
    let mut best_cost = f64::MAX;
    for r in 1..=num_perm.max(1) {
        let b = num_perm / r;
        if b == 0 {
            break;
        }
        let p = |s: f64| 1.0 - (1.0 - s.powi(r as i32)).powi(b as i32);
        if p(threshold) < 0.99 {
            continue;
        }
        let cost = p(threshold * 0.75); // candidates well below the threshold
        if cost < best_cost {
            (best, best_cost) = ((b, r), cost);
        }
    }
    best
}

/// An empty document's signature (no words): all `u32::MAX`. It takes no part in LSH.
pub fn is_empty(sig: &[u32]) -> bool {
    sig.iter().all(|&v| v == u32::MAX)
}

/// The key of band `band` (its `rows` values) of `sig`.
pub fn band_key(sig: &[u32], doc: u32, band: usize, rows: usize) -> BandKey {
    let part = &sig[band * rows..(band + 1) * rows];
    BandKey {
        band: band as u32,
        hash: part.iter().fold(band as u64, |h, &v| mix(h ^ v as u64)),
        doc,
    }
}

/// The bucket (of `buckets`) a band key goes to: all keys of one `(band, hash)` go together.
pub fn bucket_of(key: &BandKey, buckets: usize) -> usize {
    (mix(key.hash ^ key.band as u64) % buckets.max(1) as u64) as usize
}

/// The band keys of row-major signatures (`docs[i]` the document of row i) split into
/// `buckets` by [`bucket_of`]; empty signatures have none.
pub fn partition(
    sigs: &[u32],
    docs: &[u32],
    num_perm: usize,
    threshold: f64,
    buckets: usize,
) -> Vec<Vec<BandKey>> {
    let (bands, rows) = lsh_params(threshold, num_perm);
    let mut parts = vec![Vec::new(); buckets.max(1)];
    for (sig, &doc) in sigs.chunks(num_perm).zip(docs) {
        if is_empty(sig) {
            continue;
        }
        for band in 0..bands {
            let key = band_key(sig, doc, band, rows);
            parts[bucket_of(&key, buckets)].push(key);
        }
    }
    parts
}

/// Candidate pairs of a bucket's keys, sorted here: for each document after the first of a
/// `(band, hash)` group, `[doc, first, prev]`, the group's first document and its predecessor.
/// Comparing with those two (not all members) keeps the work linear in the group.
pub fn candidates(keys: &mut [BandKey]) -> Vec<[u32; 3]> {
    keys.sort_unstable();
    let mut out = Vec::new();
    for group in keys.chunk_by(|a, b| (a.band, a.hash) == (b.band, b.hash)) {
        for k in 1..group.len() {
            out.push([group[k].doc, group[0].doc, group[k - 1].doc]);
        }
    }
    out
}

/// The verified edge of a candidate: to the group's first when similar enough, else to the
/// predecessor, else none.
pub fn edge(cand: [u32; 3], similar: impl Fn(u32, u32) -> bool) -> Option<(u32, u32)> {
    let [doc, first, prev] = cand;
    [first, prev]
        .into_iter()
        .find(|&other| similar(doc, other))
        .map(|other| (doc, other))
}

/// The verified edges of candidate triples among `docs` (sorted), whose signatures `sigs`
/// holds row by row; a candidate naming a document not in `docs` is left out.
pub fn verified_edges(
    cands: &[[u32; 3]],
    docs: &[u32],
    sigs: &[u32],
    num_perm: usize,
    threshold: f64,
) -> Vec<(u32, u32)> {
    let row = |d: u32| {
        docs.binary_search(&d)
            .ok()
            .map(|i| &sigs[i * num_perm..(i + 1) * num_perm])
    };
    cands
        .iter()
        .filter(|c| c.iter().all(|&d| row(d).is_some()))
        .filter_map(|&c| {
            edge(c, |a, b| {
                similarity(row(a).expect("in docs"), row(b).expect("in docs")) >= threshold
            })
        })
        .collect()
}

/// The band keys of a bucket's files (16-byte records each), read into a buffer of exactly
/// their size. A file that is not whole records is an error naming it.
pub fn read_band_keys(paths: &[std::path::PathBuf]) -> std::io::Result<Vec<BandKey>> {
    use std::io::{Error, ErrorKind, Read};
    let named =
        |path: &std::path::Path, e: Error| Error::new(e.kind(), format!("{}: {e}", path.display()));
    let mut lens = Vec::with_capacity(paths.len());
    for path in paths {
        let len = std::fs::metadata(path).map_err(|e| named(path, e))?.len() as usize;
        if !len.is_multiple_of(BandKey::BYTES) {
            let cut = Error::new(ErrorKind::InvalidData, "not whole 16-byte band keys (cut?)");
            return Err(named(path, cut));
        }
        lens.push(len);
    }
    let mut keys = Vec::with_capacity(lens.iter().sum::<usize>() / BandKey::BYTES);
    for (path, len) in paths.iter().zip(lens) {
        let file = std::fs::File::open(path).map_err(|e| named(path, e))?;
        let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
        let mut record = [0u8; BandKey::BYTES];
        for _ in 0..len / BandKey::BYTES {
            reader.read_exact(&mut record).map_err(|e| named(path, e))?;
            keys.push(BandKey::from_le_bytes(&record));
        }
    }
    Ok(keys)
}

/// Disjoint sets of documents `0..n`; a set's root is its smallest member.
pub struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    pub fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n as u32).collect(),
        }
    }

    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            self.parent[x as usize] = self.parent[self.parent[x as usize] as usize];
            x = self.parent[x as usize];
        }
        x
    }

    /// Joins the sets of `a` and `b` under the smaller root.
    pub fn union(&mut self, a: u32, b: u32) {
        let (x, y) = (self.find(a), self.find(b));
        self.parent[x.max(y) as usize] = x.min(y);
    }

    /// Each document's root.
    pub fn roots(mut self) -> Vec<u32> {
        (0..self.parent.len() as u32)
            .map(|i| self.find(i))
            .collect()
    }
}

/// Cluster IDs for `n` signatures (row-major in `sigs`), in one process: documents whose
/// estimated Jaccard is at least `threshold` (LSH candidates, each verified on the full
/// signature) share a cluster, and a cluster's ID is its smallest document index, so the ID is
/// also the copy kept. Empty documents stay alone. `same`, when given, names for each document
/// one known to be the same (an exact copy), joined to its cluster whatever the signatures say.
pub fn clusters(sigs: &[u32], num_perm: usize, threshold: f64, same: Option<&[u32]>) -> Vec<u32> {
    let n = sigs.len() / num_perm.max(1);
    let sig = |i: u32| &sigs[i as usize * num_perm..(i as usize + 1) * num_perm];
    let mut sets = UnionFind::new(n);
    for (i, &j) in same.unwrap_or_default().iter().enumerate() {
        sets.union(i as u32, j);
    }
    let (bands, rows) = lsh_params(threshold, num_perm);
    let docs: Vec<u32> = (0..n as u32).filter(|&i| !is_empty(sig(i))).collect();
    let mut keys = Vec::with_capacity(docs.len());
    // one band at a time: memory for one key per document
    for band in 0..bands {
        keys.clear();
        keys.extend(docs.iter().map(|&i| band_key(sig(i), i, band, rows)));
        for cand in candidates(&mut keys) {
            if let Some((a, b)) = edge(cand, |a, b| similarity(sig(a), sig(b)) >= threshold) {
                sets.union(a, b);
            }
        }
    }
    sets.roots()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::minhash::MinHasher;

    fn planted(n: usize, num_perm: usize) -> Vec<u32> {
        // pseudo-random rows, every 7th a copy of an earlier one with a few values changed
        let mut state = 11u64;
        let mut next = || {
            state = mix(state.wrapping_add(0x9E37_79B9_7F4A_7C15));
            state as u32
        };
        let mut sigs: Vec<u32> = (0..n * num_perm).map(|_| next()).collect();
        for i in (7..n).step_by(7) {
            let src = next() as usize % i;
            for p in 0..num_perm {
                let v = if p % 13 == 0 {
                    next()
                } else {
                    sigs[src * num_perm + p]
                };
                sigs[i * num_perm + p] = v;
            }
        }
        sigs
    }

    #[test]
    fn clusters_keep_the_first_copy() {
        let m = MinHasher::new(128, 2, 7);
        let texts = [
            "alpha beta gamma delta epsilon zeta eta theta",
            "completely different words about hip fractures and falls",
            "alpha beta gamma delta epsilon zeta eta theta",
            "",
            "",
            "alpha beta gamma delta epsilon zeta iota kappa", // J = 5/9 with the first
        ];
        let sigs: Vec<u32> = texts.iter().flat_map(|t| m.signature(t)).collect();
        assert_eq!(clusters(&sigs, 128, 0.8, None), vec![0, 1, 0, 3, 4, 5]);
        assert_eq!(clusters(&sigs, 128, 0.4, None), vec![0, 1, 0, 3, 4, 0]);
        // an exact copy joins whatever its signature says
        let same = [0, 1, 2, 1, 4, 5];
        assert_eq!(
            clusters(&sigs, 128, 0.8, Some(&same)),
            vec![0, 1, 0, 1, 4, 5]
        );
        let (b, r) = lsh_params(0.8, 128);
        assert!(b * r <= 128 && b > 1);
    }

    #[test]
    fn buckets_give_the_clusters_of_one_process() {
        let (n, num_perm, threshold) = (3000, 64, 0.8);
        let sigs = planted(n, num_perm);
        let sig = |i: u32| &sigs[i as usize * num_perm..(i as usize + 1) * num_perm];
        let whole = clusters(&sigs, num_perm, threshold, None);
        assert!(
            whole
                .iter()
                .enumerate()
                .filter(|&(i, &r)| i as u32 != r)
                .count()
                > 300
        );
        let docs: Vec<u32> = (0..n as u32).collect();
        for buckets in [1, 5, 64] {
            let mut parts = partition(&sigs, &docs, num_perm, threshold, buckets);
            let mut sets = UnionFind::new(n);
            for part in parts.iter_mut().rev() {
                for cand in candidates(part) {
                    if let Some((a, b)) = edge(cand, |a, b| similarity(sig(a), sig(b)) >= threshold)
                    {
                        sets.union(a, b);
                    }
                }
            }
            assert_eq!(sets.roots(), whole, "{buckets} buckets");
        }
    }

    #[test]
    fn verification_finds_the_edges_of_one_process() {
        let (n, num_perm, threshold) = (600, 64, 0.8);
        let sigs = planted(n, num_perm);
        let docs: Vec<u32> = (0..n as u32).collect();
        let mut keys = partition(&sigs, &docs, num_perm, threshold, 1).remove(0);
        let cands = candidates(&mut keys);
        let edges = verified_edges(&cands, &docs, &sigs, num_perm, threshold);
        let mut sets = UnionFind::new(n);
        for &(a, b) in &edges {
            sets.union(a, b);
        }
        assert_eq!(sets.roots(), clusters(&sigs, num_perm, threshold, None));
        // candidates naming a document without its signature are left out
        let few = verified_edges(
            &cands,
            &docs[..10],
            &sigs[..10 * num_perm],
            num_perm,
            threshold,
        );
        assert!(few.len() < edges.len() && few.iter().all(|&(a, b)| a < 10 && b < 10));
    }

    #[test]
    fn band_key_files_read_whole_or_name_the_cut_one() {
        let dir = std::env::temp_dir().join(format!("lsh-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = |doc| BandKey {
            band: 1,
            hash: 7,
            doc,
        };
        let (a, b) = (dir.join("a.bin"), dir.join("b.bin"));
        std::fs::write(&a, key(3).to_le_bytes()).unwrap();
        std::fs::write(&b, [key(5).to_le_bytes(), key(4).to_le_bytes()].concat()).unwrap();
        let keys = read_band_keys(&[a.clone(), b.clone()]).unwrap();
        assert_eq!(keys, vec![key(3), key(5), key(4)]);
        std::fs::write(&b, [0u8; 20]).unwrap();
        let err = read_band_keys(&[a, b]).unwrap_err().to_string();
        assert!(err.contains("b.bin: not whole 16-byte band keys"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn band_keys_travel_as_sixteen_bytes() {
        let key = BandKey {
            band: 20,
            hash: u64::MAX - 3,
            doc: 123_456,
        };
        assert_eq!(BandKey::from_le_bytes(&key.to_le_bytes()), key);
    }
}
