//! Typed views of PassFort's resources.
//!
//! Resources (`Check`, `Task`, `Profile`, `WhoAmI`) are [`Resource<T>`]: the
//! typed fields plus the exact JSON PassFort sent, so a field this SDK does not
//! know yet is never lost and serialising a resource gives back the API's JSON.
//! Small nested objects keep their unknown fields in `extra`.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::open_enum::open_enum;
use crate::timestamp;

open_enum! {
    /// Progress of a check. There is no error state: errors show in `result`/`decision`.
    pub enum CheckState {
        Pending => "PENDING",
        Running => "RUNNING",
        Complete => "COMPLETE",
    }
}

open_enum! {
    /// PassFort's classification of a check result (`DecisionClass`).
    pub enum Decision {
        Pass => "PASS",
        Fail => "FAIL",
        Partial => "PARTIAL",
        Warn => "WARN",
        Error => "ERROR",
    }
}

open_enum! {
    /// The type of a check. Newer types (e.g. `VISA_CHECK`) arrive as `Other`.
    pub enum CheckType {
        IdentityCheck => "IDENTITY_CHECK",
        DocumentVerification => "DOCUMENT_VERIFICATION",
        DocumentFetch => "DOCUMENT_FETCH",
        PepsAndSanctionsScreen => "PEPS_AND_SANCTIONS_SCREEN",
        CraBankAccountVerification => "CRA_BANK_ACCOUNT_VERIFICATION",
        CompanyRegistry => "COMPANY_REGISTRY",
        CompanyCharitiesRegistry => "COMPANY_CHARITIES_REGISTRY",
        CompanyOwnership => "COMPANY_OWNERSHIP",
        CompanyFilings => "COMPANY_FILINGS",
        CompanyFilingPurchase => "COMPANY_FILING_PURCHASE",
        CompanyPepsAndSanctionsScreen => "COMPANY_PEPS_AND_SANCTIONS_SCREEN",
        IndividualManualForm => "INDIVIDUAL_MANUAL_FORM",
        CompanyManualForm => "COMPANY_MANUAL_FORM",
        CompanyDocumentVerification => "COMPANY_DOCUMENT_VERIFICATION",
    }
}

open_enum! {
    /// The provider-level result of a check; which values occur depends on the check type.
    pub enum CheckResult {
        /// Identity: two sources matched name and address, or name and date of birth.
        TwoPlusTwo => "2+2",
        /// Identity: one source matched.
        OnePlusOne => "1+1",
        Pass => "Pass",
        Fail => "Fail",
        Refer => "Refer",
        Pep => "PEP",
        Sanction => "Sanction",
        Media => "Media",
        Partial => "Partial",
        Error => "Error",
    }
}

open_enum! {
    /// Where an error came from.
    pub enum ErrorSource {
        Engine => "ENGINE",
        Api => "API",
        Provider => "PROVIDER",
    }
}

open_enum! {
    /// The state of a task.
    pub enum TaskState {
        Incomplete => "INCOMPLETE",
        CompletedPass => "COMPLETED_PASS",
        CompletedFail => "COMPLETED_FAIL",
    }
}

