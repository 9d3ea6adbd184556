use std::time::Instant;
use vouch::syntax::Language;
fn main() {
    for language in
        [Language::TypeScript, Language::Python, Language::Rust, Language::JavaScript, Language::Java, Language::Go]
    {
        let grammar = language.grammar().unwrap();
        let (units, risk) = vouch::syntax::queries::sources(language).unwrap();
        for (name, src) in [("units", units), ("risk", risk)] {
            let mut best = f64::MAX;
            let mut q = None;
            for _ in 0..3 {
                let t = Instant::now();
                q = Some(tree_sitter::Query::new(&grammar, src).unwrap());
                best = best.min(t.elapsed().as_secs_f64() * 1e3);
            }
            let q = q.unwrap();
            let mut parts = Vec::new();
            let mut sum = 0.0;
            for i in 0..q.pattern_count() {
                let p = &src[q.start_byte_for_pattern(i)..q.end_byte_for_pattern(i)];
                let mut b = f64::MAX;
                for _ in 0..3 {
                    let t = Instant::now();
                    tree_sitter::Query::new(&grammar, p).unwrap();
                    b = b.min(t.elapsed().as_secs_f64() * 1e3);
                }
                sum += b;
                parts.push((b, p.lines().next().unwrap_or("").chars().take(70).collect::<String>()));
            }
            parts.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap());
            println!(
                "{} {name}: whole {best:.1} ms, {} patterns alone sum {sum:.1} ms",
                language.name(),
                q.pattern_count()
            );
            for (b, p) in parts.iter().take(6) {
                println!("    {b:6.2} ms  {p}");
            }
        }
    }
}
