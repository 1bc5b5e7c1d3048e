//! PHI de-identification throughput, best of 5:
//! `cargo run --release --example phi_speed TEXTFILE` (documents separated by U+001E).
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).expect("TEXTFILE");
    let text = std::fs::read_to_string(path).expect("UTF-8 text");
    let docs: Vec<&str> = text.split('\u{1e}').collect();
    let d = termnorm_core::phi::Deidentifier::new();
    let mut best = f64::MAX;
    let mut hits = 0;
    for _ in 0..5 {
        let t = Instant::now();
        hits = docs
            .iter()
            .map(|doc| d.deidentify(doc).1.len())
            .sum::<usize>();
        best = best.min(t.elapsed().as_secs_f64());
    }
    let mb = text.len() as f64 / 1e6;
    println!(
        "{} docs, {mb:.1} MB: {:.1} MB/s ({hits} hits)",
        docs.len(),
        mb / best
    );
}