open_enum! {
    /// The type of a task.
    pub enum TaskType {
        IndividualVerifyIdentity => "INDIVIDUAL_VERIFY_IDENTITY",
        IndividualVerifyAddress => "INDIVIDUAL_VERIFY_ADDRESS",
        IndividualVerifySourceOfFunds => "INDIVIDUAL_VERIFY_SOURCE_OF_FUNDS",
        IndividualAssessMediaAndPoliticalAndSanctionsExposure => "INDIVIDUAL_ASSESS_MEDIA_AND_POLITICAL_AND_SANCTIONS_EXPOSURE",
        IndividualAssessPoliticalAndSanctionsExposure => "INDIVIDUAL_ASSESS_POLITICAL_AND_SANCTIONS_EXPOSURE",
        IndividualAssessPoliticalExposure => "INDIVIDUAL_ASSESS_POLITICAL_EXPOSURE",
        IndividualAssessSanctionsExposure => "INDIVIDUAL_ASSESS_SANCTIONS_EXPOSURE",
        IndividualVerifyBankAccount => "INDIVIDUAL_VERIFY_BANK_ACCOUNT",
        IndividualManualTask => "INDIVIDUAL_MANUAL_TASK",
        CompanyVerifyIdentity => "COMPANY_VERIFY_IDENTITY",
        CompanyVerifyCharity => "COMPANY_VERIFY_CHARITY",
        CompanyIdentifyAuthorizedPersons => "COMPANY_IDENTIFY_AUTHORIZED_PERSONS",
        CompanyIdentifyOfficers => "COMPANY_IDENTIFY_OFFICERS",
        CompanyIdentifyTrustees => "COMPANY_IDENTIFY_TRUSTEES",
        CompanyIdentifyBeneficialOwners => "COMPANY_IDENTIFY_BENEFICIAL_OWNERS",
        CompanyReviewFilings => "COMPANY_REVIEW_FILINGS",
        CompanyAssessSanctionsExposure => "COMPANY_ASSESS_SANCTIONS_EXPOSURE",
        CompanyAssessMediaExposure => "COMPANY_ASSESS_MEDIA_EXPOSURE",
        CompanyAssessMediaAndSanctionsExposure => "COMPANY_ASSESS_MEDIA_AND_SANCTIONS_EXPOSURE",
        CompanyManualTask => "COMPANY_MANUAL_TASK",
        CompanyVerifyBankAccount => "COMPANY_VERIFY_BANK_ACCOUNT",
        CompanyVerifyTaxStatus => "COMPANY_VERIFY_TAX_STATUS",
    }
}

open_enum! {
    /// The relation between a profile's entity and your institution.
    pub enum Role {
        IndividualCustomer => "INDIVIDUAL_CUSTOMER",
        IndividualAssociated => "INDIVIDUAL_ASSOCIATED",
        CompanyCustomer => "COMPANY_CUSTOMER",
        CompanyAssociated => "COMPANY_ASSOCIATED",
    }
}

open_enum! {
    /// Where a product application stands.
    pub enum ApplicationStatus {
        Applied => "APPLIED",
        Approved => "APPROVED",
        InReview => "IN_REVIEW",
        Rejected => "REJECTED",
        Cancelled => "CANCELLED",
    }
}

open_enum! {
    /// What an application waits for (only the first that applies is given).
    pub enum ApplicationFlag {
        Automating => "AUTOMATING",
        Decided => "DECIDED",
        WaitingOnCollectionSteps => "WAITING_ON_COLLECTION_STEPS",
        WaitingOnChecks => "WAITING_ON_CHECKS",
        RequiresManualTaskCompletion => "REQUIRES_MANUAL_TASK_COMPLETION",
        ReadyForDecision => "READY_FOR_DECISION",
        RequiresRiskScore => "REQUIRES_RISK_SCORE",
        RecalculatingRisk => "RECALCULATING_RISK",
    }
}

open_enum! {
    /// How a profile event was resolved.
    pub enum EventResolution {
        Unresolved => "UNRESOLVED",
        Mismatch => "MISMATCH",
        Match => "MATCH",
        Ignore => "IGNORE",
        CreatedTask => "CREATED_TASK",
    }
}

open_enum! {
    /// A profile's risk level (`RiskLevelCategory`), as RISK_LEVEL_CHANGED gives it.
    pub enum RiskLevel {
        Low => "LOW",
        Medium => "MEDIUM",
        High => "HIGH",
        Undetermined => "UNDETERMINED",
    }
}

open_enum! {
    /// A profile's status (`ProfileStatus`), as `GET .../status` and PROFILE_STATUS_CHANGED give it.
    pub enum ProfileStatus {
        Normal => "NORMAL",
        Suspended => "SUSPENDED",
        Banned => "BANNED",
    }
}

open_enum! {
    /// The type of a profile event (`data.event_type`).
    pub enum EventType {
        PepFlag => "PEP_FLAG",
        SanctionFlag => "SANCTION_FLAG",
        DocumentExpiry => "DOCUMENT_EXPIRY",
        TransactionAlert => "TRANSACTION_ALERT",
        ReviewNeeded => "REVIEW_NEEDED",
        AdverseMediaFlag => "ADVERSE_MEDIA_FLAG",
        ReferFlag => "REFER_FLAG",
    }
}

open_enum! {
    /// How a document image relates to its document.
    pub enum DocumentImageType {
        Front => "FRONT",
        Back => "BACK",
        Face => "FACE",
    }
}

