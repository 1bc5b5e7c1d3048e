//! Engine throughput: `cargo run --release --example annotate_speed LEXICON.bin TEXTFILE`
//! (documents separated by U+001E).
fn main() {
    let mut args = std::env::args().skip(1);
    let (lex, path) = (
        args.next().expect("LEXICON"),
        args.next().expect("TEXTFILE"),
    );
    let f = std::fs::File::open(lex).expect("lexicon file");
    let lexicon =
        termnorm_core::Lexicon::read_from(&mut std::io::BufReader::new(f)).expect("lexicon");
    let engine = termnorm_core::Engine {
        lexicon,
        context: termnorm_core::Context::with_defaults(),
    };
    let text = std::fs::read_to_string(path).expect("UTF-8 text");
    let docs: Vec<&str> = text.split('\u{1e}').collect();
    let t = std::time::Instant::now();
    let n: usize = docs.iter().map(|d| engine.annotate(d).1.len()).sum();
    let s = t.elapsed().as_secs_f64();
    println!(
        "{} docs, {n} mentions, {:.1} MB/s",
        docs.len(),
        text.len() as f64 / 1e6 / s
    );
}
