//! Engine throughput by phase, best of 5:
//! `cargo run --release --example annotate_speed LEXICON.bin TEXTFILE`
//! (documents separated by U+001E).
use std::time::Instant;

fn best<T>(mut f: impl FnMut() -> T) -> (f64, T) {
    let mut out = None;
    let mut best = f64::MAX;
    let reps: usize = std::env::var("REPS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    for _ in 0..reps {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(r);
    }
    (best, out.expect("ran"))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (lex, path) = (
        args.next().expect("LEXICON"),
        args.next().expect("TEXTFILE"),
    );
    let lexicon = termnorm_core::Lexicon::open(lex.as_ref()).expect("lexicon");
    let engine = termnorm_core::Engine::new(lexicon, termnorm_core::Context::with_defaults());
    let text = std::fs::read_to_string(path).expect("UTF-8 text");
    let docs: Vec<&str> = text.split('\u{1e}').collect();
    let mb = text.len() as f64 / 1e6;
    let (t_norm, norm) = best(|| {
        docs.iter()
            .map(|d| termnorm_core::normalize(d).text)
            .collect::<Vec<_>>()
    });
    let (t_find, hits) = best(|| {
        norm.iter()
            .map(|d| engine.lexicon.find(d).len())
            .sum::<usize>()
    });
    let mut a = termnorm_core::Annotation::default();
    let (t_all, n) = best(|| {
        docs.iter()
            .map(|d| {
                engine.annotate_into(d, &mut a);
                a.mentions.len()
            })
            .sum::<usize>()
    });
    println!(
        "{} docs, {mb:.1} MB: normalize {:.1} MB/s, find {:.1} MB/s ({hits} hits), \
         annotate {:.1} MB/s ({n} mentions)",
        docs.len(),
        mb / t_norm,
        mb / t_find,
        mb / t_all
    );
}
