//! The QR endpoint: the image decodes back to the exact signed link, and nobody without the
//! tenant's key gets one.

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use base64::Engine as _;
use motcua_app::TenantFile;
use motcua_config::{Deployment, Secrets, TenantSecrets};
use motcua_domain::DossierCode;
use qr::QrState;
use tower::ServiceExt;

const CODE: &str = "000.00.04.H60-261110-0028";

fn deployment() -> Deployment {
    let toml = "[[tenant]]\nid = \"tuyen-quang\"\nname = \"Tuyên Quang\"\nagency_codes = [\"H60\", \"H22\"]\npublic_host = \"dichvucong.tuyenquang.gov.vn\"\nqr_invokers = [\"arn:aws:iam::123456789012:role/one-stop-vendor\"]\n";
    let b64 = |b: u8| base64::engine::general_purpose::STANDARD.encode([b; 32]);
    let secrets = Secrets {
        tenants: [(
            "tuyen-quang".to_string(),
            TenantSecrets {
                pii_secret: b64(1),
                qr_key: Some(b64(2)),
                qr_api_key: Some("vendor-key-123".into()),
                ..TenantSecrets::default()
            },
        )]
        .into(),
    };
    Deployment::new(TenantFile::parse(toml).unwrap().tenant, secrets).unwrap()
}

async fn get(app: axum::Router, uri: &str, key: Option<&str>) -> (StatusCode, String, Vec<u8>) {
    let mut req = Request::get(uri);
    if let Some(k) = key {
        req = req.header("x-api-key", k);
    }
    let res = app.oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (
        status,
        ct,
        to_bytes(res.into_body(), 1 << 22).await.unwrap().to_vec(),
    )
}

fn app(require_api_key: bool) -> (axum::Router, Deployment) {
    let d = deployment();
    (
        qr::router(Arc::new(QrState {
            deployment: deployment(),
            require_api_key,
        })),
        d,
    )
}

#[tokio::test]
async fn png_decodes_back_to_the_exact_signed_link() {
    let (app, d) = app(true);
    let (status, ct, bytes) = get(app, &format!("/qr/{CODE}.png"), Some("vendor-key-123")).await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "image/png"));
    let img = image::load_from_memory(&bytes).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    let (_, content) = grids[0].decode().unwrap();
    let code = DossierCode::parse(CODE).unwrap();
    let signer = d.qr_signer("tuyen-quang").unwrap();
    assert_eq!(content, signer.url("dichvucong.tuyenquang.gov.vn", &code));
    let token = content.split("?k=").nth(1).unwrap();
    assert!(signer.verify(&code, token));
}

#[tokio::test]
async fn mangled_codes_options_and_svg() {
    let (app, _) = app(true);
    let (status, ct, body) = get(
        app.clone(),
        "/qr/000,00,04,h60-261110-0028.svg?size=4&margin=2&ec=H",
        Some("vendor-key-123"),
    )
    .await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "image/svg+xml"));
    let svg = String::from_utf8(body).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("shape-rendering=\"crispEdges\""));
    let (status, _, _) = get(app.clone(), &format!("/qr/{CODE}"), Some("vendor-key-123")).await;
    assert_eq!(status, StatusCode::OK, "SVG is the default");
    for bad in ["size=0", "size=41", "margin=17", "ec=X"] {
        let (status, ct, _) = get(
            app.clone(),
            &format!("/qr/{CODE}.png?{bad}"),
            Some("vendor-key-123"),
        )
        .await;
        assert_eq!(
            (status, ct.as_str()),
            (StatusCode::BAD_REQUEST, "application/problem+json"),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn refuses_without_the_tenants_key() {
    let (app, _) = app(true);
    for key in [None, Some(""), Some("wrong"), Some("vendor-key-12")] {
        let (status, ct, _) = get(app.clone(), &format!("/qr/{CODE}.png"), key).await;
        assert_eq!(
            (status, ct.as_str()),
            (StatusCode::UNAUTHORIZED, "application/problem+json"),
            "{key:?}"
        );
    }
    let (status, _, _) = get(
        app.clone(),
        "/qr/000.00.04.H56-261110-0028.svg",
        Some("vendor-key-123"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no tenant owns H56");
    let (status, _, _) = get(app, "/qr/hello.svg", Some("vendor-key-123")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // behind IAM on AWS the gateway authenticates; the caller's role must be the tenant's
    let (iam, _) = self::app(false);
    let as_role = |role: &str| {
        let mut req = Request::get(format!("/qr/{CODE}.svg"))
            .body(Body::empty())
            .unwrap();
        req.extensions_mut().insert(qr::IamCaller(format!(
            "arn:aws:sts::123456789012:assumed-role/{role}/printer"
        )));
        let app = iam.clone();
        async move { app.oneshot(req).await.unwrap().status() }
    };
    assert_eq!(as_role("one-stop-vendor").await, StatusCode::OK);
    // another province's vendor may call the route, but not mint Tuyên Quang's links
    assert_eq!(as_role("bac-ninh-vendor").await, StatusCode::FORBIDDEN);
    let (status, _, _) = get(iam, &format!("/qr/{CODE}.svg"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no caller, no link");
}

#[tokio::test]
async fn batch_for_a_printing_run() {
    let (app, _) = app(true);
    let send = |body: serde_json::Value, key: Option<&'static str>| {
        let app = app.clone();
        async move {
            let mut req = Request::post("/qr/batch").header("content-type", "application/json");
            if let Some(k) = key {
                req = req.header("x-api-key", k);
            }
            let res = app
                .oneshot(req.body(Body::from(body.to_string())).unwrap())
                .await
                .unwrap();
            let status = res.status();
            let v: serde_json::Value =
                serde_json::from_slice(&to_bytes(res.into_body(), 1 << 24).await.unwrap()).unwrap();
            (status, v)
        }
    };
    let codes = serde_json::json!({"codes": [CODE, "000.00.13.H60-261116-0105", "not a code"]});
    let (status, v) = send(codes.clone(), Some("vendor-key-123")).await;
    assert_eq!(status, StatusCode::OK);
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert!(items[0]["svg"].as_str().unwrap().starts_with("<svg"));
    assert!(
        items[1]["url"]
            .as_str()
            .unwrap()
            .contains("/tra-cuu/000.00.13.H60-261116-0105?k=")
    );
    assert_eq!(items[2]["error"], "not a receipt code");
    assert_eq!(send(codes, None).await.0, StatusCode::UNAUTHORIZED);
    let many: Vec<String> = (0..201)
        .map(|i| format!("000.00.04.H60-261110-{i:04}"))
        .collect();
    assert_eq!(
        send(serde_json::json!({ "codes": many }), Some("vendor-key-123"))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
}
