//! Metrics for statistics and alarms. On Lambda they are CloudWatch Embedded Metric Format lines
//! on stdout (no API call, no extra latency); tests record them.

use std::sync::Mutex;

pub trait Metrics: Send + Sync {
    /// Adds `value` to metric `name` with the given dimensions (e.g. `[("Tenant", "tuyen-quang")]`).
    fn count(&self, name: &str, value: f64, dimensions: &[(&str, &str)]);
}

/// CloudWatch Embedded Metric Format, one JSON line per data point.
pub struct EmfMetrics {
    pub namespace: String,
}

impl EmfMetrics {
    pub fn line(&self, name: &str, value: f64, dimensions: &[(&str, &str)], now_ms: i64) -> String {
        let mut root = serde_json::Map::new();
        let dims: Vec<&str> = dimensions.iter().map(|(k, _)| *k).collect();
        root.insert(
            "_aws".into(),
            serde_json::json!({
                "Timestamp": now_ms,
                "CloudWatchMetrics": [{
                    "Namespace": self.namespace,
                    // the per-dimension series and a total across them (alarms watch the total)
                    "Dimensions": if dims.is_empty() { serde_json::json!([[]]) } else { serde_json::json!([dims, []]) },
                    "Metrics": [{"Name": name, "Unit": "Count"}]
                }]
            }),
        );
        for (k, v) in dimensions {
            root.insert((*k).into(), (*v).into());
        }
        root.insert(name.into(), value.into());
        serde_json::Value::Object(root).to_string()
    }
}

impl Metrics for EmfMetrics {
    fn count(&self, name: &str, value: f64, dimensions: &[(&str, &str)]) {
        println!(
            "{}",
            self.line(
                name,
                value,
                dimensions,
                chrono::Utc::now().timestamp_millis()
            )
        );
    }
}

/// Keeps every data point, for tests and the local server's statistics.
/// One recorded data point: name, value, dimensions.
type Point = (String, f64, Vec<(String, String)>);

#[derive(Default)]
pub struct RecordingMetrics {
    points: Mutex<Vec<Point>>,
}

impl RecordingMetrics {
    pub fn total(&self, name: &str) -> f64 {
        let points = self.points.lock().expect("metrics lock");
        points.iter().filter(|p| p.0 == name).map(|p| p.1).sum()
    }

    /// Total of `name` where dimension `key` equals `value`.
    pub fn total_where(&self, name: &str, key: &str, value: &str) -> f64 {
        let points = self.points.lock().expect("metrics lock");
        points
            .iter()
            .filter(|p| p.0 == name && p.2.iter().any(|(k, v)| k == key && v == value))
            .map(|p| p.1)
            .sum()
    }
}

impl Metrics for RecordingMetrics {
    fn count(&self, name: &str, value: f64, dimensions: &[(&str, &str)]) {
        let dims = dimensions
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.points
            .lock()
            .expect("metrics lock")
            .push((name.to_string(), value, dims));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_line_has_the_cloudwatch_shape() {
        let m = EmfMetrics {
            namespace: "Motcua".into(),
        };
        let line = m.line(
            "TokenRefreshFailed",
            1.0,
            &[("Oa", "579")],
            1_795_392_060_000,
        );
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["TokenRefreshFailed"], 1.0);
        assert_eq!(v["Oa"], "579");
        assert_eq!(v["_aws"]["CloudWatchMetrics"][0]["Namespace"], "Motcua");
        assert_eq!(v["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0][0], "Oa");
        assert_eq!(
            v["_aws"]["CloudWatchMetrics"][0]["Dimensions"][1],
            serde_json::json!([])
        );
        assert_eq!(
            v["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"],
            "TokenRefreshFailed"
        );
    }
}
