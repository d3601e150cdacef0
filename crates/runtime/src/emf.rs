//! CloudWatch Embedded Metric Format: one JSON line per data point on stdout, which Lambda
//! ships to CloudWatch Logs and CloudWatch turns into metrics (no API call, no latency).

use motcua_app::metrics::Metrics;

/// CloudWatch Embedded Metric Format, one JSON line per data point.
pub struct EmfMetrics {
    pub namespace: String,
}

impl EmfMetrics {
    pub fn line(&self, name: &str, value: f64, dimensions: &[(&str, &str)], now_ms: i64) -> String {
        self.line_in(name, "Count", value, dimensions, now_ms)
    }

    /// A data point in `unit` (a CloudWatch unit name: `Count`, `Seconds`).
    pub fn line_in(
        &self,
        name: &str,
        unit: &str,
        value: f64,
        dimensions: &[(&str, &str)],
        now_ms: i64,
    ) -> String {
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
                    "Metrics": [{"Name": name, "Unit": unit}]
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
    fn seconds(&self, name: &str, value: f64, dimensions: &[(&str, &str)]) {
        let now_ms = chrono::Utc::now().timestamp_millis();
        println!(
            "{}",
            self.line_in(name, "Seconds", value, dimensions, now_ms)
        );
    }

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
        assert_eq!(
            v["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"],
            "Count"
        );
        let timed = m.line_in("DeliverySeconds", "Seconds", 4.5, &[], 1_795_392_060_000);
        let v: serde_json::Value = serde_json::from_str(&timed).unwrap();
        assert_eq!(v["DeliverySeconds"], 4.5);
        assert_eq!(
            v["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"],
            "Seconds"
        );
    }
}
