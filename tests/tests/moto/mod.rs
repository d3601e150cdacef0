//! A fresh DynamoDB table on moto (`AWS_ENDPOINT_URL`), for the stream test and bench.

pub async fn table(endpoint: &str, prefix: &str) -> motcua_dynamodb::DynamoStore {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        // moto on loopback: plain HTTP (the SDK has no default client without its aws-lc TLS)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .region(aws_config::Region::new("ap-southeast-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "static",
        ))
        .load()
        .await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let table = format!("{prefix}-{}", uuid::Uuid::new_v4().simple());
    motcua_dynamodb::create_table(&client, &table)
        .await
        .unwrap();
    motcua_dynamodb::DynamoStore::new(client, table)
}