/// Every open enum and the values this version knows, by the name the
/// bindings give the enum: their typings are tested against this list.
pub const KNOWN_ENUMS: &[(&str, &[&str])] = &[
    ("CheckType", CheckType::KNOWN),
    ("CheckState", CheckState::KNOWN),
    ("CheckResult", CheckResult::KNOWN),
    ("Decision", Decision::KNOWN),
    ("ErrorSource", ErrorSource::KNOWN),
    ("TaskState", TaskState::KNOWN),
    ("TaskType", TaskType::KNOWN),
    ("Role", Role::KNOWN),
    ("ApplicationStatus", ApplicationStatus::KNOWN),
    ("ApplicationFlag", ApplicationFlag::KNOWN),
    ("EventResolution", EventResolution::KNOWN),
    ("EventType", EventType::KNOWN),
    ("DocumentImageType", DocumentImageType::KNOWN),
    ("RiskLevel", RiskLevel::KNOWN),
    ("ProfileStatus", ProfileStatus::KNOWN),
];

/// A decoded resource together with the exact JSON it was decoded from.
///
/// Fields are reached through `Deref` (`check.state`); [`Resource::raw`] gives
/// the JSON text and [`Resource::to_value`] the JSON value, unknown fields included.
#[derive(Clone)]
pub struct Resource<T> {
    fields: T,
    raw: Arc<RawValue>,
}

impl<T> Resource<T> {
    /// The JSON exactly as PassFort sent it.
    pub fn raw(&self) -> &str {
        self.raw.get()
    }

    /// The JSON as a value, unknown fields included.
    pub fn to_value(&self) -> Value {
        serde_json::from_str(self.raw.get()).expect("raw JSON was validated when decoded")
    }

    /// A top-level field by name, known to this SDK or not. Only that field is decoded.
    pub fn field(&self, name: &str) -> Option<Value> {
        let object: BTreeMap<String, &RawValue> = serde_json::from_str(self.raw.get()).ok()?;
        serde_json::from_str(object.get(name)?.get()).ok()
    }

    /// The typed fields alone.
    pub fn fields(&self) -> &T {
        &self.fields
    }
}

impl<T: DeserializeOwned> Resource<T> {
    /// Decodes a resource from JSON text, keeping the text.
    pub fn from_json(json: &str) -> serde_json::Result<Self> {
        let raw: Box<RawValue> = serde_json::from_str(json)?;
        Self::from_raw(raw)
    }

    fn from_raw(raw: Box<RawValue>) -> serde_json::Result<Self> {
        let fields = serde_json::from_str(raw.get())?;
        Ok(Self { fields, raw: Arc::from(raw) })
    }
}

impl<T> Deref for Resource<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.fields
    }
}

impl<T: PartialEq> PartialEq for Resource<T> {
    fn eq(&self, other: &Self) -> bool {
        self.fields == other.fields
    }
}

/// Shows the id and the size only: a resource's fields carry names, dates of
/// birth and document data, which must not reach logs by way of `{:?}`.
impl<T> fmt::Debug for Resource<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = std::any::type_name::<T>().rsplit("::").next().unwrap_or("Resource").trim_end_matches("Fields");
        let id = self.field("id");
        f.debug_struct(name)
            .field("id", &id.as_ref().and_then(Value::as_str).unwrap_or("?"))
            .field("json_bytes", &self.raw.get().len())
            .finish_non_exhaustive()
    }
}

impl<T> Serialize for Resource<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(serializer)
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Resource<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        Self::from_raw(raw).map_err(serde::de::Error::custom)
    }
}

/// A check run against a profile.
pub type Check = Resource<CheckFields>;
/// A task on a profile.
pub type Task = Resource<TaskFields>;
/// A customer profile.
pub type Profile = Resource<ProfileFields>;
/// The answer of `GET /whoami`.
pub type WhoAmI = Resource<WhoAmIFields>;
/// A product application on a profile.
pub type Application = Resource<ApplicationFields>;
/// A profile event (a PEP or sanctions match, a review needed...).
pub type ProfileEvent = Resource<ProfileEventFields>;
/// An image of a document on a profile.
pub type DocumentImage = Resource<DocumentImageFields>;
/// A note on a task.
pub type Note = Resource<NoteFields>;
/// A tag on a profile.
pub type Tag = Resource<TagFields>;

/// The fields of an [`Application`].
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ApplicationFields {
    pub id: String,
    pub status: ApplicationStatus,
    #[serde(default)]
    pub flag: Option<ApplicationFlag>,
    #[serde(default)]
    pub product: Option<Product>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub history: Vec<ApplicationStatusChange>,
}

