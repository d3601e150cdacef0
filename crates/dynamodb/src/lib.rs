//! DynamoDB adapter of the store ports: every port on one table, laid out as in
//! `infra/TABLE.md`. Guarantees (versions, idempotency, uniqueness, leases) rest on conditional
//! writes; item contents are never logged because they hold protected personal data and tokens.

mod budgets;
mod counters;
mod deliveries;
mod dossiers;
mod idempotency;
mod item;
mod keys;
mod messages;
mod pending;
mod procedures;
mod retention;
mod staff;
mod tickets;
mod tokens;
mod users;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{BuildError, SdkError};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::put_item::builders::PutItemFluentBuilder;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType,
};
use motcua_app::{StoreError, StoreResult};

use crate::item::Item;

/// Every store port on one DynamoDB table.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
        }
    }

    /// A query on this table; the caller adds the index and conditions.
    fn query(&self) -> QueryFluentBuilder {
        self.client.query().table_name(&self.table)
    }

    /// Runs a query to the end, following pagination.
    async fn query_all(
        &self,
        operation: &str,
        query: QueryFluentBuilder,
    ) -> StoreResult<Vec<Item>> {
        query
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|err| self.unavailable(operation, err))
    }

    /// Sends a conditional `PutItem`; returns whether the condition held and the item was written.
    async fn put_conditionally(
        &self,
        operation: &str,
        put: PutItemFluentBuilder,
    ) -> StoreResult<bool> {
        match put.send().await {
            Ok(_) => Ok(true),
            Err(err) => match err.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(_)) => Ok(false),
                _ => Err(self.unavailable(operation, err)),
            },
        }
    }

    /// Writes `item` unconditionally.
    async fn put(&self, operation: &str, item: Item) -> StoreResult<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|err| self.unavailable(operation, err))?;
        Ok(())
    }

    /// Writes `item` unless an item with its key exists; returns whether it was written.
    async fn put_if_absent(&self, operation: &str, item: Item) -> StoreResult<bool> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)");
        self.put_conditionally(operation, put).await
    }

    /// A failed condition came back without the stored item although `ALL_OLD` was asked for.
    fn missing_old_item(&self, operation: &str) -> StoreError {
        StoreError::Unavailable(format!(
            "DynamoDB {operation} on table {} failed its condition but returned no stored item",
            self.table
        ))
    }

    /// Any SDK error that is not part of the port's semantics.
    fn unavailable<E, R>(&self, operation: &str, err: SdkError<E, R>) -> StoreError
    where
        E: std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        StoreError::Unavailable(format!(
            "DynamoDB {operation} on table {} failed: {}",
            self.table,
            error_chain(&err)
        ))
    }
}

/// An error and its sources on one line. Only `Display` is used: the `Debug` form of SDK
/// errors includes the raw response, which may echo item contents.
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut last = text.clone();
    let mut source = err.source();
    while let Some(cause) = source {
        // Operation errors display like the service error they wrap: say it once.
        let cause_text = cause.to_string();
        if cause_text != last {
            text.push_str(": ");
            text.push_str(&cause_text);
            last = cause_text;
        }
        source = cause.source();
    }
    text
}

/// Creates the table of `infra/TABLE.md` (keys `PK`/`SK`, indexes `GSI1` and `GSI2`, on-demand
/// billing), for tests and local tooling. TTL is left to the deployment template: nothing here
/// depends on items actually expiring.
pub async fn create_table(client: &Client, table: &str) -> Result<(), aws_sdk_dynamodb::Error> {
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
    };
    let key = |name: &str, key_type: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build()
    };
    let index = |name: &str| -> Result<GlobalSecondaryIndex, BuildError> {
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key(&format!("{name}PK"), KeyType::Hash)?)
            .key_schema(key(&format!("{name}SK"), KeyType::Range)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
    };
    let mut request = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("PK", KeyType::Hash)?)
        .key_schema(key("SK", KeyType::Range)?)
        .global_secondary_indexes(index(keys::GSI1)?)
        .global_secondary_indexes(index(keys::GSI2)?)
        .global_secondary_indexes(index(keys::GSI3)?);
    for name in [
        "PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK",
    ] {
        request = request.attribute_definitions(attribute(name)?);
    }
    request.send().await?;
    Ok(())
}
