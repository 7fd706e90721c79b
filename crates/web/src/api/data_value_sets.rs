//! `/api/v1/dataValueSets` — DHIS2's resource for figures, with codes as identifiers:
//! `GET` the official figures of a period for a unit (its subtree with `children=true`)
//! or a cluster, as JSON or DHIS2's CSV (by `Accept`); `POST` a data value set (JSON or
//! CSV, by `Content-Type`) into the caller's unit's form for its period, as if typed into
//! it, answered with DHIS2's import summary — 200 when it went through (or, with
//! `dryRun=true`, would), 409 with the conflicts when nothing was written.
//!
//! A program calls with a personal API token (`Authorization: ApiToken …` or `Bearer …`,
//! see `/account/tokens`); a signed-in browser's session works too. Either way the rights
//! are the account's ([`thidua_app::dhis2`]).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use thidua_app::dhis2::{self, Selection};
use thidua_core::Period;
use thidua_core::dhis2::{Format, Requested, WebMessage, write};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use super::ApiQuery;
use crate::AppState;
use crate::auth::ApiUser;
use crate::body_limit::{self, BodyLimit};
use crate::error::{ApiError, AppError, ErrorBody, ErrorDetail};

/// A data value set sent: a form's figures are a few kilobytes; a unit's year with every
/// field DHIS2 writes stays far below this.
pub(crate) const DATA_VALUE_SET: BodyLimit = BodyLimit {
    shown: 4 * 1024 * 1024,
    request: 4 * 1024 * 1024,
    what: "Tệp dataValueSet",
};

pub(super) fn router() -> Router<AppState> {
    Router::new().route(
        "/dataValueSets",
        body_limit::limited(get(data_value_sets).post(import_data_value_set), DATA_VALUE_SET),
    )
}

/// The part of the OpenAPI document these routes add, merged into the API's.
#[derive(OpenApi)]
#[openapi(
    paths(data_value_sets, import_data_value_set),
    components(schemas(DataValueSetDto, DataValueDto, WebMessageDto, ImportSummaryDto, ImportCountDto, ImportConflictDto, ImportOptionsDto, ErrorBody, ErrorDetail)),
    modifiers(&Authentication)
)]
pub(crate) struct DataValueSetsDoc;

/// The ways a call authenticates: the session cookie, or a personal API token.
struct Authentication;

impl Modify for Authentication {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`ApiToken thidua_…` — a personal API token, made on /account/tokens or with `thidua token create`. \
                 A token expires as its maker chose (90 days unless told; a number of days, a last day, or never): \
                 past its expiry it is refused with 401 and a message saying it has expired (hết hạn) and until \
                 which day it worked, as a revoked or unknown token is refused with 401 saying it is not valid",
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The same personal API token, as `Bearer thidua_…`, with the same expiry",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "thidua_session",
                "The session cookie of a signed-in browser",
            ))),
        );
    }
}

/// One data value, as DHIS2 writes it (codes as identifiers).
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "the schema of the JSON the core writes and reads; never built here"
)]
#[schema(rename_all = "camelCase")]
pub(crate) struct DataValueDto {
    /// Indicator code, e.g. `TANG_SO_DAM`.
    data_element: String,
    /// DHIS2 period code; may be left to the set's `period`.
    period: Option<String>,
    /// Unit code, e.g. `HN-HADONG`; may be left to the set's `orgUnit`.
    org_unit: Option<String>,
    /// Only DHIS2's default (`default`, `HllvX50cXC0`) or nothing: figures are not disaggregated.
    category_option_combo: Option<String>,
    /// Only DHIS2's default or nothing.
    attribute_option_combo: Option<String>,
    /// The value, with `.` as the decimal point (`1084`, `85.01`); empty empties the form's box.
    value: Option<String>,
    /// A note (kept by the official import; a form has none).
    comment: Option<String>,
    /// Read and not used.
    stored_by: Option<String>,
    /// Read and not used.
    created: Option<String>,
    /// Read and not used.
    last_updated: Option<String>,
    /// Read and not used; written `false`.
    followup: Option<bool>,
    /// A deleted value is refused.
    deleted: Option<bool>,
}

