//! The Lambdas' log subscriber: what `lambda_runtime::tracing::init_default_subscriber` does,
//! without `EnvFilter`. That filter brings a regular-expression engine (`matchers`,
//! `regex-automata`) into every bootstrap for span-field directives we never use; `Targets`
//! reads the same `level` and `target=level` directives without one (BENCHMARKS.md, issue 13).
//!
//! Lambda's advanced logging controls are honoured as the runtime does: `AWS_LAMBDA_LOG_LEVEL`
//! before `RUST_LOG`, INFO by default, and JSON lines when `AWS_LAMBDA_LOG_FORMAT` is `JSON`.

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The filter for the given `AWS_LAMBDA_LOG_LEVEL` and `RUST_LOG` values. Lambda's `FATAL` is
/// tracing's ERROR; anything unreadable falls back to INFO rather than to silence.
pub fn filter(lambda_level: Option<&str>, rust_log: Option<&str>) -> Targets {
    if let Some(level) = lambda_level {
        let level = if level.eq_ignore_ascii_case("fatal") {
            LevelFilter::ERROR
        } else {
            level.parse().unwrap_or(LevelFilter::INFO)
        };
        return Targets::new().with_default(level);
    }
    rust_log
        .and_then(|directives| directives.parse().ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO))
}

/// Installs the process's subscriber on stdout; call once, first thing in `main`.
pub fn init() {
    let filter = filter(
        std::env::var("AWS_LAMBDA_LOG_LEVEL").ok().as_deref(),
        std::env::var("RUST_LOG").ok().as_deref(),
    );
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let fmt = tracing_subscriber::fmt::layer()
        .with_target(false)
        .without_time();
    let registry = tracing_subscriber::registry().with(filter);
    if json {
        registry.with(fmt.json()).init();
    } else {
        registry.with(fmt).init();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    fn allows(filter: &Targets, target: &str, level: Level) -> bool {
        filter.would_enable(target, &level)
    }

    #[test]
    fn lambda_level_wins_over_rust_log() {
        let f = filter(Some("WARN"), Some("debug"));
        assert!(allows(&f, "notifier", Level::WARN));
        assert!(!allows(&f, "notifier", Level::INFO));
    }

    #[test]
    fn rust_log_directives_filter_by_target() {
        let f = filter(None, Some("info,motcua_zalo=debug"));
        assert!(allows(&f, "motcua_zalo::client", Level::DEBUG));
        assert!(!allows(&f, "notifier", Level::DEBUG));
        assert!(allows(&f, "notifier", Level::INFO));
    }

    #[test]
    fn fatal_is_error_and_nonsense_is_info() {
        let f = filter(Some("FATAL"), None);
        assert!(allows(&f, "x", Level::ERROR));
        assert!(!allows(&f, "x", Level::WARN));
        let f = filter(Some("loud"), None);
        assert!(allows(&f, "x", Level::INFO));
        assert!(!allows(&f, "x", Level::DEBUG));
        let f = filter(None, Some("=="));
        assert!(allows(&f, "x", Level::INFO));
        let f = filter(None, None);
        assert!(allows(&f, "x", Level::INFO));
        assert!(!allows(&f, "x", Level::DEBUG));
    }
}
