//! `GET /qr/{code}.svg|.png` and `POST /qr/batch`: the QR code a receipt prints, encoding the
//! signed lookup link (`motcua_app::qr`). It hands out valid tokens, so it is never public:
//! locally the one-stop system sends its per-tenant key in `X-Api-Key`; on AWS the route sits
//! behind IAM authorization (`MOTCUA_QR_AUTH=iam`) and the caller's role must be one of the
//! code's tenant's `qr_invokers`: one province's vendor cannot mint another province's links.

use std::io::Cursor;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Extension, Json, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use image::{GrayImage, Luma};
use motcua_config::Deployment;
use motcua_domain::DossierCode;
use motcua_domain::tenant::iam_caller_is_one_of;
use qrcode::{EcLevel, QrCode};
use serde::Deserialize;
use serde_json::json;
use subtle::ConstantTimeEq;

/// The most codes one batch request may ask for.
pub const MAX_BATCH: usize = 200;

/// The IAM caller API Gateway authenticated (`requestContext.authorizer.iam.userArn`), put on
/// the request by the Lambda's wiring.
#[derive(Debug, Clone)]
pub struct IamCaller(pub String);

pub struct QrState {
    pub deployment: Deployment,
    /// `false` behind an IAM authorizer (AWS); `true` everywhere else.
    pub require_api_key: bool,
}

pub fn router(state: Arc<QrState>) -> Router {
    Router::new()
        .route("/qr/{file}", get(one))
        .route("/qr/batch", post(batch))
        .with_state(state)
}

/// Rendering options, with defaults for a receipt printed on A4 (0.85 mm modules at 300 dpi).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(default)]
pub struct Options {
    /// Pixels (PNG) or user units (SVG) per module, 1–40.
    pub size: u32,
    /// Quiet zone in modules, 0–16; scanners want at least 4.
    pub margin: u32,
    /// Error correction: L, M, Q or H.
    pub ec: char,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            size: 10,
            margin: 4,
            ec: 'M',
        }
    }
}

impl Options {
    fn level(&self) -> Option<EcLevel> {
        match self.ec.to_ascii_uppercase() {
            'L' => Some(EcLevel::L),
            'M' => Some(EcLevel::M),
            'Q' => Some(EcLevel::Q),
            'H' => Some(EcLevel::H),
            _ => None,
        }
    }

    fn check(&self) -> Result<EcLevel, String> {
        if !(1..=40).contains(&self.size) {
            return Err("size must be 1–40".into());
        }
        if self.margin > 16 {
            return Err("margin must be 0–16 modules".into());
        }
        self.level()
            .ok_or_else(|| "ec must be one of L, M, Q, H".into())
    }
}

fn matrix(text: &str, level: EcLevel) -> Result<QrCode, String> {
    QrCode::with_error_correction_level(text.as_bytes(), level)
        .map_err(|e| format!("cannot encode: {e}"))
}

/// SVG with a white quiet zone, one path for the dark modules, crisp edges.
pub fn svg(text: &str, o: Options) -> Result<String, String> {
    let code = matrix(text, o.check()?)?;
    let width = code.width() as u32;
    let full = (width + 2 * o.margin) * o.size;
    let mut path = String::new();
    for (i, color) in code.to_colors().iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (x, y) = (i as u32 % width + o.margin, i as u32 / width + o.margin);
            path.push_str(&format!(
                "M{},{}h{}v{}h-{}z",
                x * o.size,
                y * o.size,
                o.size,
                o.size,
                o.size
            ));
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{full}\" height=\"{full}\" viewBox=\"0 0 {full} {full}\" shape-rendering=\"crispEdges\"><rect width=\"{full}\" height=\"{full}\" fill=\"#ffffff\"/><path d=\"{path}\" fill=\"#000000\"/></svg>"
    ))
}

/// Grayscale PNG with a white quiet zone.
pub fn png(text: &str, o: Options) -> Result<Vec<u8>, String> {
    let code = matrix(text, o.check()?)?;
    let inner: GrayImage = code
        .render::<Luma<u8>>()
        .quiet_zone(false)
        .module_dimensions(o.size, o.size)
        .build();
    let pad = o.margin * o.size;
    let mut img = GrayImage::from_pixel(
        inner.width() + 2 * pad,
        inner.height() + 2 * pad,
        Luma([255]),
    );
    image::imageops::overlay(&mut img, &inner, i64::from(pad), i64::from(pad));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}

/// Why a QR request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Denied {
    BadCode,
    UnknownTenant,
    NoApiKey,
    /// Behind IAM: the caller is not one of the code's tenant's `qr_invokers`.
    OtherTenant,
    NoQrKey,
    NoPublicHost,
}