/// A DHIS2 data value set. In CSV: DHIS2's columns by position under a header row,
/// `dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value,storedby,lastupdated,comment,followup,deleted`.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "the schema of the JSON the core writes and reads; never built here"
)]
#[schema(rename_all = "camelCase")]
pub(crate) struct DataValueSetDto {
    /// Identifiers are codes: `CODE` (the only scheme accepted; written on export).
    id_scheme: Option<String>,
    /// Must be `CODE` when given.
    data_element_id_scheme: Option<String>,
    /// Must be `CODE` when given.
    org_unit_id_scheme: Option<String>,
    /// Read and not used: thidua has one form.
    data_set: Option<String>,
    /// Given (and not `false`): the form is submitted for review after the save.
    complete_date: Option<String>,
    /// The period of values that give none.
    period: Option<String>,
    /// The unit of values that give none.
    org_unit: Option<String>,
    /// Only DHIS2's default or nothing.
    attribute_option_combo: Option<String>,
    /// Check and count only; a dry run when this or the URL's `dryRun` asks for one.
    dry_run: Option<bool>,
    /// `CREATE_AND_UPDATE` (default), `CREATE` or `UPDATE`; overrides the URL's.
    import_strategy: Option<String>,
    /// The values.
    data_values: Vec<DataValueDto>,
}

/// DHIS2's counts.
#[derive(ToSchema)]
#[expect(dead_code, reason = "the schema of the JSON the core writes; never built here")]
pub(crate) struct ImportCountDto {
    /// New values.
    imported: u64,
    /// Values replaced.
    updated: u64,
    /// Values unchanged, left out by the strategy, or refused.
    ignored: u64,
    /// Boxes of the form emptied.
    deleted: u64,
}

/// One conflict: what is wrong, and the 0-based positions of the values concerned.
#[derive(ToSchema)]
#[expect(dead_code, reason = "the schema of the JSON the core writes; never built here")]
#[schema(rename_all = "camelCase")]
pub(crate) struct ImportConflictDto {
    /// The identifier or value at fault.
    object: String,
    /// What is wrong, in Vietnamese, naming the value.
    value: String,
    /// DHIS2's error code (`E7610` data element, `E7612` org unit, `E7619` value, `E7642` approved …).
    error_code: Option<String>,
    /// The field at fault.
    property: Option<String>,
    /// The values concerned, by 0-based position.
    indexes: Vec<u64>,
}

/// The options the import ran with.
#[derive(ToSchema)]
#[expect(dead_code, reason = "the schema of the JSON the core writes; never built here")]
#[schema(rename_all = "camelCase")]
pub(crate) struct ImportOptionsDto {
    /// Nothing was written.
    dry_run: bool,
    /// The strategy.
    import_strategy: String,
}

/// DHIS2's import summary.
#[derive(ToSchema)]
#[expect(dead_code, reason = "the schema of the JSON the core writes; never built here")]
#[schema(rename_all = "camelCase")]
pub(crate) struct ImportSummaryDto {
    /// `ImportSummary`.
    response_type: String,
    /// `SUCCESS`, `WARNING` or `ERROR` (nothing written).
    status: String,
    /// The options.
    import_options: ImportOptionsDto,
    /// What happened, in Vietnamese.
    description: String,
    /// The counts.
    import_count: ImportCountDto,
    /// The conflicts.
    conflicts: Vec<ImportConflictDto>,
    /// The values refused, by 0-based position.
    rejected_indexes: Vec<u64>,
    /// The day the form was submitted, or `false`.
    data_set_complete: String,
}

/// DHIS2's answer to an import (2.38 and later): the status and the summary.
#[derive(ToSchema)]
#[expect(dead_code, reason = "the schema of the JSON the core writes; never built here")]
#[schema(rename_all = "camelCase")]
pub(crate) struct WebMessageDto {
    /// `OK` or `Conflict`.
    http_status: String,
    /// 200 or 409.
    http_status_code: u16,
    /// `OK`, `WARNING` or `ERROR`.
    status: String,
    /// What happened, in Vietnamese.
    message: String,
    /// The summary.
    response: ImportSummaryDto,
}

/// `?period=2022S1&orgUnit=HN-HADONG&children=true`, or `&cluster=HN-CUM2`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExportQuery {
    period: Option<String>,
    org_unit: Option<String>,
    children: Option<String>,
    cluster: Option<String>,
    id_scheme: Option<String>,
    data_element_id_scheme: Option<String>,
    org_unit_id_scheme: Option<String>,
}

