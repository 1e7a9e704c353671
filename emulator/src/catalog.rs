//! What PassFort's documentation says about check types, results and
//! decisions, in one place. Entries marked [A] are our assumptions.

/// The result values a check type can produce; the first is its pass value.
pub fn results_for(check_type: &str) -> Option<&'static [&'static str]> {
    Some(match check_type {
        "IDENTITY_CHECK" => &["2+2", "1+1", "Fail", "Error"],
        "PEPS_AND_SANCTIONS_SCREEN" | "COMPANY_PEPS_AND_SANCTIONS_SCREEN" => &["Pass", "Refer", "PEP", "Sanction", "Media", "Error"],
        "COMPANY_REGISTRY" => &["Pass", "Fail", "Error", "Refer"],
        "COMPANY_OWNERSHIP" => &["Pass", "Fail", "Error", "Partial"],
        "INDIVIDUAL_MANUAL_FORM" | "COMPANY_MANUAL_FORM" => &["Pass", "Fail"],
        "DOCUMENT_VERIFICATION"
        | "DOCUMENT_FETCH"
        | "CRA_BANK_ACCOUNT_VERIFICATION"
        | "COMPANY_FILINGS"
        | "COMPANY_FILING_PURCHASE"
        | "COMPANY_CHARITIES_REGISTRY"
        | "COMPANY_DOCUMENT_VERIFICATION" => &["Pass", "Fail", "Error"],
        // Newer types PassFort has since added; their result sets are [A].
        "VISA_CHECK" | "DEVICE_FRAUD_DETECTION" => &["Pass", "Fail", "Error"],
        _ => return None,
    })
}

/// Type-specific request fields a check type must be given.
pub fn required_fields(check_type: &str) -> &'static [&'static str] {
    match check_type {
        "DOCUMENT_VERIFICATION" | "COMPANY_DOCUMENT_VERIFICATION" => &["document_id"],
        "DOCUMENT_FETCH" => &["source", "reference"],
        _ => &[],
    }
}

/// Type-specific request fields that the check resource echoes back.
pub const ECHOED_FIELDS: &[&str] =
    &["document_id", "source", "reference", "form_id", "source_id", "disable_initial_screen", "disable_monitoring"];

/// PassFort's default result-to-decision mapping. `Partial` → PARTIAL and
/// any other (scripted) result → WARN are [A].
pub fn decision_for(result: &str) -> &'static str {
    match result {
        "2+2" | "Pass" => "PASS",
        "1+1" | "Partial" => "PARTIAL",
        "Fail" => "FAIL",
        "PEP" | "Sanction" | "Media" | "Refer" => "WARN",
        "Error" => "ERROR",
        _ => "WARN",
    }
}

/// Checks run sync when no `mode` is sent.
pub fn runs_sync_by_default(check_type: &str) -> bool {
    check_type == "IDENTITY_CHECK"
}

/// The tasks a new profile gets, by role.
pub fn tasks_for_role(role: &str) -> Option<&'static [&'static str]> {
    Some(match role {
        "INDIVIDUAL_CUSTOMER" => &["INDIVIDUAL_VERIFY_IDENTITY", "INDIVIDUAL_ASSESS_POLITICAL_AND_SANCTIONS_EXPOSURE"],
        "COMPANY_CUSTOMER" => &["COMPANY_VERIFY_IDENTITY", "COMPANY_ASSESS_SANCTIONS_EXPOSURE"],
        "INDIVIDUAL_ASSOCIATED" | "COMPANY_ASSOCIATED" => &[],
        _ => return None,
    })
}

/// The entity type PassFort puts in a check's `output_data` for a role.
pub fn entity_type_for_role(role: &str) -> &'static str {
    if role.starts_with("COMPANY") {
        "COMPANY"
    } else {
        "INDIVIDUAL"
    }
}

/// A human name for a task or check variant.
pub fn variant_name(kind: &str) -> String {
    let mut name = String::new();
    for (index, word) in kind.split('_').enumerate() {
        if index > 0 {
            name.push(' ');
        }
        let lower = word.to_ascii_lowercase();
        if index == 0 {
            let mut chars = lower.chars();
            if let Some(first) = chars.next() {
                name.push(first.to_ascii_uppercase());
                name.extend(chars);
            }
        } else {
            name.push_str(&lower);
        }
    }
    name + " - Emulator"
}

