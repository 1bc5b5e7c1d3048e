//! Fuzzy search throughput: `cargo run --release --example fuzzy_speed LEXICON.bin QUERIES`
//! (one normalized mention per line).
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let (lex, path) = (args.next().expect("LEXICON"), args.next().expect("QUERIES"));
    let lexicon = termnorm_core::Lexicon::open(lex.as_ref()).expect("lexicon");
    let t = Instant::now();
    let idx = termnorm_core::FuzzyIndex::new(lexicon.terms().iter());
    println!("index built in {:.1} s", t.elapsed().as_secs_f64());
    let k: usize = std::env::var("K")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let text = std::fs::read_to_string(path).expect("UTF-8 queries");
    let queries: Vec<&str> = text.lines().collect();
    let t = Instant::now();
    let mut times: Vec<(f64, &str)> = Vec::new();
    let mut found = 0;
    for q in &queries {
        let t = Instant::now();
        found += idx.search(q, k, 0.6).len();
        times.push((t.elapsed().as_secs_f64(), q));
    }
    let s = t.elapsed().as_secs_f64();
    if std::env::var("SLOWEST").is_ok() {
        times.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (t, q) in times.iter().take(15) {
            println!("{:.2} ms  {q}", t * 1e3);
        }
    }
    println!(
        "{} queries ({found} with a hit): {:.0} /s",
        queries.len(),
        queries.len() as f64 / s
    );
}