impl Denied {
    fn response(self) -> Response {
        match self {
            Denied::BadCode => problem(
                StatusCode::BAD_REQUEST,
                "Invalid receipt code",
                "Expected a code such as 000.00.04.H60-230215-0028.",
            ),
            Denied::UnknownTenant => problem(
                StatusCode::NOT_FOUND,
                "Unknown province",
                "No tenant of this deployment owns this code's agency.",
            ),
            Denied::NoApiKey => problem(
                StatusCode::UNAUTHORIZED,
                "API key required",
                "Send the tenant's QR API key in X-Api-Key.",
            ),
            Denied::OtherTenant => problem(
                StatusCode::FORBIDDEN,
                "Not this caller's province",
                "The caller's IAM role is not in this code's tenant's qr_invokers.",
            ),
            Denied::NoQrKey => problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "QR key missing",
                "The tenant has no qr_key in its secrets.",
            ),
            Denied::NoPublicHost => problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "Public host missing",
                "The tenant has no public_host configured.",
            ),
        }
    }

    fn reason(self) -> &'static str {
        match self {
            Denied::BadCode => "not a receipt code",
            Denied::UnknownTenant => "no province here owns this code",
            Denied::NoApiKey => "API key required",
            Denied::OtherTenant => "not this caller's province",
            Denied::NoQrKey => "tenant has no QR key",
            Denied::NoPublicHost => "tenant has no public host",
        }
    }
}

/// The code and its signed link, after checking the caller's key (or IAM role) for the code's
/// tenant.
fn authorize(
    state: &QrState,
    headers: &HeaderMap,
    caller: Option<&IamCaller>,
    raw: &str,
) -> Result<(DossierCode, String), Denied> {
    let code = DossierCode::parse(raw).map_err(|_| Denied::BadCode)?;
    let tenant = state
        .deployment
        .tenancy
        .for_code(&code)
        .ok_or(Denied::UnknownTenant)?;
    if state.require_api_key {
        let expected = state
            .deployment
            .secrets
            .tenant(tenant.id.as_str())
            .and_then(|s| s.qr_api_key.clone());
        let given = headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let ok = expected
            .is_some_and(|e| !given.is_empty() && bool::from(e.as_bytes().ct_eq(given.as_bytes())));
        if !ok {
            return Err(Denied::NoApiKey);
        }
    } else if !caller.is_some_and(|c| iam_caller_is_one_of(&c.0, &tenant.qr_invokers)) {
        return Err(Denied::OtherTenant);
    }
    let signer = state
        .deployment
        .qr_signer(tenant.id.as_str())
        .ok_or(Denied::NoQrKey)?;
    let host = tenant.public_host.as_deref().ok_or(Denied::NoPublicHost)?;
    let url = signer.url(host, &code);
    Ok((code, url))
}

async fn one(
    State(state): State<Arc<QrState>>,
    Path(file): Path<String>,
    Query(options): Query<Options>,
    caller: Option<Extension<IamCaller>>,
    headers: HeaderMap,
) -> Response {
    let (raw, format) = match file.rsplit_once('.') {
        Some((raw, "svg")) => (raw, "svg"),
        Some((raw, "png")) => (raw, "png"),
        _ => (file.as_str(), "svg"),
    };
    let (_, url) = match authorize(&state, &headers, caller.as_ref().map(|c| &c.0), raw) {
        Ok(ok) => ok,
        Err(denied) => return denied.response(),
    };
    let cache = [(header::CACHE_CONTROL, "private, max-age=86400")];
    match format {
        "png" => match png(&url, options) {
            Ok(bytes) => (cache, [(header::CONTENT_TYPE, "image/png")], bytes).into_response(),
            Err(e) => problem(StatusCode::BAD_REQUEST, "Cannot render", &e),
        },
        _ => match svg(&url, options) {
            Ok(text) => (cache, [(header::CONTENT_TYPE, "image/svg+xml")], text).into_response(),
            Err(e) => problem(StatusCode::BAD_REQUEST, "Cannot render", &e),
        },
    }
}

#[derive(Deserialize)]
struct BatchRequest {
    codes: Vec<String>,
    #[serde(default)]
    options: Option<Options>,
}

/// A printing run: one JSON with each code's link and SVG (or its error).
async fn batch(
    State(state): State<Arc<QrState>>,
    caller: Option<Extension<IamCaller>>,
    headers: HeaderMap,
    Json(req): Json<BatchRequest>,
) -> Response {
    if req.codes.is_empty() || req.codes.len() > MAX_BATCH {
        return problem(
            StatusCode::BAD_REQUEST,
            "Bad batch",
            &format!("Send 1–{MAX_BATCH} codes."),
        );
    }
    let options = req.options.unwrap_or_default();
    let mut items = Vec::with_capacity(req.codes.len());
    for raw in &req.codes {
        match authorize(&state, &headers, caller.as_ref().map(|c| &c.0), raw) {
            Ok((code, url)) => match svg(&url, options) {
                Ok(svg) => items.push(json!({"code": code.as_str(), "url": url, "svg": svg})),
                Err(e) => items.push(json!({"code": raw, "error": e})),
            },
            Err(Denied::NoApiKey) => return Denied::NoApiKey.response(),
            Err(denied) => items.push(json!({"code": raw, "error": denied.reason()})),
        }
    }
    (
        StatusCode::OK,
        [(header::CACHE_CONTROL, "private, no-store")],
        Json(json!({"items": items})),
    )
        .into_response()
}

/// An RFC 9457 problem document (operator-facing English: this API is for systems and staff).
pub fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    let body =
        json!({"type": "about:blank", "title": title, "status": status.as_u16(), "detail": detail});
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}