/// DHIS2's booleans in a URL: `true`, `false` (any case), `1`, `0`.
fn flag(raw: Option<&str>, name: &str) -> Result<bool, AppError> {
    match raw.map(|r| r.trim().to_ascii_lowercase()) {
        None => Ok(false),
        Some(r) if r.is_empty() || r == "false" || r == "0" => Ok(false),
        Some(r) if r == "true" || r == "1" => Ok(true),
        Some(_) => Err(AppError::BadRequest(format!("tham số {name} phải là true hoặc false"))),
    }
}

/// Identifiers in and out are codes; any other scheme is refused rather than ignored.
fn codes_only(schemes: [(&str, &Option<String>); 3]) -> Result<(), AppError> {
    for (name, scheme) in schemes {
        if let Some(s) = scheme.as_deref().map(str::trim)
            && !s.is_empty()
            && !s.eq_ignore_ascii_case("code")
        {
            return Err(AppError::BadRequest(format!(
                "{name}={s} không dùng được: thidua nhận diện chỉ tiêu và đơn vị bằng mã (idScheme=code)"
            )));
        }
    }
    Ok(())
}

/// The format an answer is asked in: CSV when `Accept` names it, else JSON.
fn wanted_format(headers: &HeaderMap) -> Format {
    let accept = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",")
        .to_ascii_lowercase();
    if accept.contains("application/csv") || accept.contains("text/csv") {
        Format::Csv
    } else {
        Format::Json
    }
}

/// The official figures of a period — and of the shorter periods inside it — for a unit
/// (with `children=true`, every unit below it too) or a cluster's members, as a DHIS2
/// data value set. Drafts are never included.
#[utoipa::path(
    get,
    path = "/api/v1/dataValueSets",
    params(
        ("period" = String, Query, description = "DHIS2 period code (years 1945 to 2100); the figures of every period inside it", example = "2022S1", pattern = "^(194[5-9]|19[5-9][0-9]|20[0-9][0-9]|2100)(S[12]|Q[1-4]|0[1-9]|1[0-2])?$"),
        ("orgUnit" = Option<String>, Query, description = "Unit code (this or `cluster`)", example = "HN-HADONG"),
        ("children" = Option<bool>, Query, description = "With every unit below `orgUnit`"),
        ("cluster" = Option<String>, Query, description = "Cluster code, as constituted in the period's year (this or `orgUnit`)", example = "HN-CUM2"),
        ("idScheme" = Option<String>, Query, description = "Only `CODE`"),
        ("dataElementIdScheme" = Option<String>, Query, description = "Only `CODE`"),
        ("orgUnitIdScheme" = Option<String>, Query, description = "Only `CODE`"),
        ("Accept" = Option<String>, Header, description = "`application/csv` for DHIS2's CSV; JSON otherwise")
    ),
    responses(
        (status = 200, content((DataValueSetDto = "application/json"), (String = "application/csv"))),
        (status = 400, description = "Missing or bad period, unit or cluster, or another id scheme", body = ErrorBody),
        (status = 401, description = "Not signed in, or an unknown, revoked or expired token (an expired one is said to have expired, with its last day)", body = ErrorBody),
        (status = 403, description = "Outside the account's part of the hierarchy", body = ErrorBody),
        (status = 404, description = "Unknown unit, or a cluster not constituted that year", body = ErrorBody)
    ),
    security(("api_token" = []), ("bearer" = []), ("session" = []))
)]
async fn data_value_sets(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    codes_only([
        ("idScheme", &query.id_scheme),
        ("dataElementIdScheme", &query.data_element_id_scheme),
        ("orgUnitIdScheme", &query.org_unit_id_scheme),
    ])?;
    let period = match query.period.as_deref().map(str::trim) {
        Some(p) if !p.is_empty() => Period::parse(p)?,
        _ => return Err(AppError::BadRequest("thiếu tham số period (ví dụ: ?period=2022S1)".into()).into()),
    };
    let children = flag(query.children.as_deref(), "children")?;
    let unit = query.org_unit.as_deref().map(str::trim).filter(|u| !u.is_empty());
    let cluster = query.cluster.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let selection = match (unit, cluster) {
        (Some(code), None) => Selection::Unit {
            code: code.to_owned(),
            children,
        },
        (None, Some(code)) => Selection::Cluster(code.to_owned()),
        _ => {
            return Err(AppError::BadRequest(
                "cần đúng một trong hai tham số orgUnit (mã đơn vị) hoặc cluster (mã cụm)".into(),
            )
            .into());
        }
    };
    let caller = state.app.context(user.principal()).await?;
    let values = dhis2::export_for(&state.app, &caller, &selection, period).await?;
    let format = wanted_format(&headers);
    let content_type = match format {
        Format::Json => "application/json; charset=utf-8",
        Format::Csv => "application/csv; charset=utf-8",
    };
    Ok(([(header::CONTENT_TYPE, content_type)], write(&values, format)).into_response())
}

