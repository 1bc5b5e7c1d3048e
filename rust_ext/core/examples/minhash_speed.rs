//! `cargo run --release --example minhash_speed TEXTFILE` (documents separated by U+001E):
//! signatures with 128 permutations over word 5-grams, best of 5.
fn main() {
    let path = std::env::args().nth(1).expect("TEXTFILE");
    let text = std::fs::read_to_string(path).expect("UTF-8 text");
    let docs: Vec<&str> = text.split('\u{1e}').collect();
    let m = termnorm_core::minhash::MinHasher::new(128, 5, 1);
    let (mut sig, mut words) = (vec![0u32; 128], Vec::new());
    let mut best = f64::MAX;
    let mut check = 0u64;
    for _ in 0..5 {
        let t = std::time::Instant::now();
        for d in &docs {
            m.signature_into(d, &mut words, &mut sig);
            check = check.wrapping_add(sig[0] as u64);
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!("{:.1} MB/s ({check})", text.len() as f64 / 1e6 / best);
}
