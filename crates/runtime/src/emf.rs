//! CloudWatch Embedded Metric Format: one JSON line per data point on stdout, which Lambda
//! ships to CloudWatch Logs and CloudWatch turns into metrics (no API call, no latency).

use motcua_app::metrics::Metrics;

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