/// `?dryRun=true&importStrategy=CREATE` and the id schemes.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImportQuery {
    dry_run: Option<String>,
    import_strategy: Option<String>,
    strategy: Option<String>,
    id_scheme: Option<String>,
    data_element_id_scheme: Option<String>,
    org_unit_id_scheme: Option<String>,
}

/// A data value set into the caller's unit's form for its period, as if typed into it:
/// the same rights (the unit's own officers) and workflow (a draft or a returned form
/// while its window is open; `completeDate` submits it). All or nothing; one form (one
/// unit, one period) a request. Answered with DHIS2's import summary.
#[utoipa::path(
    post,
    path = "/api/v1/dataValueSets",
    params(
        ("dryRun" = Option<bool>, Query, description = "Check and count only; a dry run when this or the set's own `dryRun` asks for one"),
        ("importStrategy" = Option<String>, Query, description = "`CREATE_AND_UPDATE` (default), `CREATE` (keep the form's values) or `UPDATE` (only replace them); `DELETE` is refused"),
        ("idScheme" = Option<String>, Query, description = "Only `CODE`"),
        ("dataElementIdScheme" = Option<String>, Query, description = "Only `CODE`"),
        ("orgUnitIdScheme" = Option<String>, Query, description = "Only `CODE`")
    ),
    request_body(
        description = "A data value set, by `Content-Type`: `application/json`, or DHIS2's CSV as `application/csv` (or `text/csv`); at most 4 MB",
        content((DataValueSetDto = "application/json"), (String = "application/csv"))
    ),
    responses(
        (status = 200, description = "Saved into the form (or, as a dry run, would be)", body = WebMessageDto),
        (status = 409, description = "Nothing written: the conflicts, each with the values it concerns (a bad value, an accepted, sent or closed form, two forms in one request)", body = WebMessageDto),
        (status = 400, description = "A file that cannot be read, or options thidua does not follow", body = ErrorBody),
        (status = 401, description = "Not signed in, or an unknown, revoked or expired token (an expired one is said to have expired, with its last day)", body = ErrorBody),
        (status = 403, description = "The account does not enter that unit's figures", body = ErrorBody),
        (status = 413, description = "Over 4 MB", body = ErrorBody),
        (status = 415, description = "Neither JSON nor CSV", body = ErrorBody)
    ),
    security(("api_token" = []), ("bearer" = []), ("session" = []))
)]
async fn import_data_value_set(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<ImportQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    // Only the two non-simple types: a cross-site form cannot send them without the
    // browser asking first, which nothing here answers.
    let format = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(Format::of_media_type)
        .ok_or_else(|| {
            AppError::UnsupportedMediaType(
                "dataValueSet gửi lên phải có Content-Type: application/json hoặc application/csv".into(),
            )
        })?;
    let requested = Requested {
        dry_run: query.dry_run,
        strategy: query.import_strategy.or(query.strategy),
        id_scheme: query.id_scheme,
        data_element_id_scheme: query.data_element_id_scheme,
        org_unit_id_scheme: query.org_unit_id_scheme,
    };
    let caller = state.app.context(user.principal()).await?;
    let imported = dhis2::import_into_form(&state.app, &caller, &body, format, &requested).await?;
    let message = WebMessage::of(imported.summary);
    let status = StatusCode::from_u16(message.http_status_code).unwrap_or(StatusCode::OK);
    Ok((status, Json(message)).into_response())
}