/// The product an application is for.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Product {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One entry of an application's status history.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ApplicationStatusChange {
    pub status: ApplicationStatus,
    #[serde(default, deserialize_with = "timestamp::deserialize_opt")]
    pub date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub comment: Option<String>,
}

/// The fields of a [`ProfileEvent`]; `data` holds the type-specific details.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ProfileEventFields {
    pub id: String,
    #[serde(default)]
    pub resolution: Option<EventResolution>,
    #[serde(default)]
    pub resolution_reason: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub resolution_task_ids: Vec<String>,
    #[serde(default, deserialize_with = "timestamp::deserialize_opt")]
    pub creation_date: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "timestamp::deserialize_opt")]
    pub resolution_date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub data: Option<Value>,
}

impl ProfileEventFields {
    /// `data.event_type`, the kind of event.
    pub fn event_type(&self) -> Option<EventType> {
        self.data.as_ref()?.get("event_type")?.as_str().map(EventType::from)
    }
}

/// The fields of a [`DocumentImage`] (the image data itself stays in the JSON).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct DocumentImageFields {
    pub id: String,
    #[serde(default)]
    pub image_type: Option<DocumentImageType>,
    #[serde(default)]
    pub document_type: Option<String>,
    #[serde(default)]
    pub document_category: Option<String>,
    #[serde(default, deserialize_with = "timestamp::deserialize_opt")]
    pub upload_date: Option<DateTime<Utc>>,
}

/// The fields of a [`Note`]. `id` is absent only if a delete answers an empty object.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct NoteFields {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub author_name: Option<String>,
    #[serde(default, deserialize_with = "timestamp::deserialize_opt")]
    pub created_on: Option<DateTime<Utc>>,
}

/// The fields of a [`Tag`].
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct TagFields {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub is_automatic: Option<bool>,
}

/// The fields of a [`Check`].
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct CheckFields {
    pub id: String,
    pub check_type: CheckType,
    pub state: CheckState,
    #[serde(default)]
    pub result: Option<CheckResult>,
    #[serde(default)]
    pub decision: Option<Decision>,
    #[serde(default)]
    pub variant: Option<Variant>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub task_ids: Vec<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub errors: Vec<ErrorDetail>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub providers: Vec<Provider>,
    // `input_data` and `output_data` (a profile's personal details, a
    // provider's answer) are read from the kept JSON when asked for (see
    // `Check::input_data`), not held a second time as values: a process
    // waiting on thousands of checks holds each check's text once.
    #[serde(default, deserialize_with = "timestamp::deserialize_opt")]
    pub instructed_on: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "timestamp::deserialize_opt")]
    pub started_on: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "timestamp::deserialize_opt")]
    pub completed_on: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "timestamp::deserialize_opt")]
    pub performed_on: Option<DateTime<Utc>>,
}

impl CheckFields {
    /// True once PassFort has finished the check (whatever its result).
    pub fn is_complete(&self) -> bool {
        self.state == CheckState::Complete
    }
}

impl Check {
    /// The data the check ran on, as PassFort sent it; `None` if absent or null.
    pub fn input_data(&self) -> Option<Value> {
        self.field("input_data").filter(|value| !value.is_null())
    }

    /// What the check's providers returned, as PassFort sent it; `None` if absent or null.
    pub fn output_data(&self) -> Option<Value> {
        self.field("output_data").filter(|value| !value.is_null())
    }
}

/// A variant of a check or task: which provider/configuration runs it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_type: Option<TaskType>,
    /// Fields this SDK version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A record of a data provider used by a check.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Provider {
    #[serde(default)]
    pub provider_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_monitored: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One entry of PassFort's `errors` list, in an error body or on a check.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default)]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ErrorSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<Value>,
}