/// A product profiles apply for. PassFort's products are configured per
/// institution; the emulator has a small built-in catalogue [A].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Product {
    pub alias: String,
    pub name: String,
    /// `INDIVIDUAL` or `COMPANY`: the profiles that may apply.
    pub entity_type: String,
    /// The task types an application needs completed as passed before approval.
    pub required_tasks: Vec<String>,
}

impl Product {
    pub fn id(&self) -> String {
        crate::store::variant_id("product", &self.alias)
    }
}

/// The built-in catalogue [A] (documented in the README).
pub fn default_products() -> Vec<Product> {
    let product = |alias: &str, name: &str, entity_type: &str, tasks: &[&str]| Product {
        alias: alias.into(),
        name: name.into(),
        entity_type: entity_type.into(),
        required_tasks: tasks.iter().map(|t| (*t).to_owned()).collect(),
    };
    vec![
        product(
            "individual-account",
            "Individual account",
            "INDIVIDUAL",
            &["INDIVIDUAL_VERIFY_IDENTITY", "INDIVIDUAL_ASSESS_POLITICAL_AND_SANCTIONS_EXPOSURE"],
        ),
        product(
            "individual-premium",
            "Individual premium account",
            "INDIVIDUAL",
            &["INDIVIDUAL_VERIFY_IDENTITY", "INDIVIDUAL_ASSESS_POLITICAL_AND_SANCTIONS_EXPOSURE", "INDIVIDUAL_VERIFY_ADDRESS"],
        ),
        product("business-account", "Business account", "COMPANY", &["COMPANY_VERIFY_IDENTITY", "COMPANY_ASSESS_SANCTIONS_EXPOSURE"]),
    ]
}

/// The entity type a check type runs on: from the schema, and INDIVIDUAL for
/// the newer types it does not describe [A].
pub fn entity_type_for_check(check_type: &str) -> &'static str {
    crate::validate::entity_type_of_check(check_type).unwrap_or("INDIVIDUAL")
}

/// The entity type a task type belongs to, by its name's prefix [A].
pub fn entity_type_for_task(task_type: &str) -> &'static str {
    if task_type.starts_with("COMPANY_") {
        "COMPANY"
    } else {
        "INDIVIDUAL"
    }
}

/// The profile event a screening result raises, if any: PEP, Sanction and
/// Media as documented; Refer as a REFER_FLAG [A].
pub fn event_type_for_result(check_type: &str, result: &str) -> Option<&'static str> {
    if !matches!(check_type, "PEPS_AND_SANCTIONS_SCREEN" | "COMPANY_PEPS_AND_SANCTIONS_SCREEN") {
        return None;
    }
    Some(match result {
        "PEP" => "PEP_FLAG",
        "Sanction" => "SANCTION_FLAG",
        "Media" => "ADVERSE_MEDIA_FLAG",
        "Refer" => "REFER_FLAG",
        _ => return None,
    })
}

/// The result a manual decision gives the new check: approving gives the
/// type's pass value; rejecting gives `Fail`, or for a type without `Fail`
/// (the screens) the original result, with decision FAIL either way [A].
pub fn manual_result(check_type: &str, approve: bool, original: &str) -> String {
    let results = results_for(check_type).unwrap_or(&["Pass"]);
    if approve {
        results[0].to_owned()
    } else if results.contains(&"Fail") {
        "Fail".to_owned()
    } else {
        original.to_owned()
    }
}

/// The name of the emulator's API key, in webhooks (`apikey: {name}`) and audit items [A].
pub const API_KEY_NAME: &str = "Emulator API key";

/// Uploads: the most bytes a document image or file may have, decoded [A].
pub const MAX_UPLOAD_BYTES: usize = 4 * 1024 * 1024;

/// The image formats a document image may be, by their first bytes [A].
pub fn image_format(bytes: &[u8]) -> Option<&'static str> {
    Some(match bytes {
        [0xFF, 0xD8, 0xFF, ..] => "JPEG",
        [0x89, b'P', b'N', b'G', ..] => "PNG",
        [b'G', b'I', b'F', b'8', ..] => "GIF",
        [b'%', b'P', b'D', b'F', ..] => "PDF",
        [b'I', b'I', 0x2A, 0x00, ..] | [b'M', b'M', 0x00, 0x2A, ..] => "TIFF",
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => "WEBP",
        _ => return None,
    })
}

/// How long a collect API key lasts [A].
pub const COLLECT_KEY_LIFETIME_HOURS: i64 = 24;
