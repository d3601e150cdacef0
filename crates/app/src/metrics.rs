//! Metrics for statistics and alarms. On Lambda they are CloudWatch Embedded Metric Format lines
//! on stdout (`motcua_runtime::EmfMetrics`: no API call, no extra latency); tests record them.

use std::sync::Mutex;

pub trait Metrics: Send + Sync {
    /// Adds `value` to metric `name` with the given dimensions (e.g. `[("Tenant", "tuyen-quang")]`).
    fn count(&self, name: &str, value: f64, dimensions: &[(&str, &str)]);
    /// One duration, in seconds, of metric `name` (CloudWatch keeps each value, so alarms can
    /// watch a percentile).
    fn seconds(&self, name: &str, value: f64, dimensions: &[(&str, &str)]);
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

impl RecordingMetrics {
    /// Every value of `name`, in the order recorded.
    pub fn values(&self, name: &str) -> Vec<f64> {
        let points = self.points.lock().expect("metrics lock");
        points.iter().filter(|p| p.0 == name).map(|p| p.1).collect()
    }
}

impl Metrics for RecordingMetrics {
    fn seconds(&self, name: &str, value: f64, dimensions: &[(&str, &str)]) {
        self.count(name, value, dimensions);
    }

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