impl ErrorDetail {
    /// PassFort's name for the error code, when the code is documented.
    pub fn code_name(&self) -> Option<&'static str> {
        Some(match self.code? {
            101 => "MISSING_REQUIRED_FIELDS",
            102 => "ENTITY_ALREADY_APPROVED",
            103 => "ENTITY_ALREADY_REJECTED",
            104 => "CHARGEABLE_LIMIT_REACHED",
            105 => "CONSTRAINTS_NOT_SATISFIED",
            106 => "COUNTRY_NOT_SUPPORTED",
            107 => "CHECK_LIMIT_REACHED",
            201 => "INVALID_INPUT_DATA",
            202 => "DATA_PRESENT",
            203 => "MISSING_API_KEY",
            204 => "INVALID_API_KEY",
            301 => "USER_MIGRATION_ERROR",
            302 => "PROVIDER_CONNECTION_ERROR",
            303 => "PROVIDER_UNKNOWN_ERROR",
            401 => "UNKNOWN_INTERNAL_ERROR",
            402 => "TRANSITION_ERROR",
            501 => "LEGACY_ERROR",
            502 => "PROCESS_NOT_SETUP",
            _ => return None,
        })
    }
}

impl fmt::Display for ErrorDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.code, self.code_name()) {
            (Some(code), Some(name)) => write!(f, "{code} {name}: {}", self.message),
            (Some(code), None) => write!(f, "{code}: {}", self.message),
            (None, _) => f.write_str(&self.message),
        }
    }
}

/// The fields of a [`Task`].
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct TaskFields {
    pub id: String,
    #[serde(rename = "type")]
    pub task_type: TaskType,
    #[serde(default = "incomplete")]
    pub state: TaskState,
    #[serde(default)]
    pub is_complete: bool,
    #[serde(default)]
    pub is_expired: bool,
    #[serde(default)]
    pub is_skipped: bool,
    #[serde(default, deserialize_with = "timestamp::deserialize_opt")]
    pub creation_date: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "timestamp::deserialize_opt")]
    pub expiry_date: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub check_ids: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub form_instance_ids: Vec<String>,
    #[serde(default)]
    pub variant: Option<Variant>,
}

fn incomplete() -> TaskState {
    TaskState::Incomplete
}

/// The fields of a [`Profile`].
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ProfileFields {
    pub id: String,
    pub role: Role,
    #[serde(default)]
    pub collected_data: Value,
    #[serde(default, deserialize_with = "timestamp::deserialize_opt")]
    pub creation_date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub customer_ref: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub checks: Vec<Check>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub tasks: Vec<Task>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub applications: Vec<Value>,
}

/// The fields of [`WhoAmI`].
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct WhoAmIFields {
    #[serde(default)]
    pub auditee_name: Option<String>,
    #[serde(default)]
    pub institution: Option<Institution>,
    #[serde(default)]
    pub user: Option<Value>,
}

/// The institution an API key belongs to.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Institution {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub logo_url: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One page of a paged list: `{count, limit, offset, results}`.
#[derive(Clone, Debug, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct Page<T> {
    #[serde(default)]
    pub count: u64,
    #[serde(default)]
    pub limit: u64,
    #[serde(default)]
    pub offset: u64,
    #[serde(default = "Vec::new", deserialize_with = "null_as_default")]
    pub results: Vec<T>,
}

/// One page of `GET /profiles`.
pub type ProfilePage = Page<Profile>;

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// PassFort's `errors` is a list, but one older client met a single object: accept both.
pub(crate) fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<ErrorDetail>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<ErrorDetail>),
        One(ErrorDetail),
    }
    Ok(match Option::<OneOrMany>::deserialize(deserializer)? {
        None => Vec::new(),
        Some(OneOrMany::Many(list)) => list,
        Some(OneOrMany::One(one)) => vec![one],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_and_fields_round_trip() {
        let json = r#"{"id":"c1","check_type":"VISA_CHECK","state":"QUEUED","result":"Clear","decision":"MAYBE","visa":{"kind":"B2"},"errors":null}"#;
        let check = Check::from_json(json).unwrap();
        assert_eq!(check.check_type, CheckType::Other("VISA_CHECK".into()));
        assert_eq!(check.state.as_str(), "QUEUED");
        assert_eq!(check.result, Some(CheckResult::Other("Clear".into())));
        assert_eq!(check.field("visa").unwrap()["kind"], "B2");
        assert_eq!(serde_json::to_string(&check).unwrap(), json);
    }

    #[test]
    fn errors_accept_a_single_object() {
        let check = Check::from_json(
            r#"{"id":"c1","check_type":"IDENTITY_CHECK","state":"COMPLETE","errors":{"code":303,"message":"down","source":"PROVIDER"}}"#,
        )
        .unwrap();
        assert_eq!(check.errors.len(), 1);
        assert_eq!(check.errors[0].to_string(), "303 PROVIDER_UNKNOWN_ERROR: down");
    }
}
