//! Building and reading item attributes. Readers report undecodable items as
//! [`StoreError::Corrupt`] naming the item's key, never its contents.

use std::collections::HashMap;
use std::str::FromStr;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, SecondsFormat, Utc};
use motcua_app::{StoreError, StoreResult};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub type Item = HashMap<String, AttributeValue>;

/// The JSON body attribute of records stored whole (dossiers, tickets, messages, tokens…).
pub const BODY: &str = "body";

pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn n(value: impl std::fmt::Display) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A fixed-width RFC 3339 time (nanoseconds, `Z`), so that string order is time order.
pub fn time(t: DateTime<Utc>) -> AttributeValue {
    s(t.to_rfc3339_opts(SecondsFormat::Nanos, true))
}

pub fn body(record: &impl Serialize) -> AttributeValue {
    // Plain data types with string map keys: serialization cannot fail.
    s(serde_json::to_string(record).expect("store records serialize to JSON"))
}

/// `PK` and `SK` of a new item.
pub fn keyed(pk: String, sk: &str) -> Item {
    HashMap::from([("PK".to_string(), s(pk)), ("SK".to_string(), s(sk))])
}

/// Reads typed attributes of one item.
pub struct Fields<'a>(pub &'a Item);

impl<'a> Fields<'a> {
    pub fn corrupt(&self, reason: impl Into<String>) -> StoreError {
        let key = |name: &str| match self.0.get(name) {
            Some(AttributeValue::S(v)) => v.as_str(),
            _ => "?",
        };
        StoreError::Corrupt {
            key: format!("{}/{}", key("PK"), key("SK")),
            reason: reason.into(),
        }
    }

    pub fn opt_str(&self, name: &str) -> StoreResult<Option<&'a str>> {
        match self.0.get(name) {
            None | Some(AttributeValue::Null(true)) => Ok(None),
            Some(AttributeValue::S(v)) => Ok(Some(v)),
            Some(_) => Err(self.corrupt(format!("attribute {name} is not a string"))),
        }
    }

    pub fn str(&self, name: &str) -> StoreResult<&'a str> {
        self.opt_str(name)?
            .ok_or_else(|| self.corrupt(format!("attribute {name} is missing")))
    }

    pub fn opt_num<T: FromStr>(&self, name: &str) -> StoreResult<Option<T>> {
        match self.0.get(name) {
            None | Some(AttributeValue::Null(true)) => Ok(None),
            Some(AttributeValue::N(v)) => v.parse().map(Some).map_err(|_| {
                self.corrupt(format!(
                    "attribute {name} is not a valid {}",
                    std::any::type_name::<T>()
                ))
            }),
            Some(_) => Err(self.corrupt(format!("attribute {name} is not a number"))),
        }
    }

    pub fn num<T: FromStr>(&self, name: &str) -> StoreResult<T> {
        self.opt_num(name)?
            .ok_or_else(|| self.corrupt(format!("attribute {name} is missing")))
    }

    pub fn bool(&self, name: &str) -> StoreResult<bool> {
        match self.0.get(name) {
            Some(AttributeValue::Bool(v)) => Ok(*v),
            Some(_) => Err(self.corrupt(format!("attribute {name} is not a boolean"))),
            None => Err(self.corrupt(format!("attribute {name} is missing"))),
        }
    }

    pub fn opt_time(&self, name: &str) -> StoreResult<Option<DateTime<Utc>>> {
        self.opt_str(name)?
            .map(|v| {
                DateTime::parse_from_rfc3339(v)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|e| self.corrupt(format!("attribute {name} is not a time: {e}")))
            })
            .transpose()
    }

    pub fn time(&self, name: &str) -> StoreResult<DateTime<Utc>> {
        self.opt_time(name)?
            .ok_or_else(|| self.corrupt(format!("attribute {name} is missing")))
    }

    /// The record kept whole in the JSON `body` attribute.
    pub fn body<T: DeserializeOwned>(&self) -> StoreResult<T> {
        serde_json::from_str(self.str(BODY)?).map_err(|e| {
            // serde_json's message can quote the stored value: report only where it failed.
            self.corrupt(format!(
                "body is not a valid {} ({:?} error at line {} column {})",
                std::any::type_name::<T>(),
                e.classify(),
                e.line(),
                e.column()
            ))
        })
    }
}
