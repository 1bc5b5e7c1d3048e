//! Raw normalizer throughput on a text file: `cargo run --release --example normalize_speed FILE`.
fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: normalize_speed FILE");
    let text = std::fs::read_to_string(&path).expect("readable UTF-8 file");
    let docs: Vec<&str> = text.split('\u{1e}').collect();
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = std::time::Instant::now();
        let mut n = 0usize;
        for d in &docs {
            n += termnorm_core::normalize(d).text.len();
        }
        best = best.min(t.elapsed().as_secs_f64());
        std::hint::black_box(n);
    }
    println!(
        "{} docs, {:.1} MB: {:.1} MB/s",
        docs.len(),
        text.len() as f64 / 1e6,
        text.len() as f64 / 1e6 / best
    );
}
